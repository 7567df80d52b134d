package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// RevertRequest asks [Repository.PushRevert] for a branch that undoes a
// failed change.
type RevertRequest struct {
	// Good is the last promoted commit, a full SHA. Required.
	Good string
	// Bad is the failed commit, a full SHA. Required. Usually a descendant
	// of Good, but any commit works: what is reverted is the difference
	// from Good to Bad.
	Bad string
	// Paths are the files whose change from Good to Bad is reverted:
	// relative to the root of the repository, slash-separated, clean
	// ("detail/deployment.yaml", never "./detail" nor "a/../b"). Other
	// files are never touched, whatever Good and Bad hold. Duplicates are
	// ignored. Empty: there is nothing to revert.
	Paths []string
	// Branch is the branch to create on the remote, as a short name such
	// as "sluice/revert-detail-1a2b3c4". Required; it must not be the
	// watched branch.
	Branch string
	// Message is the commit message. Zero: "Revert <Bad> to <Good>" with
	// both abbreviated. A missing final newline is added.
	Message string
	// Author is the author and committer of the commit. Zero fields take
	// sluice's own: sluice <sluice@sluice.dev>.
	Author Signature
	// Now is the commit time. Zero: the time of the call.
	Now time.Time
	// Partial reverts the paths that revert cleanly when others conflict,
	// and lists the others in RevertResult.Conflicts. When every path that
	// changed conflicts, PushRevert still fails with the first
	// *ConflictError. False: any conflict fails the whole revert.
	Partial bool
}

// Signature names the author of a commit sluice writes.
type Signature struct {
	// Name is the author's name. Zero: "sluice".
	Name string
	// Email is the author's address. Zero: "sluice@sluice.dev".
	Email string
}

// RevertResult is the branch [Repository.PushRevert] pushed, or found.
type RevertResult struct {
	// Branch is RevertRequest.Branch.
	Branch string
	// Commit is the full SHA of the revert commit: the tip of Branch.
	Commit string
	// Base is the full SHA of Commit's parent: the head of the watched
	// branch the revert was made on. Empty when an existing branch's tip
	// has no parent.
	Base string
	// Files are the paths Commit changes from Base, sorted.
	Files []string
	// Conflicts are the paths RevertRequest.Partial left as they are on
	// Base because the branch changed the same lines since Bad, sorted by
	// path. Always empty when Existed.
	Conflicts []ConflictError
	// Existed is true when Branch was already on the remote, from an
	// earlier call (a restarted sluice) or anyone else: nothing was pushed,
	// and Commit, Base and Files describe the branch's tip as it is, against
	// its first parent, whatever its content.
	Existed bool
}

// ErrNothingToRevert is returned, wrapped, by [Repository.PushRevert] when
// the head of the watched branch already has Good's version of every path:
// no commit is made and nothing is pushed. Test it with errors.Is.
var ErrNothingToRevert = errors.New("nothing to revert")

// ConflictError is returned by [Repository.PushRevert] when the change of
// a path cannot be reverted on the head of the watched branch because the
// branch changed the same lines (or deleted, re-created, or changed the
// mode of the file) since the failed commit. Nothing is pushed; a retry on
// the same head gives the same conflict.
type ConflictError struct {
	// Path is the file that cannot be reverted, as in RevertRequest.Paths.
	// When several can't, the first in lexical order.
	Path string
	// Base is the full SHA of the branch head the revert was tried on.
	Base string
	// Reason says what is in the way, such as "the branch changed the
	// same lines since 1a2b3c4" (the failed commit, abbreviated).
	Reason string
}

// Error reads "revert <path>: <reason>".
func (e *ConflictError) Error() string { return "revert " + e.Path + ": " + e.Reason }

// PushRevert pushes a branch with one commit that reverts, on top of the
// current head of the watched branch, the changes from req.Good to req.Bad
// to req.Paths, as `git revert` would for those files alone.
//
// It first lists the remote's references. When req.Branch is already
// there, nothing is pushed: the result has Existed set and describes the
// branch's tip, its parent and the files the tip changes, read from a fetch
// of depth 2 (the branch's whole history when the server cannot do shallow
// fetch). So a repeated call — a restarted sluice — never pushes twice.
//
// Otherwise the head of the watched branch, Good and Bad are fetched into a
// temporary repository under Options.Dir, removed before PushRevert
// returns. Each is fetched with depth 1 when it is the tip of a remote
// reference or when the server serves commits by SHA
// (uploadpack.allowReachableSHA1InWant, as on GitHub); else the history of
// every branch and tag is fetched, as [Repository.Checkout] does. For each
// path whose Good and Bad versions differ: when the head still has Bad's
// version it gets Good's (created or deleted as needed); else Bad→Good is
// merged into the head line by line (diff3), which fails with a
// [*ConflictError] when the branch changed the same or adjacent lines since
// Bad, and never places a change by a guess. When no path changes,
// PushRevert fails with [ErrNothingToRevert]. Otherwise the commit, whose
// only parent is the head as fetched (newer than the listing if the branch
// moved in between), is pushed to refs/heads/<req.Branch> with the fetch's
// credentials, never forced: a branch of that name that appeared since the
// listing is not overwritten, the push fails (a later call then finds it
// and reports Existed) unless the revert descends from its tip.
//
// Errors of the request (a SHA that is not full, a bad branch name or
// path) are plain errors and nothing is contacted. A conflict is a
// *ConflictError, nothing to revert wraps ErrNothingToRevert; every other
// error is an [*Error], with Ref req.Branch and Op "auth", "ls-remote",
// "fetch", "revert" (writing the commit locally) or "push"; a Good or Bad
// the remote does not have is [KindNotFound]. PushRevert does not retry.
func (r *Repository) PushRevert(ctx context.Context, req RevertRequest) (RevertResult, error) {
	paths, err := req.check(r.branch)
	if err != nil {
		return RevertResult{}, err
	}
	req.Good, req.Bad = strings.ToLower(req.Good), strings.ToLower(req.Bad)
	r.mu.Lock()
	defer r.mu.Unlock()
	creds, err := r.credentials()
	if err != nil {
		return RevertResult{}, r.fail("auth", req.Branch, err, creds)
	}
	adv, err := r.listRemote(ctx, creds)
	if err != nil {
		return RevertResult{}, r.fail("ls-remote", req.Branch, err, creds)
	}
	if _, ok := adv.refs[plumbing.NewBranchReferenceName(req.Branch)]; ok {
		return r.existingRevert(ctx, creds, adv, req.Branch)
	}
	if _, err := adv.branchHead(r.branch); err != nil {
		return RevertResult{}, r.fail("ls-remote", req.Branch, err, creds)
	}
	if len(paths) == 0 {
		return RevertResult{}, fmt.Errorf("revert %s: no paths: %w", shortSHA(req.Bad), ErrNothingToRevert)
	}

	// Fetch the head, Good and Bad, and revert every hunk that can be.
	d, err := r.prepare(ctx, creds, adv, req, paths)
	if err != nil {
		return RevertResult{}, err
	}
	defer d.close()
	choice, conflicts := d.cleanChoice()
	if len(conflicts) > 0 && (!req.Partial || len(choice) == 0) {
		return RevertResult{}, &conflicts[0]
	}

	// Write the commit on the head and push it.
	result, err := d.push(ctx, creds, choice)
	if err != nil {
		return RevertResult{}, err
	}
	result.Conflicts = conflicts
	return result, nil
}

// check validates the request and returns its paths, sorted, without
// duplicates.
func (req RevertRequest) check(watched string) ([]string, error) {
	for _, c := range []struct{ field, sha string }{{"Good", req.Good}, {"Bad", req.Bad}} {
		if !plumbing.IsHash(c.sha) {
			return nil, fmt.Errorf("gitsync: revert: %s: %q is not a full commit SHA", c.field, c.sha)
		}
	}
	if req.Branch == "" {
		return nil, fmt.Errorf("gitsync: revert: Branch: required")
	}
	if err := plumbing.NewBranchReferenceName(req.Branch).Validate(); err != nil {
		return nil, fmt.Errorf("gitsync: revert: Branch %q: %w", req.Branch, err)
	}
	if req.Branch == watched {
		return nil, fmt.Errorf("gitsync: revert: Branch %q: is the watched branch", req.Branch)
	}
	paths := slices.Clone(req.Paths)
	for _, p := range paths {
		if p == "" || path.Clean(p) != p || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") || strings.ContainsRune(p, '\\') {
			return nil, fmt.Errorf("gitsync: revert: Paths: %q is not a clean, relative, slash-separated path", p)
		}
		if slices.Contains(strings.Split(p, "/"), ".git") {
			return nil, fmt.Errorf("gitsync: revert: Paths: %q is inside .git", p)
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths), nil
}

// message is the commit message, ending with a newline.
func (req RevertRequest) message() string {
	msg := req.Message
	if msg == "" {
		msg = fmt.Sprintf("Revert %s to %s", shortSHA(req.Bad), shortSHA(req.Good))
	}
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	return msg
}

// now is the commit time.
func (req RevertRequest) now() time.Time {
	if req.Now.IsZero() {
		return time.Now()
	}
	return req.Now
}

// revertRefSpecs returns what to fetch so that a repository holds the head
// of the watched branch and the given commits, and with which depth: each
// commit by the remote reference it is the tip of, or by its SHA when the
// server allows it, with depth 1 when the server can; otherwise every
// branch and tag with their whole history.
func revertRefSpecs(adv advertisement, branch string, commits ...string) ([]config.RefSpec, int) {
	head := plumbing.NewBranchReferenceName(branch)
	refSpecs := []config.RefSpec{config.RefSpec(fmt.Sprintf("+%s:%s", head, localRefName(head)))}
	for i, commit := range commits {
		var refSpec config.RefSpec
		switch name := adv.tip(commit); {
		case name != "":
			refSpec = config.RefSpec(fmt.Sprintf("+%s:%s", name, localRefName(name)))
		case adv.exactSHA:
			refSpec = config.RefSpec(fmt.Sprintf("%s:refs/sluice/revert-%d", commit, i))
		default:
			return []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"}, 0
		}
		if !slices.Contains(refSpecs, refSpec) {
			refSpecs = append(refSpecs, refSpec)
		}
	}
	return refSpecs, adv.depth()
}

// existingRevert describes a revert branch that is already on the remote.
func (r *Repository) existingRevert(ctx context.Context, creds credentials, adv advertisement, branch string) (RevertResult, error) {
	work, err := r.newScratch()
	if err != nil {
		return RevertResult{}, r.fail("revert", branch, err, creds)
	}
	defer work.remove()
	name := plumbing.NewBranchReferenceName(branch)
	depth := 2 * adv.depth()
	if err := r.fetchInto(ctx, creds, work, []config.RefSpec{config.RefSpec(fmt.Sprintf("+%s:%s", name, localRefName(name)))}, depth); err != nil {
		return RevertResult{}, r.fail("fetch", branch, err, creds)
	}
	result, err := work.describe(localRefName(name))
	if err != nil {
		return RevertResult{}, r.fail("fetch", branch, err, creds)
	}
	result.Branch = branch
	return result, nil
}

// scratch is a bare repository in a temporary directory under Options.Dir,
// with the remote as "origin", that a write-back fetches into and pushes
// from. Its name starts with tmpPrefix, so that Poll sweeps one left over
// by a crash.
type scratch struct {
	dir    string
	repo   *git.Repository
	origin *git.Remote
}

// newScratch creates a scratch repository.
func (r *Repository) newScratch() (*scratch, error) {
	dir, err := os.MkdirTemp(r.dir, tmpPrefix+"*")
	if err != nil {
		return nil, err
	}
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	origin, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.remote.url}})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &scratch{dir: dir, repo: repo, origin: origin}, nil
}

// remove deletes the scratch repository.
func (s *scratch) remove() { _ = os.RemoveAll(s.dir) }

// fetchInto fetches refSpecs into the scratch repository; depth 0 is the
// whole history.
//
// A remote that hangs up while the wants are still being sent has usually
// refused one (git upload-pack answers a want it does not have with
// "not our ref" and exits); the client then sees only a broken pipe, which
// would pass for a transient failure. The fetch is tried again, up to
// five times in all, to read the remote's reason.
func (r *Repository) fetchInto(ctx context.Context, creds credentials, s *scratch, refSpecs []config.RefSpec, depth int) error {
	var err error
	for range 5 {
		r.fetches.Add(1)
		err = s.origin.FetchContext(ctx, &git.FetchOptions{RefSpecs: refSpecs, Depth: depth, Auth: creds.method, Tags: git.NoTags})
		if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil
		}
		if !errors.Is(err, syscall.EPIPE) && !strings.Contains(err.Error(), "broken pipe") {
			return err
		}
	}
	return err
}

// revertCommits returns the fetched head of the watched branch, and the
// commits good and bad.
func (s *scratch) revertCommits(branch, good, bad string) (head, goodCommit, badCommit *object.Commit, err error) {
	ref, err := s.repo.Reference(localRefName(plumbing.NewBranchReferenceName(branch)), true)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("fetched branch %s: %w", branch, err)
	}
	commits := make([]*object.Commit, 3)
	for i, sha := range []string{ref.Hash().String(), good, bad} {
		hash, err := lookupCommit(sha)(s.repo)
		if err != nil {
			return nil, nil, nil, err
		}
		if commits[i], err = s.repo.CommitObject(hash); err != nil {
			return nil, nil, nil, fmt.Errorf("commit %s: %w", sha, err)
		}
	}
	return commits[0], commits[1], commits[2], nil
}

// describe reads the tip of a fetched reference as a RevertResult: its
// parent and the files it changes.
func (s *scratch) describe(name plumbing.ReferenceName) (RevertResult, error) {
	ref, err := s.repo.Reference(name, true)
	if err != nil {
		return RevertResult{}, fmt.Errorf("fetched %s: %w", name, err)
	}
	tip, err := s.repo.CommitObject(ref.Hash())
	if err != nil {
		return RevertResult{}, fmt.Errorf("fetched %s: %w", name, err)
	}
	result := RevertResult{Commit: tip.Hash.String(), Existed: true}
	tree, err := tip.Tree()
	if err != nil {
		return RevertResult{}, fmt.Errorf("tree of %s: %w", tip.Hash, err)
	}
	var parentTree *object.Tree // nil, an empty tree, for a root commit
	if tip.NumParents() > 0 {
		parent, err := tip.Parent(0)
		if err != nil {
			return RevertResult{}, fmt.Errorf("parent of %s: %w", tip.Hash, err)
		}
		result.Base = parent.Hash.String()
		if parentTree, err = parent.Tree(); err != nil {
			return RevertResult{}, fmt.Errorf("tree of %s: %w", parent.Hash, err)
		}
	}
	changes, err := object.DiffTree(parentTree, tree)
	if err != nil {
		return RevertResult{}, fmt.Errorf("changes of %s: %w", tip.Hash, err)
	}
	for _, change := range changes {
		result.Files = append(result.Files, firstNonEmpty(change.To.Name, change.From.Name))
	}
	slices.Sort(result.Files)
	return result, nil
}

// push creates branch on the remote at commit. It never forces: a branch
// that appeared since the listing fails the push, unless commit descends
// from its tip (then it is fast-forwarded); go-git checks that against the
// references it lists at push time, and the server checks it again.
func (r *Repository) push(ctx context.Context, creds credentials, s *scratch, commit plumbing.Hash, branch string) error {
	name := plumbing.NewBranchReferenceName(branch)
	if err := s.repo.Storer.SetReference(plumbing.NewHashReference(name, commit)); err != nil {
		return err
	}
	r.pushes.Add(1)
	err := s.origin.PushContext(ctx, &git.PushOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec(fmt.Sprintf("%s:%s", name, name))}, // no "+": never forced
		Auth:       creds.method,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return err
	}
	return nil
}

// shortSHA abbreviates a commit SHA to 7 digits for messages.
func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
