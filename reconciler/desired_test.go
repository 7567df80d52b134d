package reconciler

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

// TestTheBlueGreenApexServiceIsTheRoutersDuringARollout pins why a sync
// leaves the apex Service alone while a blue/green rollout runs: applying
// Services' apex, which selects the primary pods, every interval would
// switch the traffic back from the canary the router switched it to.
func TestTheBlueGreenApexServiceIsTheRoutersDuringARollout(t *testing.T) {
	tests := []struct {
		name      string
		provider  string
		phase     v1alpha1.CanaryPhase
		wantApply bool
	}{
		{name: "blue/green in flight leaves the apex to the router", provider: "kubernetes", phase: v1alpha1.PhaseProgressing},
		{name: "blue/green finalising leaves the apex to the router", provider: "kubernetes", phase: v1alpha1.PhaseFinalising},
		{name: "blue/green between rollouts applies the apex", provider: "kubernetes", phase: v1alpha1.PhaseSucceeded, wantApply: true},
		{name: "blue/green with a revision pending applies the apex", provider: "kubernetes", phase: v1alpha1.PhaseWaiting, wantApply: true},
		{name: "weighted routing applies the apex during a rollout", provider: "gatewayapi", phase: v1alpha1.PhaseProgressing, wantApply: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rendering := blueGreenRendering(tt.provider)
			decisions := []planner.SyncDecision{{Status: v1alpha1.CanaryStatus{Phase: tt.phase}}}
			desired, err := desiredState(rendering, decisions, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			applied := false
			for _, obj := range desired.objects {
				applied = applied || obj.GetKind() == "Service" && obj.GetName() == "detail"
			}
			if applied != tt.wantApply {
				t.Errorf("apex Service applied = %v, want %v", applied, tt.wantApply)
			}
			if !slices.Contains(desired.inventory, "/v1/Service/flagger/detail") {
				t.Errorf("inventory %v lacks the apex Service: it would be pruned", desired.inventory)
			}
		})
	}
}

func blueGreenRendering(provider string) *manifests.Rendering {
	canary := &v1alpha1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "detail", Namespace: "flagger"},
		Spec: v1alpha1.CanarySpec{
			TargetRef: v1alpha1.TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "detail"},
			Provider:  provider,
			Service:   v1alpha1.CanaryService{Port: 3000},
		},
	}
	labels := map[string]string{"app": "detail"}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "detail", Namespace: "flagger"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "detail", Image: "detail:1.0"}}},
			},
		},
	}
	return &manifests.Rendering{
		Canaries: []*v1alpha1.Canary{canary},
		Targets:  []manifests.Target{{Deployment: deploy, Revision: "rev1"}},
	}
}
