package reconciler_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
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
