package reconciler_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

func TestABlueGreenRolloutKeepsTheApexOnThePrimaryUntilItIsPromoted(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	blueGreen := func(tag string) string {
		yaml := strings.Replace(appYAML("detail", tag, "1s"), "  service:", "  provider: kubernetes\n  service:", 1)
		return strings.Replace(yaml, "stepWeight: 5, maxWeight: 15", "iterations: 3", 1)
	}
	repo.commit("bg 1.0", map[string]*string{
		"kustomization.yaml": text("resources: [bg.yaml]\n"),
		"bg.yaml":            text(blueGreen("1.0")),
	})
	h := newHarness(t, repo, ns, nil)
	h.settle()
	apex := func() map[string]string {
		var svc corev1.Service
		if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail"}, &svc); err != nil {
			t.Fatal(err)
		}
		return svc.Spec.Selector
	}
	primarySelector := map[string]string{"app": "detail-primary"}

	repo.commit("bg 2.0", map[string]*string{"bg.yaml": text(blueGreen("2.0"))})
	var steps int
	st := h.rollUntil("promotion", func(st v1alpha1.CanaryStatus) bool {
		if st.Phase == v1alpha1.PhaseProgressing {
			steps++
			// No weights in blue/green: the analysis runs on the canary
			// Service while every user still reaches the primary.
			if diff := cmp.Diff(primarySelector, apex()); diff != "" {
				t.Errorf("apex selector during the analysis (-want +got):\n%s", diff)
			}
			if replicas := *h.deployment("detail").Spec.Replicas; replicas != 1 {
				t.Errorf("the canary runs %d replicas during the analysis, want 1", replicas)
			}
		}
		return st.Phase == v1alpha1.PhaseSucceeded
	})
	if steps == 0 || st.Iterations != 3 {
		t.Fatalf("saw %d syncs of the rollout Progressing and %d iterations, want some and 3", steps, st.Iterations)
	}
	if img := h.deployment("detail-primary").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("the primary runs %s after the promotion, want 2.0", img)
	}
	if diff := cmp.Diff(primarySelector, apex()); diff != "" {
		t.Errorf("apex selector after the promotion (-want +got):\n%s", diff)
	}
	if replicas := *h.deployment("detail").Spec.Replicas; replicas != 0 {
		t.Errorf("the canary has %d replicas after the promotion, want 0", replicas)
	}
}
