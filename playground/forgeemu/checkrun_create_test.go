package forgeemu

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestCreateCheckRunAnswersGitHubsCheckRun(t *testing.T) {
	t.Parallel()
	c := startCheckRunServer(t)
	before := time.Now().UTC().Truncate(time.Second)
	run, resp, err := c.app.Checks.CreateCheckRun(c.ctx, testOwner, testRepo, github.CreateCheckRunOptions{
		Name:       "sluice/flagger/detail",
		HeadSHA:    c.sha[:7], // abbreviated: resolved to the full name
		ExternalID: github.String("flagger/detail"),
		DetailsURL: github.String("https://sluice.example/detail"),
		Status:     github.String("in_progress"),
		Output:     &github.CheckRunOutput{Title: github.String("Step 2 of 5"), Summary: github.String("weight 20%"), Text: github.String("details")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status = %d, want 201", resp.StatusCode)
	}
	id := run.GetID()
	want := &github.CheckRun{
		ID:           github.Int64(id),
		NodeID:       github.String("CR_" + itoa(id)),
		HeadSHA:      github.String(c.sha),
		ExternalID:   github.String("flagger/detail"),
		URL:          github.String(c.srv.APIURL() + "repos/acme/shop/check-runs/" + itoa(id)),
		HTMLURL:      github.String(c.srv.URL() + "/acme/shop/runs/" + itoa(id)),
		DetailsURL:   github.String("https://sluice.example/detail"),
		Status:       github.String("in_progress"),
		StartedAt:    run.StartedAt,
		Name:         github.String("sluice/flagger/detail"),
		PullRequests: []*github.PullRequest{},
		CheckSuite:   &github.CheckSuite{ID: run.GetCheckSuite().ID},
		App:          &github.App{ID: github.Int64(42), Slug: github.String("forgeemu-app-42"), NodeID: github.String("A_42"), Name: github.String("forgeemu App 42")},
		Output: &github.CheckRunOutput{
			Title: github.String("Step 2 of 5"), Summary: github.String("weight 20%"), Text: github.String("details"),
			AnnotationsCount: github.Int(0), AnnotationsURL: github.String(c.srv.APIURL() + "repos/acme/shop/check-runs/" + itoa(id) + "/annotations"),
		},
	}
	if diff := cmp.Diff(want, run); diff != "" {
		t.Errorf("check run (-want +got):\n%s", diff)
	}
	if started := run.GetStartedAt().Time; started.Before(before) || started.After(time.Now()) {
		t.Errorf("started_at = %v, want the time of the create", started)
	}
	if run.GetCheckSuite().GetID() == 0 || run.CompletedAt != nil || run.Conclusion != nil {
		t.Errorf("check_suite %v, completed_at %v, conclusion %v: want a suite and no verdict", run.CheckSuite, run.CompletedAt, run.Conclusion)
	}
	if got := resp.Header.Get("Location"); got != run.GetURL() {
		t.Errorf("Location = %q, want the run's url", got)
	}
}

func TestCreateCheckRunDefaultsAndConclusion(t *testing.T) {
	t.Parallel()
	c := startCheckRunServer(t)
	queued := c.create(t, github.CreateCheckRunOptions{Name: "queued", HeadSHA: c.sha})
	if queued.GetStatus() != "queued" || queued.StartedAt == nil {
		t.Errorf("a run without status: status %q started_at %v, want queued and started now", queued.GetStatus(), queued.StartedAt)
	}
	done := c.create(t, github.CreateCheckRunOptions{Name: "done", HeadSHA: c.sha, Conclusion: github.String("failure")})
	if done.GetStatus() != "completed" || done.GetConclusion() != "failure" || done.CompletedAt == nil {
		t.Errorf("a run with a conclusion: status %q conclusion %q completed_at %v, want completed, failure, now", done.GetStatus(), done.GetConclusion(), done.CompletedAt)
	}
	at := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	timed := c.create(t, github.CreateCheckRunOptions{Name: "timed", HeadSHA: c.sha, Status: github.String("completed"), Conclusion: github.String("success"),
		StartedAt: &github.Timestamp{Time: at}, CompletedAt: &github.Timestamp{Time: at.Add(time.Minute)}})
	if !timed.GetStartedAt().Time.Equal(at) || !timed.GetCompletedAt().Time.Equal(at.Add(time.Minute)) {
		t.Errorf("started_at %v completed_at %v, want the times sent", timed.GetStartedAt(), timed.GetCompletedAt())
	}
	if got := queued.GetCheckSuite().GetID(); got != done.GetCheckSuite().GetID() {
		t.Errorf("runs of one commit are in suites %d and %d, want one suite", got, done.GetCheckSuite().GetID())
	}
	if got := len(c.srv.CheckRuns()); got != 3 {
		t.Errorf("CheckRuns() has %d runs, want 3", got)
	}
}

func TestCreateCheckRunValidates(t *testing.T) {
	t.Parallel()
	c := startCheckRunServer(t)
	long := strings.Repeat("é", maxCheckRunOutput+1)
	exact := strings.Repeat("é", maxCheckRunOutput)
	cases := []struct {
		name string
		body string
		want int
		// field is the field the 422 names.
		field string
	}{
		{"a run within the limits is created", `{"name":"n","head_sha":"` + c.sha + `","output":{"title":"t","summary":"` + exact + `"}}`, http.StatusCreated, ""},
		{"name is required", `{"head_sha":"` + c.sha + `"}`, http.StatusUnprocessableEntity, "name"},
		{"an empty name is refused", `{"name":"","head_sha":"` + c.sha + `"}`, http.StatusUnprocessableEntity, "name"},
		{"head_sha is required", `{"name":"n"}`, http.StatusUnprocessableEntity, "head_sha"},
		{"head_sha must be a commit", `{"name":"n","head_sha":"0123456789012345678901234567890123456789"}`, http.StatusUnprocessableEntity, ""},
		{"a branch is not a head_sha", `{"name":"n","head_sha":"main"}`, http.StatusUnprocessableEntity, ""},
		{"an unknown status is refused", `{"name":"n","head_sha":"` + c.sha + `","status":"done"}`, http.StatusUnprocessableEntity, "status"},
		{"completed needs a conclusion", `{"name":"n","head_sha":"` + c.sha + `","status":"completed"}`, http.StatusUnprocessableEntity, "conclusion"},
		{"an unknown conclusion is refused", `{"name":"n","head_sha":"` + c.sha + `","conclusion":"great"}`, http.StatusUnprocessableEntity, "conclusion"},
		{"started_at must be RFC 3339", `{"name":"n","head_sha":"` + c.sha + `","started_at":"yesterday"}`, http.StatusUnprocessableEntity, "started_at"},
		{"completed_at must be RFC 3339", `{"name":"n","head_sha":"` + c.sha + `","conclusion":"success","completed_at":"2026-12-07"}`, http.StatusUnprocessableEntity, "completed_at"},
		{"an output needs a summary", `{"name":"n","head_sha":"` + c.sha + `","output":{"title":"t"}}`, http.StatusUnprocessableEntity, "output.summary"},
		{"an output needs a title", `{"name":"n","head_sha":"` + c.sha + `","output":{"summary":"s"}}`, http.StatusUnprocessableEntity, "output.title"},
		{"a summary over 65535 characters is refused", `{"name":"n","head_sha":"` + c.sha + `","output":{"title":"t","summary":"` + long + `"}}`, http.StatusUnprocessableEntity, "output.summary"},
		{"a text over 65535 characters is refused", `{"name":"n","head_sha":"` + c.sha + `","output":{"title":"t","summary":"s","text":"` + long + `"}}`, http.StatusUnprocessableEntity, "output.text"},
		{"malformed JSON is a 400", `{"name":`, http.StatusBadRequest, ""},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			before := len(c.srv.CheckRuns())
			status, field := c.send(t, http.MethodPost, "repos/acme/shop/check-runs", tt.body)
			if status != tt.want || field != tt.field {
				t.Fatalf("answer %d naming field %q, want %d naming %q", status, field, tt.want, tt.field)
			}
			created := len(c.srv.CheckRuns()) - before
			if wantCreated := map[bool]int{true: 1}[tt.want == http.StatusCreated]; created != wantCreated {
				t.Errorf("%d runs created, want %d", created, wantCreated)
			}
		})
	}
}
