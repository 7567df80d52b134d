package reconciler_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// agentYAML is a DaemonSet agent at tag and its blue/green Canary
// (provider kubernetes, 2 iterations of 1s).
func agentYAML(tag string) string { return agentYAMLGated(tag, passingWebhook.URL) }

// agentYAMLGated is agentYAML with its pre-rollout webhook at gate.
func agentYAMLGated(tag, gate string) string {
	return `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "example.com/agent:` + tag + `", ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata: {name: agent}
spec:
  targetRef: {apiVersion: apps/v1, kind: DaemonSet, name: agent}
  provider: kubernetes
  service: {port: 80, targetPort: http}
  analysis: {interval: 1s, threshold: 1, iterations: 2, webhooks: [{name: gate, type: pre-rollout, url: "` + gate + `"}]}
`
}

// A DaemonSet on the kwok nodes rolled out blue/green from Git, as Flagger
// does: agent-primary runs a pod on every node, the canary DaemonSet agent
// rests on none (a node selector no node matches) and runs on every node
// during the analysis while the apex Service selects the primary's pods;
// promotion copies the pod template to agent-primary and puts the canary
// back to rest. No Deployment is made.
func TestADaemonSetRollsOutBlueGreenFromGitAndIsPromoted(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	nodes := int32(len(playgroundtest.Playground().ControlPlane.Nodes))
	repo := newGitRepo(t)
	repo.commit("agent 1.0", map[string]*string{
		"kustomization.yaml": text("resources: [agent.yaml]\n"),
		"agent.yaml":         text(agentYAML("1.0")),
	})
	h := newHarness(t, repo, ns, nil)
	st := rollCanaryUntil(h, "agent", "install", func(st v1alpha1.CanaryStatus) bool {
		return st.Phase == v1alpha1.PhaseInitialized && daemonSetRunning(t, h, ns, "agent-primary", nodes)
	})
	if st.LastPromotedRevision == "" {
		t.Fatalf("installed without a promoted revision: %+v", st)
	}
	if got := daemonSet(t, h, ns, "agent"); applier.DaemonSetScaledUp(got) || got.Status.DesiredNumberScheduled != 0 {
		t.Errorf("the canary DaemonSet at rest: node selector %v, %d pods wanted; want none", got.Spec.Template.Spec.NodeSelector, got.Status.DesiredNumberScheduled)
	}
	apex := func() map[string]string {
		var svc corev1.Service
		if err := h.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "agent"}, &svc); err != nil {
			t.Fatal(err)
		}
		return svc.Spec.Selector
	}
	primarySelector := map[string]string{"app": "agent-primary"}
	if diff := cmp.Diff(primarySelector, apex()); diff != "" {
		t.Errorf("apex selector after the install (-want +got):\n%s", diff)
	}

	repo.commit("agent 2.0", map[string]*string{"agent.yaml": text(agentYAML("2.0"))})
	var analysed int
	st = rollCanaryUntil(h, "agent", "promotion", func(st v1alpha1.CanaryStatus) bool {
		if st.Phase == v1alpha1.PhaseProgressing && st.Iterations > 0 {
			analysed++
			if canary := daemonSet(t, h, ns, "agent"); !applier.DaemonSetScaledUp(canary) {
				t.Errorf("the canary DaemonSet rests during the analysis: node selector %v", canary.Spec.Template.Spec.NodeSelector)
			} else if canary.Status.NumberAvailable != nodes {
				t.Errorf("the canary DaemonSet runs %d available pods during the analysis, want %d", canary.Status.NumberAvailable, nodes)
			}
			if diff := cmp.Diff(primarySelector, apex()); diff != "" {
				t.Errorf("apex selector during the analysis (-want +got):\n%s", diff)
			}
		}
		return st.Phase == v1alpha1.PhaseSucceeded && daemonSetRunning(t, h, ns, "agent-primary", nodes)
	})
	if analysed == 0 || st.Iterations != 2 {
		t.Fatalf("saw %d analysed syncs and %d iterations, want some and 2", analysed, st.Iterations)
	}
	primary := daemonSet(t, h, ns, "agent-primary")
	if img := primary.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") || primary.Annotations[applier.RevisionAnnotation] != st.LastPromotedRevision {
		t.Errorf("the primary runs %s recording revision %s after the promotion, want 2.0 and %s", img, primary.Annotations[applier.RevisionAnnotation], st.LastPromotedRevision)
	}
	if diff := cmp.Diff(primarySelector, apex()); diff != "" {
		t.Errorf("apex selector after the promotion (-want +got):\n%s", diff)
	}
	if canary := daemonSet(t, h, ns, "agent"); applier.DaemonSetScaledUp(canary) {
		t.Errorf("the canary DaemonSet runs on the nodes after the promotion: node selector %v", canary.Spec.Template.Spec.NodeSelector)
	}
	var deploy appsv1.Deployment
	if err := h.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "agent-primary"}, &deploy); !apierrors.IsNotFound(err) {
		t.Errorf("a Deployment agent-primary: %v, want none", err)
	}
}

// rollCanaryUntil is rollUntil for the Canary name.
func rollCanaryUntil(h *harness, name, what string, done func(v1alpha1.CanaryStatus) bool) v1alpha1.CanaryStatus {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := h.sync(); err != nil {
			h.t.Fatalf("sync while waiting for %s: %v", what, err)
		}
		if st := h.canaryNamed(name).Status; done(st) {
			return st
		} else if time.Now().After(deadline) {
			h.t.Fatalf("no %s within a minute; status %+v", what, st)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// A DaemonSet whose analysis fails is rolled back: the canary DaemonSet
// goes back to rest on no node, the primary keeps running 1.0 on every
// node, and the primary records the failed revision.
func TestADaemonSetWhoseAnalysisFailsIsRolledBack(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	nodes := int32(len(playgroundtest.Playground().ControlPlane.Nodes))
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	t.Cleanup(gate.Close)
	repo := newGitRepo(t)
	repo.commit("agent 1.0", map[string]*string{
		"kustomization.yaml": text("resources: [agent.yaml]\n"),
		"agent.yaml":         text(agentYAMLGated("1.0", gate.URL)),
	})
	h := newHarness(t, repo, ns, nil)
	rollCanaryUntil(h, "agent", "install", func(st v1alpha1.CanaryStatus) bool {
		return st.Phase == v1alpha1.PhaseInitialized && daemonSetRunning(t, h, ns, "agent-primary", nodes)
	})

	repo.commit("agent 3.0", map[string]*string{"agent.yaml": text(agentYAMLGated("3.0", gate.URL))})
	var scaledUp bool
	st := rollCanaryUntil(h, "agent", "rollback", func(st v1alpha1.CanaryStatus) bool {
		scaledUp = scaledUp || applier.DaemonSetScaledUp(daemonSet(t, h, ns, "agent"))
		return st.Phase == v1alpha1.PhaseFailed
	})
	if !scaledUp {
		t.Error("the canary DaemonSet never ran on the nodes before its rollback")
	}
	if canary := daemonSet(t, h, ns, "agent"); applier.DaemonSetScaledUp(canary) {
		t.Errorf("the canary DaemonSet runs on the nodes after the rollback: node selector %v", canary.Spec.Template.Spec.NodeSelector)
	}
	primary := daemonSet(t, h, ns, "agent-primary")
	if img := primary.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":1.0") {
		t.Errorf("the primary runs %s after the rollback, want 1.0", img)
	}
	if got := primary.Annotations[applier.FailedRevisionAnnotation]; got == "" || got != st.LastFailedRevision {
		t.Errorf("the primary records failed revision %q, want %q", got, st.LastFailedRevision)
	}
	if !daemonSetRunning(t, h, ns, "agent-primary", nodes) {
		t.Error("the primary does not run on every node after the rollback")
	}
}

func daemonSet(t *testing.T, h *harness, ns, name string) *appsv1.DaemonSet {
	t.Helper()
	var ds appsv1.DaemonSet
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ds); err != nil {
		t.Fatal(err)
	}
	return &ds
}

// daemonSetRunning reports whether the DaemonSet exists and runs an
// updated, available pod on each of nodes.
func daemonSetRunning(t *testing.T, h *harness, ns, name string, nodes int32) bool {
	t.Helper()
	var ds appsv1.DaemonSet
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ds); err != nil {
		if apierrors.IsNotFound(err) {
			return false
		}
		t.Fatal(err)
	}
	st := ds.Status
	return nodes > 0 && st.ObservedGeneration == ds.Generation && st.DesiredNumberScheduled == nodes && st.UpdatedNumberScheduled == nodes && st.NumberAvailable == nodes
}

// A DaemonSet's Canary that leaves Git while the DaemonSet stays hands the
// nodes over without a gap: agent-primary keeps serving while the
// DaemonSet, as Git now has it, is not ready (here its pods ask for more
// CPU than a node has), and goes once it runs on every node. Before the
// fix the departure looked for a Deployment, found none, and removed
// agent-primary at once.
func TestADaemonSetWhoseCanaryLeavesGitTakesTheNodesOverWithoutAGap(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	nodes := int32(len(playgroundtest.Playground().ControlPlane.Nodes))
	repo := newGitRepo(t)
	repo.commit("agent 1.0", map[string]*string{
		"kustomization.yaml": text("resources: [agent.yaml]\n"),
		"agent.yaml":         text(agentYAML("1.0")),
	})
	h := newHarness(t, repo, ns, nil)
	rollCanaryUntil(h, "agent", "install", func(st v1alpha1.CanaryStatus) bool {
		return st.Phase == v1alpha1.PhaseInitialized && daemonSetRunning(t, h, ns, "agent-primary", nodes)
	})

	daemonSetOnly := strings.SplitN(agentYAML("1.0"), "---\n", 2)[0]
	gated := strings.Replace(daemonSetOnly, `ports: [{name: http, containerPort: 8080}]`, `ports: [{name: http, containerPort: 8080}], resources: {requests: {cpu: "1000"}}`, 1)
	repo.commit("agent without its Canary, not ready", map[string]*string{"agent.yaml": text(gated)})
	for range 5 {
		h.mustSync()
		var primary appsv1.DaemonSet
		if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "agent-primary"}, &primary); err != nil || primary.DeletionTimestamp != nil {
			t.Fatalf("agent-primary removed (%v) while agent is not ready", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !applier.DaemonSetScaledUp(daemonSet(t, h, ns, "agent")) {
		t.Error("agent is not back on its nodes while it is to take them over")
	}

	repo.commit("agent ready", map[string]*string{"agent.yaml": text(daemonSetOnly)})
	deadline := time.Now().Add(30 * time.Second)
	for {
		h.mustSync()
		var primary appsv1.DaemonSet
		err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "agent-primary"}, &primary)
		if apierrors.IsNotFound(err) || err == nil && primary.DeletionTimestamp != nil {
			if !daemonSetRunning(t, h, ns, "agent", nodes) {
				t.Fatal("agent-primary removed while agent does not run on every node")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent-primary still there after 30s (%v)", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
