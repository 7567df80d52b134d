package forgeemu

import (
	"context"
	"testing"
)

func TestDeletingTheHeadBranchClosesThePullRequest(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	head := commit(t, srv, Change{Branch: "feature", Write: map[string]string{"f": "1"}})
	pr := newPull(t, client, "feature", "main", "feature")
	runGit(t, srv.RepoDir(), "update-ref", "-d", "refs/heads/feature")

	got, _, err := client.PullRequests.Get(context.Background(), testOwner, testRepo, pr.GetNumber())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetState() != "closed" || got.GetMerged() || got.GetHead().GetSHA() != head {
		t.Errorf("state %s, merged %t, head sha %s; want closed, false, %s", got.GetState(), got.GetMerged(), got.GetHead().GetSHA(), head)
	}
}

func TestPushingTheHeadIntoTheBaseMarksThePullRequestMerged(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	head := commit(t, srv, Change{Branch: "feature", Write: map[string]string{"f": "1"}})
	pr := newPull(t, client, "feature", "main", "feature")
	runGit(t, srv.RepoDir(), "update-ref", "refs/heads/main", head)

	got, _, err := client.PullRequests.Get(context.Background(), testOwner, testRepo, pr.GetNumber())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetState() != "closed" || !got.GetMerged() {
		t.Errorf("state %s, merged %t; want closed and merged", got.GetState(), got.GetMerged())
	}
}
