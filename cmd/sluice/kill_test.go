package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// TestASluiceKilledMidRolloutAndMidPromotionFinishesAfterARestart kills a
// real `sluice run` process with SIGKILL, once in the middle of an
// analysis and once in the middle of a promotion, restarts it, and checks
// the rollout resumes where it stood and ends promoted. The times to
// resume are the figures of docs/reliability.md.
func TestASluiceKilledMidRolloutAndMidPromotionFinishesAfterARestart(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	binary := filepath.Join(t.TempDir(), "sluice")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer gate.Close()
	files := func(tag string) map[string]string {
		f := appFiles(ns, tag)
		// Blue/green (provider kubernetes) needs no routing CRD: the apex
		// Service's selector is the switch.
		f["canary.yaml"] = strings.NewReplacer("interval: 1m, stepWeight: 5, maxWeight: 15", "interval: 2s, iterations: 4",
			"http://127.0.0.1:9/", gate.URL, "  service:", "  provider: kubernetes\n  service:").Replace(f["canary.yaml"])
		return f
	}
	repo := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "-b", "main", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	gitCommit(t, repo, "detail 1.0", files("1.0"))

	c, err := client.New(playgroundtest.Playground().ControlPlane.Config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	status := func() v1alpha1.CanaryStatus {
		var canary v1alpha1.Canary
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail"}, &canary); err != nil {
			return v1alpha1.CanaryStatus{}
		}
		return canary.Status
	}
	waitFor := func(what string, done func(v1alpha1.CanaryStatus) bool) time.Duration {
		t.Helper()
		start := time.Now()
		for deadline := start.Add(90 * time.Second); !done(status()); {
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 90s; status %+v", what, status())
			}
			time.Sleep(20 * time.Millisecond)
		}
		return time.Since(start)
	}
	var logs bytes.Buffer
	start := func() *exec.Cmd {
		cmd := exec.Command(binary, "run", "--repo", repo, "--kubeconfig", playgroundtest.Kubeconfig(), "--namespace", ns,
			"--inventory-namespace", ns, "--owner", "kill-test", "--interval", "1s", "--prune")
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	kill := func(cmd *exec.Cmd) {
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}

	run := start()
	waitFor("the install", func(st v1alpha1.CanaryStatus) bool { return st.Phase == v1alpha1.PhaseInitialized })
	gitCommit(t, repo, "detail 2.0", files("2.0"))

	// Mid-analysis.
	waitFor("iteration 2", func(st v1alpha1.CanaryStatus) bool { return st.Iterations == 2 })
	kill(run)
	killedAt := status()
	run = start()
	resumed := waitFor("the next step after the restart", func(st v1alpha1.CanaryStatus) bool {
		return st.Iterations > killedAt.Iterations || st.Phase != killedAt.Phase
	})
	if st := status(); st.Iterations != 3 || st.Phase != v1alpha1.PhaseProgressing {
		t.Errorf("after the restart at iteration 2 the rollout went on to iteration %d, phase %s; want 3, Progressing", st.Iterations, st.Phase)
	}
	t.Logf("killed at iteration 2: the restarted sluice took the next step %s after it started", resumed.Round(10*time.Millisecond))

	// Mid-promotion.
	waitFor("the promotion", func(st v1alpha1.CanaryStatus) bool { return st.Phase == v1alpha1.PhasePromoting })
	kill(run)
	run = start()
	defer kill(run)
	finished := waitFor("the end of the promotion after the restart", func(st v1alpha1.CanaryStatus) bool { return st.Phase == v1alpha1.PhaseSucceeded })
	t.Logf("killed while Promoting: the restarted sluice finished the promotion %s after it started", finished.Round(10*time.Millisecond))

	var primary, canary appsv1.Deployment
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail-primary"}, &primary); err != nil {
		t.Fatal(err)
	}
	if img := primary.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("the primary runs %s after the promotion, want 2.0", img)
	}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail"}, &canary); err != nil || *canary.Spec.Replicas != 0 {
		t.Errorf("the canary after the promotion: %v, replicas %v; want 0", err, canary.Spec.Replicas)
	}
	if t.Failed() {
		t.Logf("sluice's log:\n%s", logs.String())
	}
}
