package gitsync

import (
	"errors"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
)

func TestWriteCommitReplacesOnlyTheFilesAskedFor(t *testing.T) {
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	// A parent whose names sort differently as files and directories:
	// Git orders "a" the directory after "a.yaml", as if it were "a/".
	parentHash, err := writeCommit(repo.Storer, commitSpec{
		parent: emptyCommit(t, repo),
		files: map[string]fileVersion{
			"a.yaml":          regular("top\n"),
			"a/b.yaml":        regular("b\n"),
			"a/c/d.yaml":      regular("d\n"),
			"a-z.yaml":        regular("dash\n"),
			"keep/k.yaml":     regular("k\n"),
			"bin/run.sh":      {exists: true, mode: filemode.Executable, content: []byte("#!/bin/sh\n")},
			"gone/only.yaml":  regular("only\n"),
			"gone/sub/x.yaml": regular("x\n"),
		},
		author: signature(Signature{}, when), message: "parent\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	parent, err := repo.CommitObject(parentHash)
	if err != nil {
		t.Fatal(err)
	}

	hash, err := writeCommit(repo.Storer, commitSpec{
		parent: parent,
		files: map[string]fileVersion{
			"a/c/d.yaml":      regular("d2\n"),
			"gone/only.yaml":  {},
			"gone/sub/x.yaml": {},
			"new/dir/n.yaml":  regular("n\n"),
			"missing.yaml":    {}, // deleting what is not there is a no-op
		},
		author: signature(Signature{Name: "Ada"}, when), message: "revert\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference("refs/heads/main", hash)); err != nil {
		t.Fatal(err)
	}
	// git itself checks the tree order, modes and commit format.
	runGit(t, dir, "fsck", "--strict", "--no-dangling")
	want := lines(
		"100644 blob a-z.yaml",
		"100644 blob a.yaml",
		"100644 blob a/b.yaml",
		"100644 blob a/c/d.yaml",
		"100755 blob bin/run.sh",
		"100644 blob keep/k.yaml",
		"100644 blob new/dir/n.yaml",
	)
	if diff := cmp.Diff(want, runGit(t, dir, "ls-tree", "-r", "--format=%(objectmode) %(objecttype) %(path)", "main")+"\n"); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	if got := runGit(t, dir, "cat-file", "-p", "main:a/c/d.yaml"); got != "d2" {
		t.Errorf("a/c/d.yaml = %q, want d2", got)
	}
	got := runGit(t, dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%at|%P|%B", "main")
	if want := "Ada <sluice@sluice.dev>|Ada <sluice@sluice.dev>|1714564800|" + parentHash.String() + "|revert"; got != want {
		t.Errorf("commit = %q, want %q", got, want)
	}
}

func TestReadVersionTellsFilesFromOtherEntries(t *testing.T) {
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := writeCommit(repo.Storer, commitSpec{
		parent: emptyCommit(t, repo),
		files: map[string]fileVersion{
			"app/deploy.yaml": regular("image: 1\n"),
			"link":            {exists: true, mode: filemode.Symlink, content: []byte("app/deploy.yaml")},
		},
		author: signature(Signature{}, time.Unix(0, 0)), message: "files\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	commit, err := repo.CommitObject(hash)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := commit.Tree()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path    string
		want    fileVersion
		wantErr error
	}{
		{path: "app/deploy.yaml", want: regular("image: 1\n")},
		{path: "link", want: fileVersion{exists: true, mode: filemode.Symlink, content: []byte("app/deploy.yaml")}},
		{path: "app/missing.yaml"},
		{path: "nowhere/missing.yaml"},
		{path: "app", wantErr: errNotAFile},
		{path: "app/deploy.yaml/below", wantErr: errNotAFile},
	}
	for _, tt := range cases {
		got, err := readVersion(tree, tt.path)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("readVersion(%q) error = %v, want %v", tt.path, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(fileVersion{})); diff != "" {
			t.Errorf("readVersion(%q) (-want +got):\n%s", tt.path, diff)
		}
	}
}

// emptyCommit stores a commit with an empty tree, to build on.
func emptyCommit(t *testing.T, repo *git.Repository) *object.Commit {
	t.Helper()
	tree, _, err := writeTree(repo.Storer, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := store(repo.Storer, &object.Commit{
		Author: signature(Signature{}, time.Unix(0, 0)), Committer: signature(Signature{}, time.Unix(0, 0)),
		Message: "empty\n", TreeHash: tree,
	})
	if err != nil {
		t.Fatal(err)
	}
	commit, err := repo.CommitObject(hash)
	if err != nil {
		t.Fatal(err)
	}
	return commit
}
