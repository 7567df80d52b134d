package forge

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// comments are the bodies of the comments on a pull request.
func (f *testForge) comments(number int) []string {
	f.t.Helper()
	got, _, err := f.direct.Issues.ListComments(f.ctx, testOwner, testRepo, number, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	var bodies []string
	for _, c := range got {
		bodies = append(bodies, c.GetBody())
	}
	return bodies
}

func TestClosePullRequestCommentsThenCloses(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	pr, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert", Head: f.revertBranch("sluice/revert-detail-abc1234"), Base: "main"})
	if err != nil {
		t.Fatal(err)
	}

	if err := f.gh.ClosePullRequest(f.ctx, pr.Number, "Superseded by revision def5678."); err != nil {
		t.Fatal(err)
	}
	got, err := f.gh.PullRequest(f.ctx, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "closed" || got.Merged {
		t.Errorf("state %s, merged %t; want closed, not merged", got.State, got.Merged)
	}
	if diff := cmp.Diff([]string{"Superseded by revision def5678."}, f.comments(pr.Number)); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	var order []string
	for _, r := range f.srv.Requests() {
		if r.Method == http.MethodPost || r.Method == http.MethodPatch {
			order = append(order, r.Method+" "+r.Path)
		}
	}
	want := []string{"POST /repos/flagger/workshop/pulls", "POST /repos/flagger/workshop/issues/1/comments", "PATCH /repos/flagger/workshop/pulls/1"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("writes, in order (-want +got):\n%s", diff)
	}
}

func TestClosePullRequestIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	pr, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert", Head: f.revertBranch("sluice/revert-detail-abc1234"), Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := f.gh.ClosePullRequest(f.ctx, pr.Number, "Superseded."); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"Superseded."}, f.comments(pr.Number)); diff != "" {
		t.Errorf("comments after closing twice (-want +got):\n%s", diff)
	}
	if n := f.requests(http.MethodPatch, "/pulls/1"); n != 1 {
		t.Errorf("%d updates, want 1", n)
	}
}

func TestClosePullRequestDoesNotCommentTwiceWhenTheAnswerWasLost(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	pr, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert", Head: f.revertBranch("sluice/revert-detail-abc1234"), Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.FailAfter(http.MethodPost, "/repos/flagger/workshop/issues/1/comments", 1, http.StatusBadGateway)
	f.srv.FailNext(http.MethodPatch, "/repos/flagger/workshop/pulls/1", 2, http.StatusInternalServerError)

	if err := f.gh.ClosePullRequest(f.ctx, pr.Number, "Superseded."); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Superseded."}, f.comments(pr.Number)); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	got, err := f.gh.PullRequest(f.ctx, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "closed" {
		t.Errorf("state = %s, want closed", got.State)
	}
}

func TestClosePullRequestLeavesAMergedOneAlone(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	pr, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert", Head: f.revertBranch("sluice/revert-detail-abc1234"), Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.direct.PullRequests.Merge(f.ctx, testOwner, testRepo, pr.Number, "", nil); err != nil {
		t.Fatal(err)
	}
	if err := f.gh.ClosePullRequest(f.ctx, pr.Number, "Superseded."); err != nil {
		t.Fatal(err)
	}
	if got := f.comments(pr.Number); len(got) != 0 {
		t.Errorf("comments on a merged pull request = %v, want none", got)
	}
}

func TestClosePullRequestOfAnUnknownNumberIsA404(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	err := f.gh.ClosePullRequest(f.ctx, 42, "x")
	var forgeErr *Error
	if !errors.As(err, &forgeErr) || forgeErr.Status != http.StatusNotFound || forgeErr.Op != "close pull request" {
		t.Fatalf("ClosePullRequest(42) = %v, want an *Error with status 404", err)
	}
}
