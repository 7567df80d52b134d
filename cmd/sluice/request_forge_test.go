package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/forgeemu"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// TestAnAbortIsWrittenBackLikeAFailure aborts a rollout that sluice run
// syncs from the forge emulator: the commit of 2.0 gets the failure status
// saying who aborted, and a revert pull request is opened with that reason,
// as for a failed analysis.
func TestAnAbortIsWrittenBackLikeAFailure(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	const token = "ghp_abort-t0ken"
	srv, err := forgeemu.New(forgeemu.Options{Dir: t.TempDir(), Owner: "shop", Repo: "fleet", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer gate.Close()
	push := func(tag string) string {
		t.Helper()
		f := appFiles(ns, tag)
		f["canary.yaml"] = strings.NewReplacer("interval: 1m, stepWeight: 5, maxWeight: 15", "interval: 1s, iterations: 100",
			"http://127.0.0.1:9/", gate.URL, "  service:", "  provider: kubernetes\n  service:").Replace(f["canary.yaml"])
		sha, err := srv.Commit(context.Background(), forgeemu.Change{Branch: "main", Message: "detail " + tag, Write: f})
		if err != nil {
			t.Fatal(err)
		}
		return sha
	}
	push("1.0")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stopRun := runInBackground(t, ctx, "run", "--repo", srv.GitURL(), "--token-file", tokenFile, "--forge", "github", "--forge-api-url", srv.APIURL(),
		"--kubeconfig", playgroundtest.Kubeconfig(), "--namespace", ns, "--inventory-namespace", ns, "--owner", "abort-forge-test", "--interval", "1s")
	defer stopRun()
	c, err := client.New(playgroundtest.Playground().ControlPlane.Config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, done func(v1alpha1.CanaryStatus) bool) v1alpha1.CanaryStatus {
		t.Helper()
		for {
			var canary v1alpha1.Canary
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &canary); err == nil && done(canary.Status) {
				return canary.Status
			}
			select {
			case <-ctx.Done():
				t.Fatalf("no %s", what)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	waitFor("install", func(st v1alpha1.CanaryStatus) bool { return st.Phase == v1alpha1.PhaseInitialized })
	failing := push("2.0")
	waitFor("analysis", func(st v1alpha1.CanaryStatus) bool {
		return st.Phase == v1alpha1.PhaseProgressing && st.Iterations >= 1
	})
	if out, err := sluice(ctx, "abort", "detail", "-n", ns, "--kubeconfig", playgroundtest.Kubeconfig()); err != nil {
		t.Fatalf("sluice abort: %v\n%s", err, out)
	}
	st := waitFor("the revert pull request", func(st v1alpha1.CanaryStatus) bool {
		return st.Phase == v1alpha1.PhaseFailed && st.RevertPullRequest > 0
	})

	user := github.NewClient(nil).WithAuthToken(token)
	if user.BaseURL, err = user.BaseURL.Parse(srv.APIURL()); err != nil {
		t.Fatal(err)
	}
	statuses, _, err := user.Repositories.ListStatuses(ctx, "shop", "fleet", failing, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(statuses) == 0 || statuses[0].GetState() != "failure" || statuses[0].GetDescription() != "aborted by sluice-admin — rolled back" {
		t.Errorf("latest status of the aborted commit: %v, want failure: aborted by sluice-admin — rolled back", statuses)
	}
	pr, _, err := user.PullRequests.Get(ctx, "shop", "fleet", st.RevertPullRequest)
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetState() != "open" || !strings.Contains(pr.GetBody(), "aborted by sluice-admin") {
		t.Errorf("revert pull request #%d is %s, body:\n%s\nwant open, saying aborted by sluice-admin", pr.GetNumber(), pr.GetState(), pr.GetBody())
	}
}
