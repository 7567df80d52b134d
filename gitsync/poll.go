package gitsync

import (
	"context"

	"github.com/go-git/go-git/v5/plumbing"
)

// Poll brings the checkout of the watched branch up to date and reports
// whether it changed.
//
// It first lists the remote's references (one ls-remote). When the branch
// head is the commit of the last successful Poll, nothing is fetched and that
// checkout is returned with changed false. Otherwise the branch is fetched
// with depth 1 (the full history when the server cannot do shallow fetch)
// into a repository of its own and checked out into Options.Dir/<sha>; the
// new checkout is returned with changed true. When the branch moved again
// between the listing and the fetch, the newer commit is the one checked
// out and returned. The first successful Poll always reports a change.
//
// After a Poll that moved, the checkout before it is kept and older ones
// are removed (see [Repository]).
//
// On failure the error is an [*Error], the returned Checkout is zero, and
// nothing that callers read has changed on disk: the previous checkout is
// intact and the next Poll compares with it again. Poll does not retry.
func (r *Repository) Poll(ctx context.Context) (checkout Checkout, changed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	creds, err := r.credentials()
	if err != nil {
		return Checkout{}, false, r.fail("auth", r.branch, err, creds)
	}
	adv, err := r.listRemote(ctx, creds)
	if err != nil {
		return Checkout{}, false, r.fail("ls-remote", r.branch, err, creds)
	}
	head, err := adv.branchHead(r.branch)
	if err != nil {
		return Checkout{}, false, r.fail("ls-remote", r.branch, err, creds)
	}
	if head.String() == r.current.Commit {
		return r.current, false, nil
	}
	name := plumbing.NewBranchReferenceName(r.branch)
	next, ok := r.known(head.String(), name)
	if !ok {
		if next, err = r.fetch(ctx, creds, refRequest(name, adv.depth())); err != nil {
			return Checkout{}, false, err
		}
	}
	if next.Commit == r.current.Commit {
		return r.current, false, nil
	}
	r.previous, r.current = r.current, next
	r.prune()
	return next, true, nil
}
