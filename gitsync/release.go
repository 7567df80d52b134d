package gitsync

import "os"

// Release gives back a checkout that [Repository.Checkout] returned: it is
// no longer kept, and its directory is removed unless Poll holds the same
// commit as its current or previous checkout. Releasing a checkout twice,
// or one this Repository did not return, does nothing. It bounds the
// checkouts on disk of a caller that checks out commits now and then (to
// restore a primary, say).
func (r *Repository) Release(co Checkout) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.pinned[co.Dir]; !ok {
		return
	}
	delete(r.pinned, co.Dir)
	if co.Dir == r.current.Dir || co.Dir == r.previous.Dir {
		return
	}
	_ = os.RemoveAll(co.Dir)
}
