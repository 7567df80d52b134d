package forgeemu

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestFailNextAnswersWithoutDoingAnything(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	commit(t, srv, Change{Branch: "feature", Write: map[string]string{"f": "1"}})
	srv.FailNext(http.MethodPost, "/repos/acme/shop/pulls", 3, http.StatusInternalServerError)

	var statuses []int
	for range 4 {
		_, resp, _ := client.PullRequests.Create(ctx, testOwner, testRepo, &github.NewPullRequest{
			Title: github.String("t"), Head: github.String("feature"), Base: github.String("main"),
		})
		statuses = append(statuses, resp.StatusCode)
	}
	if diff := cmp.Diff([]int{500, 500, 500, 201}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	all, _, err := client.PullRequests.List(ctx, testOwner, testRepo, &github.PullRequestListOptions{State: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Errorf("%d pull requests exist, want 1: the failed requests did nothing", len(all))
	}
}

func TestFailAfterDoesTheWorkThenLosesTheAnswer(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	sha := runGit(t, srv.RepoDir(), "rev-parse", "main")
	srv.FailAfter(http.MethodPost, "/repos/acme/shop/statuses/", 1, http.StatusBadGateway)

	_, _, err := client.Repositories.CreateStatus(ctx, testOwner, testRepo, sha, &github.RepoStatus{State: github.String("success")})
	wantStatus(t, err, http.StatusBadGateway)
	got, _, err := client.Repositories.ListStatuses(ctx, testOwner, testRepo, sha, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Errorf("%d statuses, want the 1 created behind the lost answer", len(got))
	}
}

func TestFaultsMatchByMethodAndPrefixInOrder(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	srv.FailNext(http.MethodPost, "/repos/acme/shop/pulls", 1, http.StatusBadGateway)
	srv.FailNext("", "/repos/acme/shop/pulls", 1, http.StatusServiceUnavailable)
	srv.FailNext("", "/repos/acme/shop/pulls", 1, http.StatusTooManyRequests)
	srv.FailNext(http.MethodGet, "/never", 0, http.StatusTeapot)

	list := srv.APIURL() + "repos/acme/shop/pulls"
	var statuses []int
	for _, req := range []struct{ method, url, auth string }{
		{http.MethodGet, list, "Bearer wrong"},        // refused credentials use up no fault
		{http.MethodGet, list, "Bearer " + testToken}, // the POST fault does not match a GET
		{http.MethodGet, list, "Bearer " + testToken},
		{http.MethodGet, srv.URL() + "/repos/acme/shop/pulls", "Bearer " + testToken}, // matched without /api/v3
		{http.MethodGet, list, "Bearer " + testToken},
	} {
		resp, _ := rawRequest(t, req.method, req.url, req.auth, "")
		statuses = append(statuses, resp.StatusCode)
	}
	if diff := cmp.Diff([]int{401, 503, 429, 200, 200}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}
