package reconciler_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/planner"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// quickCanaryYAML is canaryYAML (a pre-rollout gate, no metrics) with a 1s
// interval, the analysis schedule given (e.g. "stepWeight: 50, maxWeight:
// 50") and the spec lines in spec added, e.g. "suspend: true".
func quickCanaryYAML(schedule string, spec ...string) string {
	yaml := strings.Replace(canaryYAML, "interval: 1m, threshold: 1, stepWeight: 5, maxWeight: 15,", "interval: 1s, threshold: 1, "+schedule+",", 1)
	for _, line := range spec {
		yaml = strings.Replace(yaml, "  analysis:", "  "+line+"\n  analysis:", 1)
	}
	return yaml
}

// halfSchedulableYAML is deploymentYAML whose second replica never
// schedules on the playground's one node: a pod may not share a node with
// another pod of its ReplicaSet (matchLabelKeys: pod-template-hash), so
// each of the Deployment's ReplicaSets runs one pod and leaves one Pending.
// Recreate lets a new template roll out all the same.
func halfSchedulableYAML(tag string) string {
	return strings.NewReplacer(
		"  replicas: 2\n", "  replicas: 2\n  strategy: {type: Recreate}\n",
		"    spec:\n", `    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - topologyKey: kubernetes.io/hostname
            labelSelector: {matchExpressions: [{key: app, operator: Exists}]}
            matchLabelKeys: [pod-template-hash]
`).Replace(deploymentYAML(tag))
}

// primaryReadyThreshold and canaryReadyThreshold: with 1 of 2 replicas
// available, the primary installs and a rollout promotes at 50%, where
// the default of 100% would wait on both until the progress deadline.
func TestReadyThresholdsOfFiftyPercentLetARolloutThroughWithOneOfTwoReplicasAvailable(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	repo.commit("detail 1.0, half schedulable", map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(halfSchedulableYAML("1.0")),
		"canary.yaml":        text(quickCanaryYAML("stepWeight: 50, maxWeight: 50, primaryReadyThreshold: 50, canaryReadyThreshold: 50")),
		"settings.yaml":      text(settingsYAML("blue")),
	})
	h := newHarness(t, repo, ns, nil)
	h.settle() // the sync's look at the primary honours primaryReadyThreshold

	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(halfSchedulableYAML("2.0"))})
	canaryAvailable := int32(-1)
	h.rollUntil("the promotion of 2.0", func(st v1alpha1.CanaryStatus) bool {
		if st.Phase == v1alpha1.PhaseProgressing && st.CanaryWeight == 50 {
			canaryAvailable = h.deployment("detail").Status.AvailableReplicas
		}
		if st.Phase == v1alpha1.PhaseFailed {
			t.Fatalf("rolled back: %s", st.FailureReason)
		}
		return st.Phase == v1alpha1.PhaseSucceeded
	})
	if canaryAvailable != 1 {
		t.Errorf("the canary had %d available replicas at weight 50, want 1 of 2 (the test's premise)", canaryAvailable)
	}
	primary := h.deployment("detail-primary")
	if img := primary.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("the primary runs %s after the promotion, want 2.0", img)
	}
	if st := primary.Status; st.UpdatedReplicas != 2 || st.AvailableReplicas != 1 {
		t.Errorf("the primary has %d of %d updated replicas available, want 1 of 2 (the test's premise)", st.AvailableReplicas, st.UpdatedReplicas)
	}
}

// stepWeightPromotion: once the primary runs 2.0, the route gives it 20%
// more per interval (50 → 70 → 90 → 100), as Flagger says it, instead of
// all the traffic at once.
func TestStepWeightPromotionMovesTheTrafficBackToThePrimaryOverSeveralIntervals(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	repo.commit("detail 1.0", map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(quickCanaryYAML("stepWeight: 50, maxWeight: 50, stepWeightPromotion: 20")),
		"settings.yaml":      text(settingsYAML("blue")),
	})
	var logs logLines
	h := newHarness(t, repo, ns, func(o *reconciler.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	h.settle()
	router, err := h.applier().Router("gatewayapi")
	if err != nil {
		t.Fatal(err)
	}

	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	var routed []int32 // the primary's weight in the route, each change once, from the promotion on
	h.rollUntil("the promotion of 2.0", func(st v1alpha1.CanaryStatus) bool {
		if st.Phase == v1alpha1.PhasePromoting || st.Phase == v1alpha1.PhaseFinalising || st.Phase == v1alpha1.PhaseSucceeded {
			primary, _, err := router.Weights(context.Background(), h.canary())
			if err != nil {
				t.Fatal(err)
			}
			if len(routed) == 0 || routed[len(routed)-1] != primary {
				routed = append(routed, primary)
			}
		}
		return st.Phase == v1alpha1.PhaseSucceeded
	})
	if want := []int32{50, 70, 90, 100}; !slices.Equal(routed, want) {
		t.Errorf("the primary's weight in the route during the promotion went %v, want %v", routed, want)
	}
	id := "detail." + ns
	want := []string{
		"New revision detected! Scaling up " + id,
		"Starting canary analysis for " + id,
		"Pre-rollout check gate passed",
		"Advance " + id + " canary weight 50",
		"Copying " + id + " template spec to detail-primary." + ns,
		"Advance " + id + " primary weight 70",
		"Advance " + id + " primary weight 90",
		"Advance " + id + " primary weight 100",
		"Promotion completed! Scaling down " + id,
	}
	if diff := cmp.Diff(want, rolloutMessages(logs.messages(t))); diff != "" {
		t.Errorf("promotion messages (-want +got):\n%s", diff)
	}
	if img := h.deployment("detail-primary").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("the primary runs %s after the promotion, want 2.0", img)
	}
	h.assertAllTrafficOnThePrimary()
}

// suspend: while true, a new revision in Git reaches neither the canary
// Deployment nor an analysis, and an analysis in flight holds its weight;
// the Canary itself is applied (Git turns the flag off) and says it is
// suspended. Back to false, the revision that came meanwhile starts, and
// an analysis goes on where it stopped.
func TestASuspendedCanaryLeavesItsTargetAloneAndResumesWhereItStopped(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	canary := func(spec ...string) map[string]*string {
		return map[string]*string{"canary.yaml": text(quickCanaryYAML("stepWeight: 25, maxWeight: 50", spec...))}
	}
	files := canary()
	files["kustomization.yaml"], files["deployment.yaml"], files["settings.yaml"] = text(kustomization), text(deploymentYAML("1.0")), text(settingsYAML("blue"))
	repo.commit("detail 1.0", files)
	var logs logLines
	h := newHarness(t, repo, ns, func(o *reconciler.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	h.settle()
	id := "detail." + ns
	suspendedMsg := "Canary " + id + " is suspended: no rollout steps until spec.suspend is false"
	resumedMsg := "Canary " + id + " resumed: spec.suspend is false"
	router, err := h.applier().Router("gatewayapi")
	if err != nil {
		t.Fatal(err)
	}
	routed := func() int32 {
		_, canaryWeight, err := router.Weights(context.Background(), h.canary())
		if err != nil {
			t.Fatal(err)
		}
		return canaryWeight
	}
	// syncFor syncs every 300ms for 3s: three analysis intervals.
	syncFor := func() {
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
			h.mustSync()
		}
	}

	// Suspended, then a new revision: nothing of it reaches the cluster,
	// nor does a new port reach the Services or the route.
	suspendedOnPort := canary("suspend: true")
	suspendedOnPort["canary.yaml"] = text(strings.Replace(*suspendedOnPort["canary.yaml"], "port: 3000", "port: 3001", 1))
	repo.commit("suspend detail", suspendedOnPort)
	h.mustSync()
	if c := h.canary(); !c.Spec.Suspend || !meta.IsStatusConditionTrue(c.Status.Conditions, planner.ConditionSuspended) {
		t.Fatalf("the Canary in the cluster has suspend %v and conditions %+v, want it applied and condition Suspended True", c.Spec.Suspend, c.Status.Conditions)
	}
	before := h.canary().Status
	repo.commit("detail 2.0 while suspended", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	syncFor()
	st := h.canary().Status
	if st.Phase != v1alpha1.PhaseInitialized || st.LastAppliedRevision != before.LastAppliedRevision || st.PendingRevision != "" {
		t.Errorf("status while suspended: phase %s, applied %.7s, pending %.7q; want Initialized, %.7s, none", st.Phase, st.LastAppliedRevision, st.PendingRevision, before.LastAppliedRevision)
	}
	if d := h.deployment("detail"); !strings.HasSuffix(d.Spec.Template.Spec.Containers[0].Image, ":1.0") || *d.Spec.Replicas != 0 {
		t.Errorf("the canary Deployment runs %s with %d replicas while suspended, want 1.0 at 0", d.Spec.Template.Spec.Containers[0].Image, *d.Spec.Replicas)
	}
	co, _, err := h.source.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if plan, err := h.rec.Plan(context.Background(), co); err != nil || len(plan.Canaries) != 1 || plan.Canaries[0].Action != "suspended" {
		t.Errorf("sluice plan while suspended: %+v, %v; want the one Canary suspended", plan.Canaries, err)
	}
	var svc corev1.Service
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail-canary"}, &svc); err != nil {
		t.Fatal(err)
	}
	if port := svc.Spec.Ports[0].Port; port != 3000 {
		t.Errorf("Service detail-canary has port %d while suspended, want 3000 as before", port)
	}
	route := &unstructured.Unstructured{}
	route.SetGroupVersionKind(schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"})
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail"}, route); err != nil {
		t.Fatal(err)
	}
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	backends, _, _ := unstructured.NestedSlice(rules[0].(map[string]any), "backendRefs")
	if port := backends[0].(map[string]any)["port"]; port != int64(3000) {
		t.Errorf("the HTTPRoute routes to port %v while suspended, want 3000 as before", port)
	}

	// Resumed: 2.0 starts.
	repo.commit("resume detail", canary())
	h.rollUntil("2.0 at weight 25", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 25 })
	if img := h.deployment("detail").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("the canary runs %s once resumed, want 2.0", img)
	}

	// Suspended mid-analysis: the weight holds, three intervals long.
	repo.commit("suspend detail mid-analysis", canary("suspend: true"))
	h.mustSync()
	held := h.canary().Status
	syncFor()
	if st := h.canary().Status; st.Phase != v1alpha1.PhaseProgressing || st.CanaryWeight != held.CanaryWeight || st.Iterations != held.Iterations || routed() != held.CanaryWeight {
		t.Errorf("while suspended mid-analysis: phase %s, weight %d (route %d), iterations %d; want Progressing at %d after %d, as suspended",
			st.Phase, st.CanaryWeight, routed(), st.Iterations, held.CanaryWeight, held.Iterations)
	}

	// Resumed: the analysis goes on from there to the promotion.
	repo.commit("resume detail again", canary())
	h.rollUntil("the promotion of 2.0", phaseIs(v1alpha1.PhaseSucceeded))
	if img := h.deployment("detail-primary").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("the primary runs %s after the promotion, want 2.0", img)
	}
	want := []string{
		"New revision detected! Scaling up " + id,
		"Starting canary analysis for " + id,
		"Pre-rollout check gate passed",
		"Advance " + id + " canary weight 25",
		suspendedMsg,
		resumedMsg,
		"Advance " + id + " canary weight 50",
		"Copying " + id + " template spec to detail-primary." + ns,
		"Routing all traffic to primary",
		"Promotion completed! Scaling down " + id,
	}
	if held.CanaryWeight != 25 { // the step after 25 came before the suspension (a slow machine)
		want = slices.DeleteFunc(want, func(msg string) bool { return msg == "Advance "+id+" canary weight 50" })
		want = slices.Insert(want, 4, "Advance "+id+" canary weight 50")
	}
	all := logs.messages(t)
	if diff := cmp.Diff(want, rolloutMessages(all)); diff != "" {
		t.Errorf("messages from 2.0 on (-want +got):\n%s", diff)
	}
	if i := slices.Index(all, resumedMsg); i < 0 || all[i+1] != "New revision detected! Scaling up "+id || slices.Index(all, suspendedMsg) > i {
		t.Errorf("messages do not say suspended, then resumed, then start 2.0:\n%s", strings.Join(all, "\n"))
	}
	h.assertEvents(map[string]string{suspendedMsg: "Normal", resumedMsg: "Normal"})
}
