package forgeemu

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestRequestsLogsWhatWasAnswered(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	before := len(srv.Requests())
	srv.FailNext(http.MethodGet, "/repos/acme/shop/pulls", 1, http.StatusBadGateway)

	_, _, _ = client.PullRequests.List(ctx, testOwner, testRepo, &github.PullRequestListOptions{State: "all"})
	_, _, _ = client.PullRequests.Get(ctx, testOwner, testRepo, 7)
	rawRequest(t, http.MethodGet, srv.URL()+"/repos/acme/shop/pulls", "", "")

	want := []Request{
		{Method: "GET", Path: "/repos/acme/shop/pulls", Query: "state=all", Status: 502, Injected: true},
		{Method: "GET", Path: "/repos/acme/shop/pulls/7", Status: 404},
		{Method: "GET", Path: "/repos/acme/shop/pulls", Status: 401},
	}
	if diff := cmp.Diff(want, srv.Requests()[before:]); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
