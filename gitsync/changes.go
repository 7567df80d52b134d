package gitsync

import (
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ChangedPaths lists the paths, relative to the repository root, of every
// file, symbolic link or submodule whose content, mode or presence differs
// between two checkouts of this Repository: what `git diff --no-renames
// --name-only from to` prints. It reads the two commits' trees from the
// checkouts' own object stores and compares them directory by directory:
// an unchanged directory costs one hash comparison, so a commit that
// changes one app of a thousand reads four trees. An error (a checkout
// removed since, a commit it does not hold) means nothing is known;
// callers then look at everything.
func (r *Repository) ChangedPaths(from, to Checkout) ([]string, error) {
	if from.Commit == to.Commit {
		return nil, nil
	}
	a, err := checkoutTree(from)
	if err != nil {
		return nil, err
	}
	b, err := checkoutTree(to)
	if err != nil {
		return nil, err
	}
	var paths []string
	if err := diffTrees("", a, b, &paths); err != nil {
		return nil, fmt.Errorf("diff %s..%s: %w", shortSHA(from.Commit), shortSHA(to.Commit), err)
	}
	slices.Sort(paths)
	return slices.Compact(paths), nil
}

// diffTrees appends to paths those of the entries that differ between the
// trees a and b (either may be nil: an empty tree), their names prefixed
// with prefix.
func diffTrees(prefix string, a, b *object.Tree, paths *[]string) error {
	entries := func(t *object.Tree) map[string]object.TreeEntry {
		if t == nil {
			return nil
		}
		m := make(map[string]object.TreeEntry, len(t.Entries))
		for _, e := range t.Entries {
			m[e.Name] = e
		}
		return m
	}
	inA, inB := entries(a), entries(b)
	for name, x := range inA {
		y, ok := inB[name]
		if ok && x.Hash == y.Hash && x.Mode == y.Mode {
			continue
		}
		var subA, subB *object.Tree
		var err error
		if subA, err = subtree(a, x); err != nil {
			return err
		}
		if ok {
			if subB, err = subtree(b, y); err != nil {
				return err
			}
		}
		if subA != nil || subB != nil {
			if err := diffTrees(prefix+name+"/", subA, subB, paths); err != nil {
				return err
			}
		}
		if subA == nil || (ok && subB == nil) {
			*paths = append(*paths, prefix+name) // a file on one side at least
		}
	}
	for name, y := range inB {
		if _, ok := inA[name]; ok {
			continue
		}
		sub, err := subtree(b, y)
		if err != nil {
			return err
		}
		if sub == nil {
			*paths = append(*paths, prefix+name)
		} else if err := diffTrees(prefix+name+"/", nil, sub, paths); err != nil {
			return err
		}
	}
	return nil
}

// subtree returns the tree of entry e of t when it is a directory, nil
// otherwise.
func subtree(t *object.Tree, e object.TreeEntry) (*object.Tree, error) {
	if e.Mode != filemode.Dir {
		return nil, nil
	}
	return t.Tree(e.Name)
}

// checkoutTree reads the tree of a checkout's commit from its object
// store.
func checkoutTree(co Checkout) (*object.Tree, error) {
	repo, err := git.PlainOpen(co.Dir)
	if err != nil {
		return nil, fmt.Errorf("open checkout of %s: %w", shortSHA(co.Commit), err)
	}
	commit, err := repo.CommitObject(plumbing.NewHash(co.Commit))
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", shortSHA(co.Commit), err)
	}
	return commit.Tree()
}
