package forgeemu

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestListPullsFilters(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	commit(t, srv, Change{Branch: "release", Write: map[string]string{"r": "1"}})
	for _, branch := range []string{"a", "b", "c"} {
		commit(t, srv, Change{Branch: branch, Write: map[string]string{branch: branch}})
	}
	newPull(t, client, "a", "main", "one")            // #1
	newPull(t, client, "b", "main", "two")            // #2
	newPull(t, client, "a", "release", "three")       // #3
	closed := newPull(t, client, "c", "main", "four") // #4
	if _, _, err := client.PullRequests.Edit(ctx, testOwner, testRepo, closed.GetNumber(), &github.PullRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		opts *github.PullRequestListOptions
		want []int
	}{
		{"open ones by default, newest first", nil, []int{3, 2, 1}},
		{"closed ones", &github.PullRequestListOptions{State: "closed"}, []int{4}},
		{"all of them", &github.PullRequestListOptions{State: "all"}, []int{4, 3, 2, 1}},
		{"by head", &github.PullRequestListOptions{Head: "acme:a"}, []int{3, 1}},
		{"by head and base", &github.PullRequestListOptions{Head: "acme:a", Base: "main"}, []int{1}},
		{"by head of another owner", &github.PullRequestListOptions{Head: "someone:a"}, nil},
		{"by base", &github.PullRequestListOptions{Base: "release"}, []int{3}},
		{"oldest first", &github.PullRequestListOptions{Direction: "asc"}, []int{1, 2, 3}},
		{"a closed head is not open", &github.PullRequestListOptions{Head: "acme:c"}, nil},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := client.PullRequests.List(ctx, testOwner, testRepo, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var numbers []int
			for _, pr := range got {
				numbers = append(numbers, pr.GetNumber())
			}
			if diff := cmp.Diff(tt.want, numbers); diff != "" {
				t.Errorf("numbers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListPullsRefusesWhatItCannotHonour(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	cases := []struct {
		name        string
		opts        github.PullRequestListOptions
		wantStatus  int
		wantMessage string
	}{
		{"a head without an owner", github.PullRequestListOptions{Head: "feature"}, http.StatusUnprocessableEntity, "head must read owner:branch"},
		{"an unknown state", github.PullRequestListOptions{State: "merged"}, http.StatusUnprocessableEntity, "Field:state Code:invalid"},
		{"sorting by popularity", github.PullRequestListOptions{Sort: "popularity"}, http.StatusNotImplemented, "sort=popularity is not implemented"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := client.PullRequests.List(context.Background(), testOwner, testRepo, &tt.opts)
			wantStatus(t, err, tt.wantStatus)
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("error = %v, want it to say %q", err, tt.wantMessage)
			}
		})
	}
}

func TestGetPull(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	head := commit(t, srv, Change{Branch: "feature", Write: map[string]string{"f": "1"}})
	created := newPull(t, client, "feature", "main", "feature")

	got, _, err := client.PullRequests.Get(ctx, testOwner, testRepo, created.GetNumber())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetTitle() != "feature" || got.GetHead().GetSHA() != head || !got.GetMergeable() || got.GetMerged() {
		t.Errorf("got %s head %s mergeable %t merged %t", got.GetTitle(), got.GetHead().GetSHA(), got.GetMergeable(), got.GetMerged())
	}

	moved := commit(t, srv, Change{Branch: "feature", Write: map[string]string{"f": "2"}})
	got, _, err = client.PullRequests.Get(ctx, testOwner, testRepo, created.GetNumber())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetHead().GetSHA() != moved {
		t.Errorf("head sha = %s after a push, want %s", got.GetHead().GetSHA(), moved)
	}

	_, _, err = client.PullRequests.Get(ctx, testOwner, testRepo, 99)
	wantStatus(t, err, http.StatusNotFound)

	_, _, err = client.PullRequests.GetRaw(ctx, testOwner, testRepo, created.GetNumber(), github.RawOptions{Type: github.Diff})
	wantStatus(t, err, http.StatusNotImplemented)
}
