package forge

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPullRequestReadsOne(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	head := f.revertBranch("sluice/revert-detail-abc1234")
	opened, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert", Body: "why", Head: head, Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.gh.PullRequest(f.ctx, opened.Number)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(opened, got); diff != "" {
		t.Errorf("read back (-opened +read):\n%s", diff)
	}

	if _, _, err := f.direct.PullRequests.Merge(f.ctx, testOwner, testRepo, opened.Number, "", nil); err != nil {
		t.Fatal(err)
	}
	got, err = f.gh.PullRequest(f.ctx, opened.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "closed" || !got.Merged {
		t.Errorf("after the merge: state %s, merged %t; want closed and merged", got.State, got.Merged)
	}
}

func TestPullRequestOfAnUnknownNumberIsA404(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	_, err := f.gh.PullRequest(f.ctx, 42)
	var forgeErr *Error
	if !errors.As(err, &forgeErr) || forgeErr.Status != http.StatusNotFound {
		t.Fatalf("PullRequest(42) = %v, want an *Error with status 404", err)
	}
	if n := f.requests(http.MethodGet, "/pulls/42"); n != 1 {
		t.Errorf("%d reads, want 1: a 404 is not retried", n)
	}
}
