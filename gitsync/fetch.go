package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// fetchRequest says what to fetch into a fresh repository and which commit
// of it to check out.
type fetchRequest struct {
	// label is the ref as the caller named it, for errors.
	label string
	// refSpecs are fetched from the remote.
	refSpecs []config.RefSpec
	// depth is 1 for a shallow fetch, 0 for the full history.
	depth int
	// resolve picks the commit to check out from what was fetched.
	resolve func(*git.Repository) (plumbing.Hash, error)
	// branch, when set, is created at the commit and checked out; when
	// empty, HEAD is detached at the commit.
	branch string
	// ref becomes Checkout.Ref.
	ref plumbing.ReferenceName
}

// refRequest fetches one remote reference and checks out the commit it
// points to, on a local branch of the same name when it is a branch.
func refRequest(name plumbing.ReferenceName, depth int) fetchRequest {
	local := localRefName(name)
	req := fetchRequest{
		label:    name.Short(),
		refSpecs: []config.RefSpec{config.RefSpec(fmt.Sprintf("+%s:%s", name, local))},
		depth:    depth,
		resolve: func(repo *git.Repository) (plumbing.Hash, error) {
			ref, err := repo.Reference(local, true)
			if err != nil {
				return plumbing.ZeroHash, fmt.Errorf("fetched %s: %w", name, err)
			}
			return peelToCommit(repo, ref.Hash())
		},
		ref: name,
	}
	if name.IsBranch() {
		req.branch = name.Short()
	}
	return req
}

// localRefName is where a fetched remote reference is stored: branches under
// refs/remotes/origin/, every other reference under its own name.
func localRefName(name plumbing.ReferenceName) plumbing.ReferenceName {
	if name.IsBranch() {
		return plumbing.NewRemoteReferenceName("origin", name.Short())
	}
	return name
}

// peelToCommit returns the commit hash points to, following annotated tags.
func peelToCommit(repo *git.Repository, hash plumbing.Hash) (plumbing.Hash, error) {
	if _, err := repo.CommitObject(hash); err == nil {
		return hash, nil
	}
	tag, err := repo.TagObject(hash)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("object %s is neither a commit nor a tag: %w", hash, err)
	}
	commit, err := tag.Commit()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("tag %s: %w", tag.Name, err)
	}
	return commit.Hash, nil
}

// fetch builds a checkout in a temporary directory under Dir — a new
// repository, the fetch, the working tree — and renames it to Dir/<sha>
// once complete. On failure the temporary directory is removed and nothing
// that callers read has changed. A commit already checked out by this
// Repository is not written twice: its existing checkout is returned.
func (r *Repository) fetch(ctx context.Context, creds credentials, req fetchRequest) (Checkout, error) {
	tmp, err := os.MkdirTemp(r.dir, tmpPrefix+"*")
	if err != nil {
		return Checkout{}, r.fail("checkout", req.label, err, creds)
	}
	defer os.RemoveAll(tmp) // finds nothing once renamed
	repo, err := git.PlainInit(tmp, false)
	if err != nil {
		return Checkout{}, r.fail("checkout", req.label, err, creds)
	}
	remote, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.remote.url}, Fetch: req.refSpecs})
	if err != nil {
		return Checkout{}, r.fail("checkout", req.label, err, creds)
	}
	r.fetches.Add(1)
	err = remote.FetchContext(ctx, &git.FetchOptions{RefSpecs: req.refSpecs, Depth: req.depth, Auth: creds.method, Tags: git.NoTags})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return Checkout{}, r.fail("fetch", req.label, err, creds)
	}
	commit, err := req.resolve(repo)
	if err != nil {
		return Checkout{}, r.fail("fetch", req.label, err, creds)
	}
	if existing, ok := r.known(commit.String(), req.ref); ok {
		return existing, nil
	}
	if err := checkoutCommit(repo, commit, req.branch); err != nil {
		return Checkout{}, r.fail("checkout", req.label, err, creds)
	}
	r.checkouts.Add(1)
	final := filepath.Join(r.dir, commit.String())
	// A directory of that name is a leftover of an earlier process.
	if err := os.RemoveAll(final); err != nil {
		return Checkout{}, r.fail("checkout", req.label, err, creds)
	}
	if err := os.Rename(tmp, final); err != nil {
		return Checkout{}, r.fail("checkout", req.label, err, creds)
	}
	return Checkout{Commit: commit.String(), Dir: final, Ref: string(req.ref)}, nil
}

// checkoutCommit writes the working tree of commit, on a new local branch
// when branch is set, with a detached HEAD otherwise.
func checkoutCommit(repo *git.Repository, commit plumbing.Hash, branch string) error {
	worktree, err := repo.Worktree()
	if err != nil {
		return err
	}
	opts := &git.CheckoutOptions{Hash: commit, Force: true}
	if branch != "" {
		opts.Branch = plumbing.NewBranchReferenceName(branch)
		opts.Create = true
	}
	return worktree.Checkout(opts)
}

// known returns the checkout of commit that this Repository already holds,
// if any, with Ref set to ref.
func (r *Repository) known(commit string, ref plumbing.ReferenceName) (Checkout, bool) {
	candidates := []Checkout{r.current, r.previous}
	for _, pinned := range r.pinned {
		candidates = append(candidates, pinned)
	}
	for _, c := range candidates {
		if c.Commit != "" && c.Commit == commit {
			c.Ref = string(ref)
			return c, true
		}
	}
	return Checkout{}, false
}

// depth returns the fetch depth the remote allows: 1 when it advertises the
// shallow capability, else 0, the full history. git's own upload-pack (used
// by smart HTTP, ssh and the file transport) supports shallow fetch; go-git's
// in-process server does not.
func (a advertisement) depth() int {
	if a.shallow {
		return 1
	}
	return 0
}
