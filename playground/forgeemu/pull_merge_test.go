package forgeemu

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestMergePullWritesARealMergeCommit(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	head := commit(t, srv, Change{Branch: "feature", Write: map[string]string{"app.yaml": "image: shop:2.0\nreplicas: 2\n"}})
	base := commit(t, srv, Change{Branch: "main", Write: map[string]string{"README.md": "# shop, moved on\n"}})
	pr := newPull(t, client, "feature", "main", "Move to 2.0")

	result, _, err := client.PullRequests.Merge(ctx, testOwner, testRepo, pr.GetNumber(), "", &github.PullRequestOptions{SHA: head})
	if err != nil {
		t.Fatal(err)
	}
	if !result.GetMerged() || result.GetSHA() == "" {
		t.Fatalf("merge result = %v", result)
	}
	tip := runGit(t, srv.RepoDir(), "rev-parse", "main")
	if tip != result.GetSHA() {
		t.Errorf("main = %s, want the merge commit %s", tip, result.GetSHA())
	}
	parents := strings.Fields(runGit(t, srv.RepoDir(), "rev-list", "--parents", "-n", "1", tip))[1:]
	if diff := cmp.Diff([]string{base, head}, parents); diff != "" {
		t.Errorf("parents of the merge commit (-want +got):\n%s", diff)
	}
	if got := runGit(t, srv.RepoDir(), "log", "-1", "--format=%B", tip); got != "Merge pull request #1 from acme/feature\n\nMove to 2.0" {
		t.Errorf("message = %q", got)
	}
	files := map[string]string{}
	for _, name := range []string{"README.md", "app.yaml"} {
		files[name] = runGit(t, srv.RepoDir(), "show", tip+":"+name)
	}
	if diff := cmp.Diff(map[string]string{"README.md": "# shop, moved on", "app.yaml": "image: shop:2.0\nreplicas: 2"}, files); diff != "" {
		t.Errorf("merged files (-want +got):\n%s", diff)
	}

	got, _, err := client.PullRequests.Get(ctx, testOwner, testRepo, pr.GetNumber())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetState() != "closed" || !got.GetMerged() || got.GetMergeCommitSHA() != tip || got.MergedAt == nil || got.GetMergedBy().GetLogin() != testOwner {
		t.Errorf("after merge: state %s, merged %t, merge_commit_sha %s, merged_at %v", got.GetState(), got.GetMerged(), got.GetMergeCommitSHA(), got.MergedAt)
	}
	merged, _, err := client.PullRequests.IsMerged(ctx, testOwner, testRepo, pr.GetNumber())
	if err != nil || !merged {
		t.Errorf("IsMerged = %t, %v; want true", merged, err)
	}

	_, _, err = client.PullRequests.Merge(ctx, testOwner, testRepo, pr.GetNumber(), "", nil)
	wantStatus(t, err, http.StatusMethodNotAllowed)
}

func TestMergePullTakesTheCommitTitleAndMessage(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	commit(t, srv, Change{Branch: "feature", Write: map[string]string{"f": "1"}})
	pr := newPull(t, client, "feature", "main", "title")
	if _, _, err := client.PullRequests.Merge(context.Background(), testOwner, testRepo, pr.GetNumber(), "why it is merged", &github.PullRequestOptions{CommitTitle: "Merge feature"}); err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, srv.RepoDir(), "log", "-1", "--format=%B", "main"); got != "Merge feature\n\nwhy it is merged" {
		t.Errorf("message = %q", got)
	}
}

func TestMergePullRefuses(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	commit(t, srv, Change{Branch: "conflict", Write: map[string]string{"app.yaml": "image: shop:3.0\n"}})
	commit(t, srv, Change{Branch: "main", Write: map[string]string{"app.yaml": "image: shop:2.5\n"}})
	commit(t, srv, Change{Branch: "clean", Write: map[string]string{"other": "x"}})
	commit(t, srv, Change{Branch: "closed", Write: map[string]string{"closed": "x"}})
	conflict := newPull(t, client, "conflict", "main", "conflict")
	clean := newPull(t, client, "clean", "main", "clean")
	closed := newPull(t, client, "closed", "main", "closed")
	if _, _, err := client.PullRequests.Edit(ctx, testOwner, testRepo, closed.GetNumber(), &github.PullRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}
	mainBefore := runGit(t, srv.RepoDir(), "rev-parse", "main")

	cases := []struct {
		name        string
		number      int
		opts        *github.PullRequestOptions
		wantStatus  int
		wantMessage string
	}{
		{"a conflict is not mergeable", conflict.GetNumber(), nil, http.StatusMethodNotAllowed, "Pull Request is not mergeable"},
		{"a closed pull request is not open", closed.GetNumber(), nil, http.StatusMethodNotAllowed, "Pull Request is not open"},
		{"a sha that is not the head is a conflict", clean.GetNumber(), &github.PullRequestOptions{SHA: mainBefore}, http.StatusConflict, "Head branch was modified"},
		{"squash is not implemented", clean.GetNumber(), &github.PullRequestOptions{MergeMethod: "squash"}, http.StatusNotImplemented, "merge_method squash is not implemented"},
		{"an unknown method is invalid", clean.GetNumber(), &github.PullRequestOptions{MergeMethod: "octopus"}, http.StatusUnprocessableEntity, "Field:merge_method Code:invalid"},
		{"an unknown pull request is not found", 99, nil, http.StatusNotFound, "Not Found"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := client.PullRequests.Merge(ctx, testOwner, testRepo, tt.number, "", tt.opts)
			wantStatus(t, err, tt.wantStatus)
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("error = %v, want it to say %q", err, tt.wantMessage)
			}
		})
	}
	if got := runGit(t, srv.RepoDir(), "rev-parse", "main"); got != mainBefore {
		t.Errorf("main moved from %s to %s although every merge was refused", mainBefore, got)
	}
	got, _, err := client.PullRequests.Get(ctx, testOwner, testRepo, conflict.GetNumber())
	if err != nil {
		t.Fatal(err)
	}
	if got.Mergeable == nil || got.GetMergeable() {
		t.Errorf("mergeable of a conflicting pull request = %v, want false", got.Mergeable)
	}
	merged, _, err := client.PullRequests.IsMerged(ctx, testOwner, testRepo, clean.GetNumber())
	if err != nil || merged {
		t.Errorf("IsMerged of an unmerged pull request = %t, %v; want false", merged, err)
	}
}
