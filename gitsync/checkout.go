package gitsync

import (
	"context"
	"fmt"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Checkout fetches ref and checks it out into Options.Dir/<sha>, for
// previews of a revision other than the watched head (sluice plan --ref).
//
// ref is, in this order of precedence: a full reference name
// ("refs/heads/main"), a branch name, a tag name, or a commit SHA, full or
// abbreviated to at least 4 hex digits. A branch, a tag, and a full SHA that
// is the tip of a remote reference are fetched with depth 1 (see Poll). A full
// SHA is also fetched alone with depth 1 when the server lets clients ask for
// any reachable commit (uploadpack.allowReachableSHA1InWant, as on GitHub).
// Otherwise the history of every branch and tag is fetched and the SHA looked
// up in it; an abbreviation that matches several commits is an error.
//
// The checkout is never removed by the Repository; the caller owns it (and
// Options.Dir). A commit the Repository already holds is returned without a
// fetch. Errors are [*Error]; a ref the remote does not have is
// [KindNotFound].
func (r *Repository) Checkout(ctx context.Context, ref string) (Checkout, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	creds, err := r.credentials()
	if err != nil {
		return Checkout{}, r.fail("auth", ref, err, creds)
	}
	adv, err := r.listRemote(ctx, creds)
	if err != nil {
		return Checkout{}, r.fail("ls-remote", ref, err, creds)
	}
	target, err := resolveTarget(adv, ref)
	if err != nil {
		return Checkout{}, r.fail("ls-remote", ref, err, creds)
	}
	checkout, ok := r.known(target.commit, target.checkoutRef)
	if !ok {
		if checkout, err = r.fetch(ctx, creds, target.request(ref, adv.depth())); err != nil {
			return Checkout{}, err
		}
	}
	r.pinned[checkout.Dir] = checkout
	return checkout, nil
}

// target is what a ref given to Checkout designates on the remote.
type target struct {
	// fetchRef is the remote reference to fetch, when ref names one or its
	// tip; empty when fetching by commit.
	fetchRef plumbing.ReferenceName
	// checkoutRef becomes Checkout.Ref: fetchRef when ref named it, empty
	// when ref was a SHA.
	checkoutRef plumbing.ReferenceName
	// commit is the full SHA, when the listing tells it.
	commit string
	// bySHA asks the server for commit alone.
	bySHA bool
	// prefix is the SHA or abbreviation to look up in the full history,
	// when neither a reference nor the server can provide the commit.
	prefix string
}

// resolveTarget finds what ref designates among the advertised references.
func resolveTarget(adv advertisement, ref string) (target, error) {
	if ref == "" {
		return target{}, fmt.Errorf("empty ref %w", errNotFound)
	}
	names := []plumbing.ReferenceName{plumbing.NewBranchReferenceName(ref), plumbing.NewTagReferenceName(ref)}
	if strings.HasPrefix(ref, "refs/") {
		names = append([]plumbing.ReferenceName{plumbing.ReferenceName(ref)}, names...)
	}
	for _, name := range names {
		if hash, ok := adv.refs[name]; ok {
			commit := hash
			if peeled, ok := adv.peeled[name]; ok {
				commit = peeled
			}
			return target{fetchRef: name, checkoutRef: name, commit: commit.String()}, nil
		}
	}
	if !isHex(ref) || len(ref) < 4 || len(ref) > 40 {
		return target{}, fmt.Errorf("%q is not a branch, a tag or a commit SHA of the remote: %w", ref, errNotFound)
	}
	sha := strings.ToLower(ref)
	switch {
	case len(sha) < 40:
		return target{prefix: sha}, nil
	case adv.tip(sha) != "":
		return target{fetchRef: adv.tip(sha), commit: sha}, nil
	case adv.exactSHA:
		return target{commit: sha, bySHA: true}, nil
	}
	return target{commit: sha, prefix: sha}, nil
}

// tip returns the reference whose tip is commit, preferring branches, then
// tags, then other references, each by name; empty when there is none.
func (a advertisement) tip(commit string) plumbing.ReferenceName {
	var names []plumbing.ReferenceName
	for name, hash := range a.refs {
		peeled, ok := a.peeled[name]
		if hash.String() == commit || ok && peeled.String() == commit {
			names = append(names, name)
		}
	}
	rank := func(name plumbing.ReferenceName) int {
		switch {
		case name.IsBranch():
			return 0
		case name.IsTag():
			return 1
		}
		return 2
	}
	sort.Slice(names, func(i, j int) bool {
		if rank(names[i]) != rank(names[j]) {
			return rank(names[i]) < rank(names[j])
		}
		return names[i] < names[j]
	})
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// request turns the target into a fetch. label names it in errors.
func (t target) request(label string, depth int) fetchRequest {
	switch {
	case t.fetchRef != "":
		req := refRequest(t.fetchRef, depth)
		req.label = label
		req.ref = t.checkoutRef
		if t.checkoutRef == "" {
			// Asked by SHA: check out that commit and no other, even if
			// the reference moved since the listing.
			req.branch = ""
			req.resolve = func(repo *git.Repository) (plumbing.Hash, error) {
				commit := plumbing.NewHash(t.commit)
				if _, err := repo.CommitObject(commit); err != nil {
					return plumbing.ZeroHash, fmt.Errorf("%s moved away from commit %s since it was listed", t.fetchRef, t.commit)
				}
				return commit, nil
			}
		}
		return req
	case t.bySHA:
		return fetchRequest{
			label:    label,
			refSpecs: []config.RefSpec{config.RefSpec(t.commit + ":refs/sluice/checkout")},
			depth:    depth,
			resolve:  lookupCommit(t.commit),
		}
	}
	return fetchRequest{
		label: label,
		refSpecs: []config.RefSpec{
			"+refs/heads/*:refs/remotes/origin/*",
			"+refs/tags/*:refs/tags/*",
		},
		resolve: lookupCommit(t.prefix),
	}
}

// lookupCommit finds the one fetched commit whose SHA starts with prefix.
func lookupCommit(prefix string) func(*git.Repository) (plumbing.Hash, error) {
	return func(repo *git.Repository) (plumbing.Hash, error) {
		if len(prefix) == 40 {
			if _, err := repo.CommitObject(plumbing.NewHash(prefix)); err != nil {
				return plumbing.ZeroHash, fmt.Errorf("commit %s %w in what the remote sent", prefix, errNotFound)
			}
			return plumbing.NewHash(prefix), nil
		}
		commits, err := repo.CommitObjects()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		var matches []plumbing.Hash
		err = commits.ForEach(func(c *object.Commit) error {
			if strings.HasPrefix(c.Hash.String(), prefix) {
				matches = append(matches, c.Hash)
			}
			return nil
		})
		switch {
		case err != nil:
			return plumbing.ZeroHash, err
		case len(matches) == 0:
			return plumbing.ZeroHash, fmt.Errorf("commit %s %w on any branch or tag", prefix, errNotFound)
		case len(matches) > 1:
			return plumbing.ZeroHash, fmt.Errorf("commit %s is ambiguous (%d commits): %w", prefix, len(matches), errNotFound)
		}
		return matches[0], nil
	}
}

// isHex reports whether s is made of hexadecimal digits only.
func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}
