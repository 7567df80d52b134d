package reconciler_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// A Flagger Canary in Git syncs and rolls out as sluice's own: the cluster
// holds the sluice.dev Canary, and one Warning says how to write it so.
func TestAFlaggerCanaryInGitSyncsAsSluicesOwn(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	flagger := strings.NewReplacer("apiVersion: sluice.dev/v1alpha1", "apiVersion: flagger.app/v1beta1",
		"  analysis: {interval: 1m,", "  revertOnDeletion: true\n  canaryAnalysis: {interval: 1s,", "provider: gatewayapi", "provider: gatewayapi:v1beta1").Replace(canaryYAML)
	repo.commit("detail 1.0 with a Flagger canary", map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(flagger),
		"settings.yaml":      text(settingsYAML("blue")),
	})
	h := newHarness(t, repo, ns, nil)
	h.settle()
	h.mustSync()
	canary := h.canary()
	if canary.APIVersion != "" && canary.APIVersion != v1alpha1.GroupVersion.String() || canary.Status.Phase != v1alpha1.PhaseInitialized || canary.Spec.Provider != "gatewayapi" {
		t.Fatalf("canary in the cluster: %s, phase %s, provider %s; want sluice's, Initialized, gatewayapi", canary.APIVersion, canary.Status.Phase, canary.Spec.Provider)
	}
	told := 0
	for _, msg := range h.canaryEvents() {
		if strings.Contains(msg, "is written as flagger.app/v1beta1: sluice reads it as sluice.dev/v1alpha1; `sluice convert` writes it so in Git") {
			told++
		}
	}
	if told != 1 {
		t.Errorf("%d Warnings suggesting sluice convert after three syncs, want 1", told)
	}

	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	h.rollUntil("the promotion of 2.0", phaseIs(v1alpha1.PhaseSucceeded))
}
