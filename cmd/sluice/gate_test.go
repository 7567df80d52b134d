package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/loadgen"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// TestTheLoadTestersManualGatesHoldAPromotionAndRollBack rolls out from
// Git with the playground load tester's manual gates, as Flagger's
// tutorials use them: a confirm-promotion webhook on /gate/check holds the
// promotion until /gate/open is posted; a rollback webhook on
// /rollback/check rolls the next rollout back once /rollback/open is.
func TestTheLoadTestersManualGatesHoldAPromotionAndRollBack(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	lt := loadgen.NewLoadTester(loadgen.LoadTesterOptions{})
	defer lt.Close()
	server := httptest.NewServer(lt)
	defer server.Close()
	files := func(tag string) map[string]string {
		f := appFiles(ns, tag)
		f["canary.yaml"] = strings.NewReplacer(
			"interval: 1m, stepWeight: 5, maxWeight: 15", "interval: 1s, iterations: 2",
			`webhooks: [{name: gate, type: pre-rollout, url: "http://127.0.0.1:9/"}]`,
			`webhooks: [{name: approval, type: confirm-promotion, url: "`+server.URL+`/gate/check"}, {name: kill-switch, type: rollback, url: "`+server.URL+`/rollback/check"}]`,
			"  service:", "  provider: kubernetes\n  service:").Replace(f["canary.yaml"])
		return f
	}
	repo := t.TempDir()
	gitInit(t, repo)
	gitCommit(t, repo, "detail 1.0", files("1.0"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stopRun := runInBackground(t, ctx, "run", "--repo", repo, "--kubeconfig", playgroundtest.Kubeconfig(), "--namespace", ns,
		"--inventory-namespace", ns, "--owner", "gate-test", "--interval", "1s")
	defer stopRun()
	c, err := client.New(playgroundtest.Playground().ControlPlane.Config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	status := func() v1alpha1.CanaryStatus {
		var canary v1alpha1.Canary
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &canary); err != nil {
			return v1alpha1.CanaryStatus{}
		}
		return canary.Status
	}
	waitPhase := func(want v1alpha1.CanaryPhase) {
		t.Helper()
		for status().Phase != want {
			select {
			case <-ctx.Done():
				t.Fatalf("no phase %s: status %+v", want, status())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	gate := func(path string) {
		t.Helper()
		resp, err := http.Post(server.URL+path, "application/json", strings.NewReader(`{"name": "detail", "namespace": "`+ns+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %s = %d, want 202", path, resp.StatusCode)
		}
	}

	waitPhase(v1alpha1.PhaseInitialized)
	gitCommit(t, repo, "detail 2.0", files("2.0"))

	// The gate holds the promotion of 2.0 for as long as it is closed.
	waitPhase(v1alpha1.PhaseWaitingPromotion)
	time.Sleep(3 * time.Second)
	if st := status(); st.Phase != v1alpha1.PhaseWaitingPromotion {
		t.Fatalf("with the gate closed the Canary went on to %s", st.Phase)
	}
	gate("/gate/open")
	waitPhase(v1alpha1.PhaseSucceeded)
	wantImage(t, c, ns, "2.0")

	// 3.0 waits at the closed gate again, until the rollback gate opens.
	gate("/gate/close")
	gitCommit(t, repo, "detail 3.0", files("3.0"))
	waitPhase(v1alpha1.PhaseWaitingPromotion)
	gate("/rollback/open")
	waitPhase(v1alpha1.PhaseFailed)
	if st := status(); st.FailureReason != "rolled back by webhook kill-switch" {
		t.Errorf("failureReason %q, want rolled back by webhook kill-switch", st.FailureReason)
	}
	wantImage(t, c, ns, "2.0")
	var events corev1.EventList
	if err := c.List(ctx, &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if !hasEvent(events, "Rolling back detail."+ns+" manual webhook invoked") {
		t.Errorf("no Event Rolling back detail.%s manual webhook invoked", ns)
	}
}
