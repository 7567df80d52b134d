package gitsync

import (
	"context"
	"os"
	"testing"
)

func TestReleaseRemovesACheckoutButNotPollsOwn(t *testing.T) {
	root := t.TempDir()
	f := newFleet(t, root, nil)
	repo := mustNew(t, Options{URL: "file://" + f.origin.dir, Branch: "main", Dir: t.TempDir()})
	ctx := context.Background()
	head, _, err := repo.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	good, err := repo.Checkout(ctx, f.good)
	if err != nil {
		t.Fatal(err)
	}
	again, err := repo.Checkout(ctx, head.Commit)
	if err != nil {
		t.Fatal(err)
	}
	repo.Release(good)
	repo.Release(again)
	repo.Release(good)
	if _, err := os.Stat(good.Dir); !os.IsNotExist(err) {
		t.Errorf("released checkout %s still there: %v", good.Dir, err)
	}
	if _, err := os.Stat(head.Dir); err != nil {
		t.Errorf("Poll's checkout went with the release of the same commit: %v", err)
	}
}
