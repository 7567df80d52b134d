package forgeemu

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestCommentsOnAPullRequest(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	commit(t, srv, Change{Branch: "feature", Write: map[string]string{"f": "1"}})
	pr := newPull(t, client, "feature", "main", "feature")

	first, resp, err := client.Issues.CreateComment(ctx, testOwner, testRepo, pr.GetNumber(), &github.IssueComment{Body: github.String("Superseded by a newer revision.")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || first.GetUser().GetLogin() != testOwner || first.CreatedAt == nil {
		t.Errorf("created comment: status %d, user %s, created_at %v", resp.StatusCode, first.GetUser().GetLogin(), first.CreatedAt)
	}
	if want := fmt.Sprintf("%s/acme/shop/pull/1#issuecomment-%d", srv.URL(), first.GetID()); first.GetHTMLURL() != want {
		t.Errorf("html_url = %s, want %s", first.GetHTMLURL(), want)
	}
	if _, _, err := client.Issues.CreateComment(ctx, testOwner, testRepo, pr.GetNumber(), &github.IssueComment{Body: github.String("second")}); err != nil {
		t.Fatal(err)
	}

	got, _, err := client.Issues.ListComments(ctx, testOwner, testRepo, pr.GetNumber(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, c := range got {
		bodies = append(bodies, c.GetBody())
	}
	if diff := cmp.Diff([]string{"Superseded by a newer revision.", "second"}, bodies); diff != "" {
		t.Errorf("comments, oldest first (-want +got):\n%s", diff)
	}
	full, _, err := client.PullRequests.Get(ctx, testOwner, testRepo, pr.GetNumber())
	if err != nil {
		t.Fatal(err)
	}
	if full.GetComments() != 2 {
		t.Errorf("comments count of the pull request = %d, want 2", full.GetComments())
	}
}

func TestCommentsRefuse(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	commit(t, srv, Change{Branch: "feature", Write: map[string]string{"f": "1"}})
	pr := newPull(t, client, "feature", "main", "feature")

	_, _, err := client.Issues.CreateComment(ctx, testOwner, testRepo, pr.GetNumber(), &github.IssueComment{})
	wantStatus(t, err, http.StatusUnprocessableEntity)
	_, _, err = client.Issues.CreateComment(ctx, testOwner, testRepo, 42, &github.IssueComment{Body: github.String("x")})
	wantStatus(t, err, http.StatusNotFound)
	_, _, err = client.Issues.ListComments(ctx, testOwner, testRepo, 42, nil)
	wantStatus(t, err, http.StatusNotFound)
}
