package gitsync

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPollFallsBackToAFullFetchWhenTheServerCannotDoShallow(t *testing.T) {
	root := t.TempDir()
	o := newOrigin(t, root, "origin")
	o.commit(map[string]string{"a.yaml": "1\n"})
	head := o.commit(map[string]string{"a.yaml": "2\n"})
	bare := filepath.Join(root, "origin.git")
	runGit(t, root, "clone", "-q", "--bare", o.dir, bare)
	repo := mustNew(t, Options{URL: "gogit://" + bare, Branch: "main", Dir: t.TempDir()})

	got, _, err := repo.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Commit != head {
		t.Errorf("checked out %s, want the head %s", got.Commit, head)
	}
	if diff := cmp.Diff(map[string]string{"a.yaml": "2\n"}, treeFiles(t, got.Dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if n := commitCount(t, got.Dir); n != 2 {
		t.Errorf("the checkout's repository holds %d commits, want the full history of 2", n)
	}
}
