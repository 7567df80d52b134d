package gitsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// RevertDraft is a revert being prepared by [Repository.PrepareRevert]:
// the head of the watched branch, Good and Bad fetched into a scratch
// repository, and the changes from Good to Bad of RevertRequest.Paths cut
// into hunks. The caller chooses which hunks to revert, may look at the
// tree a choice leaves ([RevertDraft.Tree]) — to render it, say — and
// pushes one choice ([RevertDraft.Push]). Close removes it.
//
// A choice is a list of indices into Hunks; duplicates and order do not
// matter. A RevertDraft is not safe for concurrent use.
type RevertDraft struct {
	repo    *Repository
	req     RevertRequest
	work    *scratch
	base    *object.Commit
	changes []*fileChange
	hunks   []Hunk
	// owner maps a hunk to its change and its index among the change's
	// line hunks.
	owner []hunkRef
	// treeDir is where Tree writes the head's tree, once; written holds
	// the version of each changed path written there last.
	treeDir string
	written map[string]fileVersion
}

// hunkRef locates a public hunk in the draft's changes.
type hunkRef struct{ change, index int }

// PrepareRevert fetches the head of the watched branch, req.Good and
// req.Bad as [Repository.PushRevert] does, and returns the changes from
// Good to Bad of req.Paths as hunks, each with whether it reverts alone
// on the head. req.Branch names the branch that Push creates;
// req.Partial is ignored (the caller chooses).
//
// Errors are those of PushRevert before its push: request errors are
// plain, the others [*Error]. A draft without hunks is not an error.
// The draft holds a directory under Options.Dir until Close.
func (r *Repository) PrepareRevert(ctx context.Context, req RevertRequest) (*RevertDraft, error) {
	paths, err := req.check(r.branch)
	if err != nil {
		return nil, err
	}
	req.Good, req.Bad = strings.ToLower(req.Good), strings.ToLower(req.Bad)
	r.mu.Lock()
	defer r.mu.Unlock()
	creds, err := r.credentials()
	if err != nil {
		return nil, r.fail("auth", req.Branch, err, creds)
	}
	adv, err := r.listRemote(ctx, creds)
	if err != nil {
		return nil, r.fail("ls-remote", req.Branch, err, creds)
	}
	return r.prepare(ctx, creds, adv, req, paths)
}

// prepare is PrepareRevert once the remote is listed; r.mu is held.
func (r *Repository) prepare(ctx context.Context, creds credentials, adv advertisement, req RevertRequest, paths []string) (*RevertDraft, error) {
	if _, err := adv.branchHead(r.branch); err != nil {
		return nil, r.fail("ls-remote", req.Branch, err, creds)
	}
	work, err := r.newScratch()
	if err != nil {
		return nil, r.fail("revert", req.Branch, err, creds)
	}
	refSpecs, depth := revertRefSpecs(adv, r.branch, req.Good, req.Bad)
	if err := r.fetchInto(ctx, creds, work, refSpecs, depth); err != nil {
		work.remove()
		return nil, r.fail("fetch", req.Branch, err, creds)
	}
	base, good, bad, err := work.revertCommits(r.branch, req.Good, req.Bad)
	if err != nil {
		work.remove()
		return nil, r.fail("fetch", req.Branch, err, creds)
	}
	d := &RevertDraft{repo: r, req: req, work: work, base: base, written: map[string]fileVersion{}}
	if err := d.cut(good, bad, paths); err != nil {
		work.remove()
		return nil, r.fail("revert", req.Branch, err, creds)
	}
	r.drafts[work.dir] = true
	return d, nil
}

// cut reads the three versions of every path and cuts the changes into
// hunks. A path that is not a regular file in one of the commits is one
// Whole hunk that conflicts.
func (d *RevertDraft) cut(good, bad *object.Commit, paths []string) error {
	commits := []*object.Commit{d.base, good, bad}
	trees := make([]*object.Tree, 3)
	for i, c := range commits {
		tree, err := c.Tree()
		if err != nil {
			return fmt.Errorf("tree of %s: %w", c.Hash, err)
		}
		trees[i] = tree
	}
	badShort := shortSHA(bad.Hash.String())
paths:
	for _, p := range paths {
		versions := make([]fileVersion, 3)
		for i, tree := range trees {
			version, err := readVersion(tree, p)
			if errors.Is(err, errNotAFile) {
				d.hunks = append(d.hunks, Hunk{Path: p, Whole: true, Conflict: "not a regular file in " + shortSHA(commits[i].Hash.String())})
				d.owner = append(d.owner, hunkRef{change: -1})
				continue paths
			}
			if err != nil {
				return err
			}
			versions[i] = version
		}
		change := newFileChange(p, versions[1], versions[2], versions[0])
		if change == nil {
			continue
		}
		d.changes = append(d.changes, change)
		for i, h := range change.publicHunks(badShort) {
			d.hunks = append(d.hunks, h)
			d.owner = append(d.owner, hunkRef{change: len(d.changes) - 1, index: i})
		}
	}
	return nil
}

// Hunks returns the hunks, by path then position. A hunk's index is its
// identity in a choice.
func (d *RevertDraft) Hunks() []Hunk { return slices.Clone(d.hunks) }

// Base returns the full SHA of the head of the watched branch that the
// draft reverts on.
func (d *RevertDraft) Base() string { return d.base.Hash.String() }

// files returns the new version of every path a choice changes on the
// head, by path; a version that does not exist deletes the file.
// A choice that does not revert cleanly gives a *ConflictError naming the
// first path in the way; an index out of range or a hunk that is not a
// file is an error too.
func (d *RevertDraft) files(choice []int) (map[string]fileVersion, error) {
	byChange := map[int][]int{}
	for _, i := range choice {
		if i < 0 || i >= len(d.hunks) {
			return nil, fmt.Errorf("hunk %d: out of range", i)
		}
		ref := d.owner[i]
		if ref.change < 0 {
			return nil, &ConflictError{Path: d.hunks[i].Path, Base: d.Base(), Reason: d.hunks[i].Conflict}
		}
		if !slices.Contains(byChange[ref.change], ref.index) {
			byChange[ref.change] = append(byChange[ref.change], ref.index)
		}
	}
	files := map[string]fileVersion{}
	for _, ci := range slices.Sorted(maps.Keys(byChange)) {
		change := d.changes[ci]
		chosen := byChange[ci]
		slices.Sort(chosen)
		result, conflict := change.revert(chosen)
		if conflict != "" {
			return nil, &ConflictError{Path: change.path, Base: d.Base(), Reason: fmt.Sprintf(conflict, shortSHA(d.req.Bad))}
		}
		if !result.same(change.head) {
			files[change.path] = result
		}
	}
	return files, nil
}

// Tree writes the tree that a choice leaves — the head with the chosen
// hunks reverted — into a directory of the draft and returns it. The
// directory is the same for every call: each call rewrites the changed
// paths, so what a previous call returned must no longer be read. The
// head's symbolic links are written as links; submodules are left out.
// Errors are those of files (a conflict is a *ConflictError), or of
// writing the files.
func (d *RevertDraft) Tree(choice []int) (string, error) {
	files, err := d.files(choice)
	if err != nil {
		return "", err
	}
	if d.treeDir == "" {
		dir := filepath.Join(d.work.dir, "tree")
		if err := writeTreeTo(d.base, dir); err != nil {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("write tree of %s: %w", shortSHA(d.Base()), err)
		}
		d.treeDir = dir
	}
	for _, change := range d.changes {
		want, ok := files[change.path]
		if !ok {
			want = change.head
		}
		if last, ok := d.written[change.path]; ok && last.same(want) || !ok && want.same(change.head) {
			continue
		}
		if err := writeFileVersion(d.treeDir, change.path, want); err != nil {
			return "", fmt.Errorf("write %s: %w", change.path, err)
		}
		d.written[change.path] = want
	}
	return d.treeDir, nil
}

// Push pushes the choice as one commit on the head to the branch of the
// request and returns it, as [Repository.PushRevert] does: an existing
// branch is reported with Existed and nothing is pushed; a choice that
// changes nothing fails with [ErrNothingToRevert]; a choice that
// conflicts with a *ConflictError. RevertResult.Conflicts is empty: the
// caller knows what it left out.
func (d *RevertDraft) Push(ctx context.Context, choice []int) (RevertResult, error) {
	if _, err := d.files(choice); err != nil {
		return RevertResult{}, err
	}
	r := d.repo
	r.mu.Lock()
	defer r.mu.Unlock()
	creds, err := r.credentials()
	if err != nil {
		return RevertResult{}, r.fail("auth", d.req.Branch, err, creds)
	}
	adv, err := r.listRemote(ctx, creds)
	if err != nil {
		return RevertResult{}, r.fail("ls-remote", d.req.Branch, err, creds)
	}
	if _, ok := adv.refs[plumbing.NewBranchReferenceName(d.req.Branch)]; ok {
		return r.existingRevert(ctx, creds, adv, d.req.Branch)
	}
	return d.push(ctx, creds, choice)
}

// push writes the choice's commit and pushes it; r.mu is held.
func (d *RevertDraft) push(ctx context.Context, creds credentials, choice []int) (RevertResult, error) {
	r := d.repo
	files, err := d.files(choice)
	if err != nil {
		return RevertResult{}, err
	}
	if len(files) == 0 {
		return RevertResult{}, fmt.Errorf("revert %s on %s: the branch already has the content of %s: %w",
			shortSHA(d.req.Bad), shortSHA(d.Base()), shortSHA(d.req.Good), ErrNothingToRevert)
	}
	commit, err := writeCommit(d.work.repo.Storer, commitSpec{
		parent: d.base, files: files, author: signature(d.req.Author, d.req.now()), message: d.req.message(),
	})
	if err != nil {
		return RevertResult{}, r.fail("revert", d.req.Branch, err, creds)
	}
	if err := r.push(ctx, creds, d.work, commit, d.req.Branch); err != nil {
		return RevertResult{}, r.fail("push", d.req.Branch, err, creds)
	}
	return RevertResult{Branch: d.req.Branch, Commit: commit.String(), Base: d.Base(), Files: slices.Sorted(maps.Keys(files))}, nil
}

// cleanChoice chooses every hunk that reverts cleanly, alone and with the
// others, and returns the conflicts of the paths it leaves out, one per
// path, sorted by path.
func (d *RevertDraft) cleanChoice() ([]int, []ConflictError) {
	left := map[string]ConflictError{}
	for {
		var choice []int
		for i, h := range d.hunks {
			if _, out := left[h.Path]; out {
				continue
			}
			if h.Conflict != "" {
				left[h.Path] = ConflictError{Path: h.Path, Base: d.Base(), Reason: h.Conflict}
				continue
			}
			choice = append(choice, i)
		}
		_, err := d.files(choice)
		var conflict *ConflictError
		if !errors.As(err, &conflict) {
			var conflicts []ConflictError
			for _, path := range slices.Sorted(maps.Keys(left)) {
				conflicts = append(conflicts, left[path])
			}
			var kept []int
			for _, i := range choice {
				if _, out := left[d.hunks[i].Path]; !out {
					kept = append(kept, i)
				}
			}
			return kept, conflicts
		}
		left[conflict.Path] = *conflict
	}
}

// Close removes the draft's directory. It is safe to call twice.
func (d *RevertDraft) Close() {
	d.repo.mu.Lock()
	defer d.repo.mu.Unlock()
	d.close()
}

// close is Close with r.mu held.
func (d *RevertDraft) close() {
	if d.work == nil {
		return
	}
	delete(d.repo.drafts, d.work.dir)
	d.work.remove()
	d.work = nil
}

// writeTreeTo writes the files and symbolic links of commit's tree under
// dir, which must not exist. Entry names are checked: one that would
// leave dir (".." or a separator) or write into a .git directory is an
// error.
func writeTreeTo(commit *object.Commit, dir string) error {
	tree, err := commit.Tree()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		name, entry, err := walker.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := checkTreePath(name); err != nil {
			return err
		}
		switch entry.Mode {
		case filemode.Dir:
			if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(name)), 0o755); err != nil {
				return err
			}
		case filemode.Regular, filemode.Deprecated, filemode.Executable, filemode.Symlink:
			blob, err := tree.TreeEntryFile(&entry)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			content, err := blob.Contents()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := writeFileVersion(dir, name, fileVersion{exists: true, mode: entry.Mode, content: []byte(content)}); err != nil {
				return err
			}
		}
	}
}

// checkTreePath refuses a tree path that could write outside the tree
// or into a .git directory.
func checkTreePath(name string) error {
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." || strings.ContainsRune(part, '\\') || strings.EqualFold(part, ".git") {
			return fmt.Errorf("tree entry %q: not a safe path", name)
		}
	}
	return nil
}

// writeFileVersion writes one version of a slash-separated path under
// dir: a file or a symbolic link with its content as target, or nothing
// (the file removed) when it does not exist.
func writeFileVersion(dir, name string, v fileVersion) error {
	full := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if !v.exists {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	if v.mode == filemode.Symlink {
		return os.Symlink(string(v.content), full)
	}
	perm := os.FileMode(0o644)
	if v.mode == filemode.Executable {
		perm = 0o755
	}
	return os.WriteFile(full, v.content, perm)
}
