package forge

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestOpenPullRequestOpensOnce(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	head := f.revertBranch("sluice/revert-detail-abc1234")
	pr := NewPullRequest{Title: "Revert detail to 2.0", Body: "success rate 23.03% < 99%", Head: head, Base: "main"}

	first, err := f.gh.OpenPullRequest(f.ctx, pr)
	if err != nil {
		t.Fatal(err)
	}
	want := &PullRequest{
		Number: 1, Title: pr.Title, Body: pr.Body, Head: head, HeadSHA: f.head(head), Base: "main",
		State: "open", URL: f.srv.URL() + "/flagger/workshop/pull/1",
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("opened (-want +got):\n%s", diff)
	}

	// A restart asks again, maybe with other words: the same one comes back.
	again, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "other title", Head: head, Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("second open (-first +second):\n%s", diff)
	}
	if n := len(f.allPulls()); n != 1 {
		t.Errorf("%d pull requests, want 1", n)
	}
	if n := f.requests(http.MethodPost, "/pulls"); n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
}

func TestOpenPullRequestAfterTheOldOneWasClosedOpensANewOne(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	head := f.revertBranch("sluice/revert-detail-abc1234")
	first, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert", Head: head, Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.gh.ClosePullRequest(f.ctx, first.Number, ""); err != nil {
		t.Fatal(err)
	}
	second, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert", Head: head, Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if second.Number == first.Number || second.State != "open" {
		t.Errorf("second = #%d %s, want a new open pull request", second.Number, second.State)
	}
}

func TestOpenPullRequestLosesNothingWhenTheForgeFailsThreeTimes(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	head := f.revertBranch("sluice/revert-detail-abc1234")
	f.srv.FailNext(http.MethodPost, "/repos/flagger/workshop/pulls", 3, http.StatusInternalServerError)

	got, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert", Head: head, Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	pulls := f.allPulls()
	if len(pulls) != 1 || pulls[0].GetNumber() != got.Number {
		t.Errorf("%d pull requests after 3 failures then a success, want exactly #%d", len(pulls), got.Number)
	}
	if n := f.requests(http.MethodPost, "/pulls"); n != 4 {
		t.Errorf("%d creates, want 4", n)
	}
}

func TestOpenPullRequestDoesNotOpenASecondWhenTheAnswerWasLost(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	head := f.revertBranch("sluice/revert-detail-abc1234")
	// The forge opens the pull request, then the client sees a 502.
	f.srv.FailAfter(http.MethodPost, "/repos/flagger/workshop/pulls", 1, http.StatusBadGateway)

	got, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert", Head: head, Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	pulls := f.allPulls()
	if len(pulls) != 1 || pulls[0].GetNumber() != got.Number || got.Number != 1 {
		t.Errorf("%d pull requests, got #%d; want exactly #1", len(pulls), got.Number)
	}
	if n := f.requests(http.MethodPost, "/pulls"); n != 1 {
		t.Errorf("%d creates, want 1: the retry found the pull request first", n)
	}
}

func TestOpenPullRequestTakesTheOneOpenedBetweenItsLookAndItsCreate(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	head := f.revertBranch("sluice/revert-detail-abc1234")
	var other *github.PullRequest
	// Another sluice opens it just before this one's create goes out, after
	// this one looked: the create is refused as a duplicate.
	raceCreate := roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method == http.MethodPost && other == nil {
			var err error
			other, _, err = f.direct.PullRequests.Create(f.ctx, testOwner, testRepo, &github.NewPullRequest{
				Title: github.String("by another sluice"), Head: github.String(head), Base: github.String("main"),
			})
			if err != nil {
				return nil, err
			}
		}
		return http.DefaultTransport.RoundTrip(req)
	})
	gh := f.client(GitHubOptions{HTTPClient: &http.Client{Transport: raceCreate}})

	got, err := gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert", Head: head, Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if other == nil || got.Number != other.GetNumber() || got.Title != "by another sluice" {
		t.Errorf("got #%d %q, want the other sluice's", got.Number, got.Title)
	}
	if n := len(f.allPulls()); n != 1 {
		t.Errorf("%d pull requests, want 1", n)
	}
	if n := f.requests(http.MethodPost, "/pulls"); n != 2 {
		t.Errorf("%d creates, want 2: the other sluice's and this one's, refused", n)
	}
}

// roundTripperFunc is an http.RoundTripper made of a function.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func TestOpenPullRequestReturnsA4xxAtOnce(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)

	_, err := f.gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "Revert", Head: "no-such-branch", Base: "main"})
	var forgeErr *Error
	if !errors.As(err, &forgeErr) || forgeErr.Status != http.StatusUnprocessableEntity {
		t.Fatalf("OpenPullRequest from a missing branch = %v, want an *Error with status 422", err)
	}
	if want := "flagger/workshop: open pull request: 422 Validation Failed: PullRequest head invalid"; err.Error() != want {
		t.Errorf("error = %s\nwant      %s", err, want)
	}
	if n := f.requests(http.MethodPost, "/pulls"); n != 1 {
		t.Errorf("%d creates, want 1: a 4xx is not retried", n)
	}
}

func TestOpenPullRequestRefusesBeforeSending(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	cases := []struct {
		name string
		pr   NewPullRequest
		want string
	}{
		{"no title", NewPullRequest{Head: "h", Base: "b"}, "title, head and base are required"},
		{"no head", NewPullRequest{Title: "t", Base: "b"}, "title, head and base are required"},
		{"no base", NewPullRequest{Title: "t", Head: "h"}, "title, head and base are required"},
		{"a head with an owner", NewPullRequest{Title: "t", Head: "flagger:h", Base: "b"}, `head "flagger:h" must be a branch of the repository`},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.gh.OpenPullRequest(f.ctx, tt.pr); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("OpenPullRequest = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}
