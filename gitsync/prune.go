package gitsync

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// tmpPrefix starts the name of a checkout being built.
const tmpPrefix = ".tmp-"

// prune removes from Dir the checkouts the Repository no longer keeps: each
// directory named by a commit SHA or as a temporary build, except Poll's
// current and previous checkouts, those returned by Checkout and the
// directories of open RevertDrafts. Other files
// are left alone. Removal is best effort; what fails to go is tried again by
// the next prune.
func (r *Repository) prune() {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return
	}
	for _, entry := range entries {
		name := entry.Name()
		if !plumbing.IsHash(name) && !strings.HasPrefix(name, tmpPrefix) {
			continue
		}
		path := filepath.Join(r.dir, name)
		if _, pinned := r.pinned[path]; pinned || r.drafts[path] || path == r.current.Dir || path == r.previous.Dir {
			continue
		}
		_ = os.RemoveAll(path)
	}
}
