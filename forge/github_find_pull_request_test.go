package forge

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestFindPullRequest(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	head := f.revertBranch("sluice/revert-detail-abc1234")
	closedHead := f.revertBranch("sluice/revert-detail-0000000")
	opened, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert detail", Body: "why", Head: head, Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	closed, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Old revert", Head: closedHead, Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.gh.ClosePullRequest(f.ctx, closed.Number, ""); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		head string
		want *PullRequest
	}{
		{"the open pull request of a head", head, opened},
		{"none for a closed one", closedHead, nil},
		{"none for a branch without one", "main", nil},
		{"none for a branch that does not exist", "nope", nil},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.gh.FindPullRequest(f.ctx, tt.head)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FindPullRequest(%s) (-want +got):\n%s", tt.head, diff)
			}
		})
	}
}

func TestFindPullRequestPicksTheNewestOfSeveralBases(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	head := f.revertBranch("feature")
	// Another base, so that there are two open pull requests from the head.
	f.commit("release", map[string]string{"release": "r"})
	for _, base := range []string{"release", "main"} {
		if _, _, err := f.direct.PullRequests.Create(f.ctx, testOwner, testRepo, &github.NewPullRequest{
			Title: github.String("into " + base), Head: github.String(head), Base: github.String(base),
		}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.gh.FindPullRequest(f.ctx, head)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Base != "main" {
		t.Errorf("FindPullRequest = %+v, want the newest, into main", got)
	}
}
