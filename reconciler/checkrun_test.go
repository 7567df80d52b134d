package reconciler_test

import (
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/forge"
	"github.com/sluicehq/sluice/playground/forgeemu"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// newForgeRepoAsApp is newForgeRepo on an emulator that also serves a
// GitHub App (id 42, installation 7), and a forge client authenticated as
// that App, whose installation tokens live 2 s: the Check Runs go through
// refreshed tokens.
func newForgeRepoAsApp(t *testing.T) (*forgeRepo, *forge.GitHub) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := forgeemu.New(forgeemu.Options{Dir: t.TempDir(), Owner: "shop", Repo: "fleet", Token: forgeToken,
		App: &forgeemu.App{ID: 42, InstallationID: 7, PublicKey: &key.PublicKey, TokenTTL: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	user := github.NewClient(nil).WithAuthToken(forgeToken)
	if user.BaseURL, err = user.BaseURL.Parse(srv.APIURL()); err != nil {
		t.Fatal(err)
	}
	app, err := forge.NewAppTokenSource(forge.AppOptions{APIURL: srv.APIURL(), AppID: 42, InstallationID: 7, PrivateKey: key})
	if err != nil {
		t.Fatal(err)
	}
	gh, err := forge.NewGitHub(forge.GitHubOptions{APIURL: srv.APIURL(), Owner: "shop", Repo: "fleet", TokenSource: app.Token,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	return &forgeRepo{t: t, srv: srv, user: user, token: forgeToken}, gh
}

// checkRuns are the Check Runs of the Canary detail on sha.
func checkRuns(srv *forgeemu.Server, ns, sha string) []forgeemu.CheckRunView {
	var out []forgeemu.CheckRunView
	for _, run := range srv.CheckRuns() {
		if run.HeadSHA == sha && run.Name == reconciler.StatusContext(ns, "detail") {
			out = append(out, run)
		}
	}
	return out
}

// oneCheckRun is the only Check Run of detail on sha.
func oneCheckRun(t *testing.T, srv *forgeemu.Server, ns, sha string) forgeemu.CheckRunView {
	t.Helper()
	runs := checkRuns(srv, ns, sha)
	if len(runs) != 1 {
		t.Fatalf("%d Check Runs of detail on %s, want exactly one (updated in place): %+v", len(runs), sha[:7], runs)
	}
	return runs[0]
}

// TestCheckRunsTellTheRolloutOnEachCommit runs the seed story with
// --commit-checks check-runs, sluice authenticated as a GitHub App: each
// commit gets one Check Run per Canary, updated in place as the rollout
// moves, and no commit status. The promoted commit's run is a success
// whose summary shows the weights reached and the last value of the
// success rate; the failed commit's is a failure with the reason and,
// once opened, a link to the revert pull request; a commit superseded
// mid-analysis is cancelled.
func TestCheckRunsTellTheRolloutOnEachCommit(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	exporter := startRequestsExporter(t, ns, "detail")
	repo, app := newForgeRepoAsApp(t)
	first := repo.push("detail 1.0", seedFiles(t, "1.0"))
	var logs logLines
	h := forgeHarness(t, repo, ns, &logs, func(o *reconciler.Options) {
		o.Forge = app
		o.CommitChecks = reconciler.CommitChecksRuns
	})
	h.settle()
	if run := oneCheckRun(t, repo.srv, ns, first); run.Status != "completed" || run.Conclusion != "success" {
		t.Errorf("Check Run of the install: %s/%s %q, want completed/success", run.Status, run.Conclusion, run.Title)
	}

	// 2.0 is promoted: while it rolls, its Check Run is in progress.
	merged2 := repo.mergePR("detail 2.0", map[string]string{"detail/deployment.yaml": deploymentYAML("2.0")})
	h.rollUntil("weight 10 for 2.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 10 })
	if run := oneCheckRun(t, repo.srv, ns, merged2); run.Status != "in_progress" || !strings.Contains(run.Title, "10%") {
		t.Errorf("Check Run at weight 10: %s %q, want in_progress saying 10%%", run.Status, run.Title)
	}
	h.rollUntil("promotion of 2.0", phaseIs(v1alpha1.PhaseSucceeded))
	run := oneCheckRun(t, repo.srv, ns, merged2)
	t.Logf("Check Run of 2.0: %s/%s %q\n%s", run.Status, run.Conclusion, run.Title, run.Summary)
	if run.Status != "completed" || run.Conclusion != "success" {
		t.Errorf("Check Run of the promoted commit: %s/%s, want completed/success", run.Status, run.Conclusion)
	}
	for _, want := range []string{"5% ✓ → 10% ✓ → 15% ✓", "request-success-rate | metric | Pass | 100 "} {
		if !strings.Contains(run.Summary, want) {
			t.Errorf("summary of the promoted commit lacks %q", want)
		}
	}
	if got := repo.statuses(ns, merged2); len(got) != 0 {
		t.Errorf("commit statuses written with --commit-checks check-runs: %q", got)
	}

	// 3.0 fails at weight 5: a failure with the reason, then the link to
	// its revert pull request.
	merged3 := repo.mergePR("detail 3.0", map[string]string{"detail/deployment.yaml": deploymentYAML("3.0")})
	h.rollUntil("weight 5 for 3.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 5 })
	exporter.setSuccessRate(0.2)
	st := h.rollUntil("a revert pull request", func(st v1alpha1.CanaryStatus) bool { return st.RevertPullRequest != 0 })
	run = oneCheckRun(t, repo.srv, ns, merged3)
	t.Logf("Check Run of 3.0: %s/%s %q\n%s", run.Status, run.Conclusion, run.Title, run.Summary)
	if run.Status != "completed" || run.Conclusion != "failure" {
		t.Errorf("Check Run of the failed commit: %s/%s, want completed/failure", run.Status, run.Conclusion)
	}
	pr, _, err := repo.user.PullRequests.Get(t.Context(), "shop", "fleet", st.RevertPullRequest)
	if err != nil {
		t.Fatal(err)
	}
	// The reason as GitHub renders it: "<" is written &lt; in Markdown.
	reason := strings.ReplaceAll(st.FailureReason, "<", "&lt;")
	whole, _, _ := strings.Cut(strings.Fields(st.FailureReason)[2], ".") // "success rate 79.03% < 99%" → 79
	for _, want := range []string{reason, pr.GetHTMLURL(), "request-success-rate | metric | Fail | " + whole + "."} {
		if !strings.Contains(run.Summary, want) {
			t.Errorf("summary of the failed commit lacks %q", want)
		}
	}
	if strings.Contains(run.Summary, forgeToken) {
		t.Error("the summary shows the token")
	}

	// 4.0 is superseded by 5.0 at weight 5: cancelled, not a verdict.
	exporter.setSuccessRate(1)
	merged4 := repo.mergePR("detail 4.0", map[string]string{"detail/deployment.yaml": deploymentYAML("4.0")})
	h.rollUntil("weight 5 for 4.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 5 })
	merged5 := repo.mergePR("detail 5.0", map[string]string{"detail/deployment.yaml": deploymentYAML("5.0")})
	h.rollUntil("the rollout of 5.0", func(st v1alpha1.CanaryStatus) bool { return st.LastAppliedCommit == merged5 })
	run = oneCheckRun(t, repo.srv, ns, merged4)
	if run.Status != "completed" || run.Conclusion != "cancelled" || !strings.Contains(run.Title, merged5[:7]) {
		t.Errorf("Check Run of the superseded commit: %s/%s %q, want completed/cancelled naming %s", run.Status, run.Conclusion, run.Title, merged5[:7])
	}
}
