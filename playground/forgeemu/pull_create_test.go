package forgeemu

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestCreatePullAnswersThePullRequest(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	base := runGit(t, srv.RepoDir(), "rev-parse", "main")
	head := commit(t, srv, Change{Branch: "sluice/revert-detail-abc1234", Write: map[string]string{"app.yaml": "image: shop:0.9\n"}})

	got, resp, err := client.PullRequests.Create(context.Background(), testOwner, testRepo, &github.NewPullRequest{
		Title: github.String("Revert detail to 2.0"),
		Head:  github.String("acme:sluice/revert-detail-abc1234"),
		Base:  github.String("main"),
		Body:  github.String("success rate 23.03% < 99%"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status = %d, want 201", resp.StatusCode)
	}
	type summary struct {
		Number                               int
		State, Title, Body, HTMLURL          string
		HeadRef, HeadSHA, HeadLabel, BaseRef string
		BaseSHA, User                        string
		Merged, Mergeable                    bool
		MergedAtSet, ClosedAtSet             bool
	}
	want := summary{
		Number: 1, State: "open", Title: "Revert detail to 2.0", Body: "success rate 23.03% < 99%",
		HTMLURL: srv.URL() + "/acme/shop/pull/1",
		HeadRef: "sluice/revert-detail-abc1234", HeadSHA: head, HeadLabel: "acme:sluice/revert-detail-abc1234",
		BaseRef: "main", BaseSHA: base, User: testOwner, Mergeable: true,
	}
	gotSummary := summary{
		Number: got.GetNumber(), State: got.GetState(), Title: got.GetTitle(), Body: got.GetBody(), HTMLURL: got.GetHTMLURL(),
		HeadRef: got.GetHead().GetRef(), HeadSHA: got.GetHead().GetSHA(), HeadLabel: got.GetHead().GetLabel(),
		BaseRef: got.GetBase().GetRef(), BaseSHA: got.GetBase().GetSHA(), User: got.GetUser().GetLogin(),
		Merged: got.GetMerged(), Mergeable: got.GetMergeable(),
		MergedAtSet: got.MergedAt != nil, ClosedAtSet: got.ClosedAt != nil,
	}
	if diff := cmp.Diff(want, gotSummary); diff != "" {
		t.Errorf("pull request (-want +got):\n%s", diff)
	}
	if got.CreatedAt == nil || got.UpdatedAt == nil {
		t.Errorf("created_at or updated_at missing")
	}
}

func TestCreatePullValidates(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	commit(t, srv, Change{Branch: "feature", Write: map[string]string{"app.yaml": "image: shop:2.0\n"}})
	commit(t, srv, Change{Branch: "same-as-main", Write: nil})
	runGit(t, srv.RepoDir(), "update-ref", "refs/heads/behind", "main")
	newPull(t, client, "feature", "main", "the first")

	cases := []struct {
		name        string
		pull        github.NewPullRequest
		wantStatus  int
		wantMessage string
	}{
		{"a second pull request from the same head is refused", github.NewPullRequest{Title: github.String("again"), Head: github.String("feature"), Base: github.String("main")}, http.StatusUnprocessableEntity, "A pull request already exists for acme:feature."},
		{"so is one written owner:branch", github.NewPullRequest{Title: github.String("again"), Head: github.String("acme:feature"), Base: github.String("main")}, http.StatusUnprocessableEntity, "A pull request already exists for acme:feature."},
		{"a missing head branch is refused", github.NewPullRequest{Title: github.String("x"), Head: github.String("nope"), Base: github.String("main")}, http.StatusUnprocessableEntity, "Field:head Code:invalid"},
		{"a missing base branch is refused", github.NewPullRequest{Title: github.String("x"), Head: github.String("feature"), Base: github.String("nope")}, http.StatusUnprocessableEntity, "Field:base Code:invalid"},
		{"a head equal to the base is refused", github.NewPullRequest{Title: github.String("x"), Head: github.String("main"), Base: github.String("main")}, http.StatusUnprocessableEntity, "No commits between main and main"},
		{"a head the base contains is refused", github.NewPullRequest{Title: github.String("x"), Head: github.String("behind"), Base: github.String("main")}, http.StatusUnprocessableEntity, "No commits between main and behind"},
		{"a missing title is refused", github.NewPullRequest{Head: github.String("same-as-main"), Base: github.String("main")}, http.StatusUnprocessableEntity, "Field:title Code:missing_field"},
		{"a fork is not implemented", github.NewPullRequest{Title: github.String("x"), Head: github.String("someone:feature"), Base: github.String("main")}, http.StatusNotImplemented, "a pull request from a fork (someone) is not implemented"},
		{"an issue is not implemented", github.NewPullRequest{Issue: github.Int(3), Head: github.String("feature"), Base: github.String("main")}, http.StatusNotImplemented, "creating a pull request from an issue is not implemented"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := client.PullRequests.Create(context.Background(), testOwner, testRepo, &tt.pull)
			wantStatus(t, err, tt.wantStatus)
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("error = %v, want it to say %q", err, tt.wantMessage)
			}
		})
	}
	all, _, err := client.PullRequests.List(context.Background(), testOwner, testRepo, &github.PullRequestListOptions{State: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Errorf("%d pull requests exist after the refusals, want 1", len(all))
	}
}
