package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/planner"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// TestPauseResumeAbortAndPromoteARolloutFromGit drives a rollout synced
// from Git with the real commands: pause holds the iterations, resume goes
// on, abort rolls back naming the user the API server knows (the
// playground's admin certificate, sluice-admin, not the kubeconfig's user
// name), and promote ends the next rollout long before its 100 iterations.
// Each request is gone from the Canary once carried out.
func TestPauseResumeAbortAndPromoteARolloutFromGit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ns := playgroundtest.Namespace(t)
	repo, files, w := runIterationsApp(t, ctx, ns, "request-test", "interval: 1s, iterations: 100")
	c, get, waitFor, request, cleared := w.c, w.get, w.waitFor, w.request, requestCleared
	progressing := func(canary *v1alpha1.Canary) bool {
		return canary.Status.Phase == v1alpha1.PhaseProgressing && canary.Status.Iterations >= 2
	}

	waitFor("install", func(c *v1alpha1.Canary) bool { return c.Status.Phase == v1alpha1.PhaseInitialized })
	gitCommit(t, repo, "detail 2.0", files("2.0"))
	waitFor("analysis of 2.0", progressing)

	// Pause: the iterations stop for three intervals and more.
	request("pause")
	paused := waitFor("pause carried out", func(c *v1alpha1.Canary) bool {
		return meta.IsStatusConditionTrue(c.Status.Conditions, planner.ConditionPaused) && cleared(c)
	})
	time.Sleep(3500 * time.Millisecond)
	if got := get().Status; got.Iterations != paused.Status.Iterations || got.Phase != v1alpha1.PhaseProgressing {
		t.Errorf("paused at iteration %d, 3.5s later: iteration %d, phase %s; want it held", paused.Status.Iterations, got.Iterations, got.Phase)
	}

	// Resume: the iterations go on.
	request("resume")
	waitFor("iterations after resume", func(c *v1alpha1.Canary) bool {
		return c.Status.Iterations > paused.Status.Iterations+1 && cleared(c) && !meta.IsStatusConditionTrue(c.Status.Conditions, planner.ConditionPaused)
	})

	// Abort: rolled back, saying who aborted, 1.0 still on the primary.
	request("abort")
	aborted := waitFor("rollback after abort", func(c *v1alpha1.Canary) bool { return c.Status.Phase == v1alpha1.PhaseFailed && cleared(c) })
	if aborted.Status.FailureReason != "aborted by sluice-admin" {
		t.Errorf("failureReason %q, want aborted by sluice-admin", aborted.Status.FailureReason)
	}
	wantImage(t, c, ns, "1.0")
	var events corev1.EventList
	if err := c.List(ctx, &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if !hasEvent(events, "Rolling back detail."+ns+" aborted by sluice-admin") {
		t.Errorf("no Event saying who aborted among %d", len(events.Items))
	}

	// Promote: 3.0 is promoted at once, most of its 100 iterations skipped.
	gitCommit(t, repo, "detail 3.0", files("3.0"))
	waitFor("analysis of 3.0", progressing)
	request("promote")
	promoted := waitFor("promotion", func(c *v1alpha1.Canary) bool { return c.Status.Phase == v1alpha1.PhaseSucceeded && cleared(c) })
	if promoted.Status.Iterations > 20 {
		t.Errorf("promoted after %d iterations, want the promotion at the step after the request", promoted.Status.Iterations)
	}
	wantImage(t, c, ns, "3.0")

	// A Canary that does not exist is an error that names it.
	if _, err := sluice(ctx, "abort", "nothing", "-n", ns, "--kubeconfig", playgroundtest.Kubeconfig()); err == nil || !strings.Contains(err.Error(), "canary "+ns+"/nothing: abort: ") {
		t.Errorf("abort of a missing Canary: err = %v, want one naming it", err)
	}
}

// runIterationsApp commits detail 1.0 of ns to a new repository, with a
// Canary of the kubernetes provider whose analysis is analysis (such as
// "interval: 1s, iterations: 100") and whose pre-rollout gate passes, and
// runs sluice on it as owner until the test ends. It returns the
// repository, the files of a version, and a watch of the Canary.
func runIterationsApp(t *testing.T, ctx context.Context, ns, owner, analysis string) (string, func(tag string) map[string]string, *canaryWatch) {
	t.Helper()
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(gate.Close)
	files := func(tag string) map[string]string {
		f := appFiles(ns, tag)
		f["canary.yaml"] = strings.NewReplacer("interval: 1m, stepWeight: 5, maxWeight: 15", analysis,
			"http://127.0.0.1:9/", gate.URL, "  service:", "  provider: kubernetes\n  service:").Replace(f["canary.yaml"])
		return f
	}
	repo := t.TempDir()
	gitInit(t, repo)
	gitCommit(t, repo, "detail 1.0", files("1.0"))
	stopRun := runInBackground(t, ctx, "run", "--repo", repo, "--kubeconfig", playgroundtest.Kubeconfig(), "--namespace", ns,
		"--inventory-namespace", ns, "--owner", owner, "--interval", "1s")
	t.Cleanup(stopRun)
	return repo, files, newCanaryWatch(t, ctx, ns)
}

// canaryWatch reads the Canary detail of a test namespace and sends it
// manual requests with the real commands.
type canaryWatch struct {
	t   *testing.T
	ctx context.Context
	ns  string
	c   client.Client
}

func newCanaryWatch(t *testing.T, ctx context.Context, ns string) *canaryWatch {
	t.Helper()
	c, err := client.New(playgroundtest.Playground().ControlPlane.Config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return &canaryWatch{t: t, ctx: ctx, ns: ns, c: c}
}

// get returns the live Canary, an empty one when it cannot be read.
func (w *canaryWatch) get() *v1alpha1.Canary {
	var canary v1alpha1.Canary
	if err := w.c.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: "detail"}, &canary); err != nil {
		return &v1alpha1.Canary{}
	}
	return &canary
}

// waitFor returns the Canary once done says so, and fails the test when
// the context ends first.
func (w *canaryWatch) waitFor(what string, done func(*v1alpha1.Canary) bool) *v1alpha1.Canary {
	w.t.Helper()
	for {
		if canary := w.get(); done(canary) {
			return canary
		}
		select {
		case <-w.ctx.Done():
			w.t.Fatalf("no %s: status %+v, annotations %v", what, w.get().Status, w.get().Annotations)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// request runs sluice <action> detail.
func (w *canaryWatch) request(action string) {
	w.t.Helper()
	out, err := sluice(w.ctx, action, "detail", "-n", w.ns, "--kubeconfig", playgroundtest.Kubeconfig())
	if err != nil || !strings.Contains(out, action+" requested by sluice-admin") {
		w.t.Fatalf("sluice %s: %v\n%s", action, err, out)
	}
}

// requestCleared reports whether the Canary holds no manual request.
func requestCleared(canary *v1alpha1.Canary) bool {
	_, ok := v1alpha1.RequestOf(canary.Annotations)
	return !ok
}

// TestAManualRequestDoesNotWaitForTheNextStep: with an analysis interval
// of a minute, a pause and then a promote are carried out as soon as run's
// watch sees them, not at the Canary's next scheduled step: the pause holds
// the rollout before its first analysis step, and the promotion completes
// without any. Before run woke a Canary on a request, each waited for the
// step a minute after the last.
func TestAManualRequestDoesNotWaitForTheNextStep(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := playgroundtest.Namespace(t)
	repo, files, w := runIterationsApp(t, ctx, ns, "wake-test", "interval: 1m, iterations: 10")

	w.waitFor("install", func(c *v1alpha1.Canary) bool { return c.Status.Phase == v1alpha1.PhaseInitialized })
	gitCommit(t, repo, "detail 2.0", files("2.0"))
	started := w.waitFor("analysis of 2.0", func(c *v1alpha1.Canary) bool {
		return c.Status.Phase == v1alpha1.PhaseProgressing && c.Status.LastStepTime != nil
	})
	nextStep := started.Status.LastStepTime.Add(time.Minute)

	w.request("pause")
	paused := w.waitFor("pause carried out", func(c *v1alpha1.Canary) bool {
		return meta.IsStatusConditionTrue(c.Status.Conditions, planner.ConditionPaused) && requestCleared(c)
	})
	pausedAt := meta.FindStatusCondition(paused.Status.Conditions, planner.ConditionPaused).LastTransitionTime.Time
	if !pausedAt.Before(nextStep) || paused.Status.Iterations != 0 {
		t.Errorf("paused at %s after %d iterations; want it before the first analysis step, due at %s",
			pausedAt.Format(time.TimeOnly), paused.Status.Iterations, nextStep.Format(time.TimeOnly))
	}

	w.request("promote")
	promoted := w.waitFor("promotion", func(c *v1alpha1.Canary) bool { return c.Status.Phase == v1alpha1.PhaseSucceeded && requestCleared(c) })
	if promoted.Status.Iterations != 0 {
		t.Errorf("promoted after %d iterations, want the promotion before any analysis step", promoted.Status.Iterations)
	}
	wantImage(t, w.c, ns, "2.0")
}

func wantImage(t *testing.T, c client.Client, ns, tag string) {
	t.Helper()
	var primary appsv1.Deployment
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail-primary"}, &primary); err != nil {
		t.Fatal(err)
	}
	if img := primary.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":"+tag) {
		t.Errorf("the primary runs %s, want %s", img, tag)
	}
}

func hasEvent(events corev1.EventList, message string) bool {
	for _, e := range events.Items {
		if e.InvolvedObject.Kind == "Canary" && e.Message == message {
			return true
		}
	}
	return false
}

// TestTheBinaryWorksAsAKubectlPlugin builds sluice as kubectl-sluice, the
// name kubectl looks for on PATH for `kubectl sluice`, and runs status with
// it: the command works and its help names itself "kubectl sluice".
func TestTheBinaryWorksAsAKubectlPlugin(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	plugin := filepath.Join(t.TempDir(), "kubectl-sluice")
	if out, err := exec.Command("go", "build", "-o", plugin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(plugin, "status", "-n", ns, "--kubeconfig", playgroundtest.Kubeconfig()).CombinedOutput()
	if err != nil || string(out) != "No Canaries found.\n" {
		t.Errorf("kubectl-sluice status: %v\n%s", err, out)
	}
	out, err = exec.Command(plugin, "abort", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "kubectl sluice abort CANARY [flags]") {
		t.Errorf("kubectl-sluice abort --help: %v, want the usage of kubectl sluice abort:\n%s", err, out)
	}
}
