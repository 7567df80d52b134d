package forge

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sluicehq/sluice/playground/forgeemu"
)

// checkRunsPath is the path of the Check Runs endpoints of the test forge.
const checkRunsPath = "/repos/" + testOwner + "/" + testRepo + "/check-runs"

// newAppTestForge is a test forge with a GitHub App (id 42, installation
// 7) whose client authenticates as the App, as Check Runs require.
func newAppTestForge(t *testing.T) *testForge {
	t.Helper()
	f := newTestForgeWithApp(t, &forgeemu.App{ID: 42, InstallationID: 7, PublicKey: &testAppKey().PublicKey})
	f.gh = f.appClient()
	return f
}

// appClient is a new GitHub of the test forge with the App's installation
// tokens and no memory of Check Run ids, as after a restart.
func (f *testForge) appClient() *GitHub {
	f.t.Helper()
	source, err := NewAppTokenSource(AppOptions{APIURL: f.srv.APIURL(), AppID: 42, InstallationID: 7, PrivateKey: testAppKey()})
	if err != nil {
		f.t.Fatal(err)
	}
	return f.client(GitHubOptions{TokenSource: source.Token, AppID: 42})
}

// setCheckRun is SetCheckRun that fails the test on error.
func (f *testForge) setCheckRun(gh *GitHub, run CheckRun) {
	f.t.Helper()
	if err := gh.SetCheckRun(f.ctx, run); err != nil {
		f.t.Fatal(err)
	}
}

// inProgress is a valid in-progress run of the main branch's tip.
func (f *testForge) inProgress(title string) CheckRun {
	return CheckRun{SHA: f.head("main"), Name: "sluice/flagger/detail", ExternalID: "flagger/detail",
		DetailsURL: "https://sluice.example/detail", Status: CheckRunInProgress, Title: title, Summary: "weight 20%"}
}

// ignoreTimes leaves out what the emulator sets from the clock.
var ignoreTimes = cmpopts.IgnoreFields(forgeemu.CheckRunView{}, "ID", "StartedAt", "CompletedAt")

func TestSetCheckRunCreatesThenUpdatesTheOneRunOfTheName(t *testing.T) {
	t.Parallel()
	f := newAppTestForge(t)
	f.setCheckRun(f.gh, f.inProgress("Step 1 of 5"))
	first := f.srv.CheckRuns()
	want := []forgeemu.CheckRunView{{Name: "sluice/flagger/detail", HeadSHA: f.head("main"), ExternalID: "flagger/detail",
		DetailsURL: "https://sluice.example/detail", Status: "in_progress", Title: "Step 1 of 5", Summary: "weight 20%"}}
	if diff := cmp.Diff(want, first, ignoreTimes); diff != "" {
		t.Fatalf("after create (-want +got):\n%s", diff)
	}
	if first[0].StartedAt.IsZero() || !first[0].CompletedAt.IsZero() {
		t.Errorf("started_at %v completed_at %v, want started and not completed", first[0].StartedAt, first[0].CompletedAt)
	}

	f.setCheckRun(f.gh, f.inProgress("Step 2 of 5"))
	second := f.srv.CheckRuns()
	want[0].Title = "Step 2 of 5"
	if diff := cmp.Diff(want, second, ignoreTimes); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	if len(second) == 1 && second[0].ID != first[0].ID {
		t.Errorf("the update wrote run %d, want run %d", second[0].ID, first[0].ID)
	}
	lookups, creates, updates := f.requests(http.MethodGet, "/check-runs"), f.requests(http.MethodPost, checkRunsPath), f.requests(http.MethodPatch, "")
	if lookups != 1 || creates != 1 || updates != 1 {
		t.Errorf("%d lookups, %d creates, %d updates; want the second call to update the remembered run without a lookup (1, 1, 1)", lookups, creates, updates)
	}
}

func TestSetCheckRunCompletesWithEachConclusion(t *testing.T) {
	t.Parallel()
	f := newAppTestForge(t)
	for _, conclusion := range []CheckRunConclusion{ConclusionSuccess, ConclusionFailure, ConclusionCancelled, ConclusionNeutral} {
		t.Run(string(conclusion), func(t *testing.T) {
			run := f.inProgress("Step 1 of 5")
			run.Name = "sluice/" + string(conclusion)
			f.setCheckRun(f.gh, run)
			run.Status, run.Conclusion, run.Title = CheckRunCompleted, conclusion, "Rollout "+string(conclusion)
			f.setCheckRun(f.gh, run)
			for _, view := range f.srv.CheckRuns() {
				if view.Name != run.Name {
					continue
				}
				if view.Status != "completed" || view.Conclusion != string(conclusion) || view.CompletedAt.IsZero() || view.Title != run.Title {
					t.Errorf("run = %+v, want completed with %s", view, conclusion)
				}
			}
		})
	}
	if got := len(f.srv.CheckRuns()); got != 4 {
		t.Errorf("%d runs on the commit, want one per name (4)", got)
	}
}

func TestSetCheckRunAfterARestartUpdatesTheExistingRun(t *testing.T) {
	t.Parallel()
	f := newAppTestForge(t)
	f.setCheckRun(f.gh, f.inProgress("Step 1 of 5"))
	restarted := f.appClient()
	done := f.inProgress("Promoted")
	done.Status, done.Conclusion = CheckRunCompleted, ConclusionSuccess
	f.setCheckRun(restarted, done)
	runs := f.srv.CheckRuns()
	if len(runs) != 1 || runs[0].Conclusion != "success" || runs[0].Title != "Promoted" {
		t.Errorf("runs = %+v, want the one run, completed by the new client", runs)
	}
}

func TestSetCheckRunNeverUpdatesAnotherAppsRunOfTheSameName(t *testing.T) {
	t.Parallel()
	f := newAppTestForge(t)
	f.setCheckRun(f.gh, f.inProgress("App 42's step 1"))
	if lookups := f.requestsWithQuery(http.MethodGet, "/check-runs", "app_id=42"); lookups != 1 {
		t.Errorf("%d lookups asked for App 42's runs, want the one lookup to (app_id=42)", lookups)
	}
	// Another App (43) writing a run of the same name on the same commit:
	// the emulator's only App signs its tokens, but the client looks up as
	// App 43 would.
	source, err := NewAppTokenSource(AppOptions{APIURL: f.srv.APIURL(), AppID: 42, InstallationID: 7, PrivateKey: testAppKey()})
	if err != nil {
		t.Fatal(err)
	}
	other := f.client(GitHubOptions{TokenSource: source.Token, AppID: 43})
	f.setCheckRun(other, f.inProgress("App 43's step 1"))
	runs := f.srv.CheckRuns()
	titles := []string{}
	for _, r := range runs {
		titles = append(titles, r.Title)
	}
	if diff := cmp.Diff([]string{"App 42's step 1", "App 43's step 1"}, titles); diff != "" {
		t.Errorf("run titles (-want +got):\n%s\nwant App 42's run left alone and a run of App 43's own", diff)
	}
}

func TestSetCheckRunAfterALostAnswerMakesOneRun(t *testing.T) {
	t.Parallel()
	f := newAppTestForge(t)
	f.srv.FailAfter(http.MethodPost, checkRunsPath, 1, http.StatusBadGateway)
	f.setCheckRun(f.gh, f.inProgress("Step 1 of 5"))
	runs := f.srv.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("%d runs, want 1: the retry must find the run the lost answer created", len(runs))
	}
	if creates, updates := f.requests(http.MethodPost, checkRunsPath), f.requests(http.MethodPatch, ""); creates != 1 || updates != 1 {
		t.Errorf("%d creates and %d updates, want the retry to update (1 and 1)", creates, updates)
	}
	f.setCheckRun(f.gh, f.inProgress("Step 2 of 5"))
	if runs := f.srv.CheckRuns(); len(runs) != 1 || runs[0].Title != "Step 2 of 5" {
		t.Errorf("runs = %+v, want the one run at step 2", runs)
	}
}

func TestSetCheckRunCreatesAgainARunThatIsGone(t *testing.T) {
	t.Parallel()
	f := newAppTestForge(t)
	f.setCheckRun(f.gh, f.inProgress("Step 1 of 5"))
	// The emulator cannot delete a run; a 404 on the PATCH is what a
	// deleted one answers.
	f.srv.FailNext(http.MethodPatch, checkRunsPath, 1, http.StatusNotFound)
	f.setCheckRun(f.gh, f.inProgress("Step 2 of 5"))
	runs := f.srv.CheckRuns()
	if len(runs) != 2 || runs[1].Title != "Step 2 of 5" {
		t.Fatalf("runs = %+v, want a second run created at step 2", runs)
	}
	f.setCheckRun(f.gh, f.inProgress("Step 3 of 5"))
	if got := f.srv.CheckRuns(); got[0].Title != "Step 1 of 5" || got[1].Title != "Step 3 of 5" {
		t.Errorf("runs = %+v, want the new run remembered and updated", got)
	}
}

func TestSetCheckRunRefusesInvalidRunsBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	f := newAppTestForge(t)
	valid := f.inProgress("Step 1 of 5")
	cases := []struct {
		name    string
		change  func(*CheckRun)
		wantErr string
	}{
		{"the SHA is required", func(r *CheckRun) { r.SHA = "" }, "the commit SHA is required"},
		{"the name is required", func(r *CheckRun) { r.Name = "" }, "the name is required"},
		{"queued is not a status sluice writes", func(r *CheckRun) { r.Status = "queued" }, `status "queued"`},
		{"the status is required", func(r *CheckRun) { r.Status = "" }, `status ""`},
		{"completed needs a conclusion", func(r *CheckRun) { r.Status = CheckRunCompleted }, "needs a conclusion"},
		{"in progress has no conclusion", func(r *CheckRun) { r.Conclusion = ConclusionSuccess }, "only a completed one has a conclusion"},
		{"an unknown conclusion", func(r *CheckRun) { r.Status, r.Conclusion = CheckRunCompleted, "timed_out" }, `unknown conclusion "timed_out"`},
		{"the title is required", func(r *CheckRun) { r.Title = "" }, "the title is required"},
		{"the summary is required", func(r *CheckRun) { r.Summary = "" }, "the summary is required"},
	}
	before := len(f.srv.Requests())
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			run := valid
			tt.change(&run)
			err := f.gh.SetCheckRun(f.ctx, run)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), testOwner+"/"+testRepo) {
				t.Errorf("error = %v, want one naming the repository and saying %q", err, tt.wantErr)
			}
		})
	}
	if after := len(f.srv.Requests()); after != before {
		t.Errorf("%d requests were sent, want none", after-before)
	}
}

func TestSetCheckRunWithAPersonalTokenIsA403SayingAnAppIsNeeded(t *testing.T) {
	t.Parallel()
	f := newTestForge(t) // the personal token
	err := f.gh.SetCheckRun(f.ctx, f.inProgress("Step 1 of 5"))
	var ghErr *Error
	if !errors.As(err, &ghErr) || ghErr.Status != http.StatusForbidden || ghErr.Op != "set check run" {
		t.Fatalf("error = %v, want an *Error of set check run with status 403", err)
	}
	if !strings.Contains(err.Error(), "GitHub App") || strings.Contains(err.Error(), testToken) || strings.Contains(ghErr.Message, testToken) {
		t.Errorf("error = %q, want one saying a GitHub App is needed, without the token", err)
	}
	if ghErr.Temporary() {
		t.Errorf("a 403 is temporary, want it final")
	}
	if n := len(f.srv.CheckRuns()); n != 0 {
		t.Errorf("%d runs, want none", n)
	}
}

func TestSetCheckRunCutsALongSummaryAndTitle(t *testing.T) {
	t.Parallel()
	f := newAppTestForge(t)
	run := f.inProgress(strings.Repeat("t", 300))
	run.Summary = strings.Repeat("é", maxCheckRunSummary+10) // two bytes each: a cut by bytes would split one
	f.setCheckRun(f.gh, run)
	runs := f.srv.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("%d runs, want 1", len(runs))
	}
	summary := runs[0].Summary
	if n := utf8.RuneCountInString(summary); n != maxCheckRunSummary || !utf8.ValidString(summary) {
		t.Errorf("summary has %d characters (valid UTF-8: %t), want %d", n, utf8.ValidString(summary), maxCheckRunSummary)
	}
	if !strings.HasSuffix(summary, "\n\n*The summary was cut to GitHub's 65535 characters.*") || !strings.HasPrefix(summary, "éé") {
		t.Errorf("summary ends with %q, want the start of the summary and a last line saying it was cut", summary[len(summary)-80:])
	}
	if title := runs[0].Title; utf8.RuneCountInString(title) != maxCheckRunTitle || !strings.HasSuffix(title, "t…") {
		t.Errorf("title has %d characters, want %d ending with …", utf8.RuneCountInString(title), maxCheckRunTitle)
	}
}
