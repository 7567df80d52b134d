package forgeemu

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestUpdatePullEditsClosesAndReopens(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	commit(t, srv, Change{Branch: "feature", Write: map[string]string{"f": "1"}})
	pr := newPull(t, client, "feature", "main", "before")

	got, _, err := client.PullRequests.Edit(ctx, testOwner, testRepo, pr.GetNumber(), &github.PullRequest{Title: github.String("after"), Body: github.String("new body")})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetTitle() != "after" || got.GetBody() != "new body" || got.GetState() != "open" {
		t.Errorf("after edit: %q %q %s", got.GetTitle(), got.GetBody(), got.GetState())
	}

	got, _, err = client.PullRequests.Edit(ctx, testOwner, testRepo, pr.GetNumber(), &github.PullRequest{State: github.String("closed")})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetState() != "closed" || got.ClosedAt == nil || got.GetMerged() {
		t.Errorf("after close: state %s, closed_at %v, merged %t", got.GetState(), got.ClosedAt, got.GetMerged())
	}
	if _, _, err := client.PullRequests.Edit(ctx, testOwner, testRepo, pr.GetNumber(), &github.PullRequest{State: github.String("closed")}); err != nil {
		t.Errorf("closing a closed pull request: %v", err)
	}

	second := newPull(t, client, "feature", "main", "second")
	_, _, err = client.PullRequests.Edit(ctx, testOwner, testRepo, pr.GetNumber(), &github.PullRequest{State: github.String("open")})
	wantStatus(t, err, http.StatusUnprocessableEntity)
	if !strings.Contains(err.Error(), "A pull request already exists") {
		t.Errorf("reopening next to a duplicate: %v", err)
	}
	if _, _, err := client.PullRequests.Edit(ctx, testOwner, testRepo, second.GetNumber(), &github.PullRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}
	got, _, err = client.PullRequests.Edit(ctx, testOwner, testRepo, pr.GetNumber(), &github.PullRequest{State: github.String("open")})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetState() != "open" || got.ClosedAt != nil {
		t.Errorf("after reopen: state %s, closed_at %v", got.GetState(), got.ClosedAt)
	}
}

func TestUpdatePullRefuses(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	commit(t, srv, Change{Branch: "feature", Write: map[string]string{"f": "1"}})
	commit(t, srv, Change{Branch: "merged", Write: map[string]string{"m": "1"}})
	open := newPull(t, client, "feature", "main", "open")
	merged := newPull(t, client, "merged", "main", "merged")
	if _, _, err := client.PullRequests.Merge(ctx, testOwner, testRepo, merged.GetNumber(), "", nil); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name        string
		number      int
		edit        github.PullRequest
		wantMessage string
	}{
		{"an unknown state", open.GetNumber(), github.PullRequest{State: github.String("merged")}, "Field:state Code:invalid"},
		{"an empty title", open.GetNumber(), github.PullRequest{Title: github.String("")}, "Field:title Code:missing_field"},
		{"a base that does not exist", open.GetNumber(), github.PullRequest{Base: &github.PullRequestBranch{Ref: github.String("nope")}}, "Field:base Code:invalid"},
		{"reopening a merged pull request", merged.GetNumber(), github.PullRequest{State: github.String("open")}, "has been merged"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := client.PullRequests.Edit(ctx, testOwner, testRepo, tt.number, &tt.edit)
			wantStatus(t, err, http.StatusUnprocessableEntity)
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("error = %v, want it to say %q", err, tt.wantMessage)
			}
		})
	}
}
