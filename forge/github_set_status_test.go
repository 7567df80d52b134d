package forge

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSetStatusRecordsTheStatus(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	sha := f.head("main")
	want := Status{SHA: sha, Context: "sluice/flagger/detail", State: StatePending, Description: "canary weight 10% — step 2/3", TargetURL: "http://sluice.invalid/detail"}

	if err := f.gh.SetStatus(f.ctx, want); err != nil {
		t.Fatal(err)
	}
	got, _, err := f.direct.Repositories.ListStatuses(f.ctx, testOwner, testRepo, sha, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d statuses, want 1", len(got))
	}
	recorded := Status{SHA: sha, Context: got[0].GetContext(), State: State(got[0].GetState()), Description: got[0].GetDescription(), TargetURL: got[0].GetTargetURL()}
	if diff := cmp.Diff(want, recorded); diff != "" {
		t.Errorf("recorded status (-want +got):\n%s", diff)
	}
}

func TestSetStatusCutsALongDescription(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	sha := f.head("main")
	long := "success rate 23.03% < 99% " + strings.Repeat("é", 200)

	if err := f.gh.SetStatus(f.ctx, Status{SHA: sha, Context: "c", State: StateFailure, Description: long}); err != nil {
		t.Fatalf("a long description was not cut: %v", err)
	}
	statuses, err := f.gh.Statuses(f.ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	if got := []rune(statuses[0].Description); len(got) != 140 || got[139] != '…' {
		t.Errorf("description of %d characters ending %q, want 140 ending with …", len(got), got[len(got)-1])
	}
}

func TestSetStatusRefusesBeforeSending(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	cases := []struct {
		name   string
		status Status
		want   string
	}{
		{"no SHA", Status{State: StateSuccess}, "the commit SHA is required"},
		{"an unknown state", Status{SHA: f.head("main"), State: "done"}, `unknown state "done"`},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			err := f.gh.SetStatus(f.ctx, tt.status)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SetStatus() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if n := f.requests(http.MethodPost, ""); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestSetStatusLosesNothingWhenTheForgeFailsThreeTimes(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	sha := f.head("main")
	f.srv.FailNext(http.MethodPost, "/repos/flagger/workshop/statuses/", 3, http.StatusInternalServerError)

	if err := f.gh.SetStatus(f.ctx, Status{SHA: sha, Context: "sluice/flagger/detail", State: StateSuccess}); err != nil {
		t.Fatal(err)
	}
	if n := f.requests(http.MethodPost, "/statuses/"+sha); n != 4 {
		t.Errorf("%d POSTs, want 4 (3 failures, then the one that worked)", n)
	}
	statuses, err := f.gh.Statuses(f.ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Status{{SHA: sha, Context: "sluice/flagger/detail", State: StateSuccess}}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestSetStatusReturnsA4xxAtOnce(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	unknown := strings.Repeat("0f", 20)

	err := f.gh.SetStatus(f.ctx, Status{SHA: unknown, State: StateSuccess})
	var forgeErr *Error
	if !errors.As(err, &forgeErr) || forgeErr.Status != http.StatusUnprocessableEntity {
		t.Fatalf("SetStatus on an unknown commit = %v, want an *Error with status 422", err)
	}
	if forgeErr.Op != "set status" || forgeErr.Temporary() || !strings.Contains(forgeErr.Message, "No commit found for SHA") {
		t.Errorf("error = %+v", forgeErr)
	}
	if n := f.requests(http.MethodPost, "/statuses/"+unknown); n != 1 {
		t.Errorf("%d POSTs, want 1: a 4xx is not retried", n)
	}
}

func TestSetStatusGivesUpAfterTheRetries(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	sha := f.head("main")
	f.srv.FailNext(http.MethodPost, "/repos/flagger/workshop/statuses/", 100, http.StatusServiceUnavailable)

	err := f.client(GitHubOptions{Retries: 2}).SetStatus(f.ctx, Status{SHA: sha, State: StateSuccess})
	var forgeErr *Error
	if !errors.As(err, &forgeErr) || forgeErr.Status != http.StatusServiceUnavailable || !forgeErr.Temporary() {
		t.Fatalf("SetStatus = %v, want a temporary *Error with status 503", err)
	}
	if n := f.requests(http.MethodPost, "/statuses/"+sha); n != 3 {
		t.Errorf("%d POSTs, want 3: the try and 2 retries", n)
	}
}
