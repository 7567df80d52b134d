package applier_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// detailHPA scales the Deployment detail between 2 and 5 replicas on CPU,
// scaling down slowly.
const detailHPA = `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: detail, namespace: NS, labels: {app: detail}, annotations: {note: of the target}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  minReplicas: 2
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 300}
`

// decodeHPA decodes one HorizontalPodAutoscaler of YAML, in namespace ns.
func decodeHPA(t *testing.T, ns, doc string) *autoscalingv2.HorizontalPodAutoscaler {
	t.Helper()
	hpa := &autoscalingv2.HorizontalPodAutoscaler{}
	if err := yaml.UnmarshalStrict([]byte(strings.ReplaceAll(doc, "namespace: NS", "namespace: "+ns)), hpa); err != nil {
		t.Fatal(err)
	}
	return hpa
}

func TestThePrimaryAutoscalerScalesThePrimaryWithTheTargetsMetricsAndTheBoundsGiven(t *testing.T) {
	tests := []struct {
		name     string
		bounds   *v1alpha1.ScalerReplicas
		min, max int32
	}{
		{name: "no bounds keep the target's", min: 2, max: 5},
		{name: "an empty override keeps the target's", bounds: &v1alpha1.ScalerReplicas{}, min: 2, max: 5},
		{name: "minReplicas alone", bounds: &v1alpha1.ScalerReplicas{MinReplicas: new(int32(3))}, min: 3, max: 5},
		{name: "maxReplicas alone", bounds: &v1alpha1.ScalerReplicas{MaxReplicas: new(int32(10))}, min: 2, max: 10},
		{name: "both", bounds: &v1alpha1.ScalerReplicas{MinReplicas: new(int32(4)), MaxReplicas: new(int32(8))}, min: 4, max: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			source := decodeHPA(t, "flagger", detailHPA)
			want := decodeHPA(t, "flagger", detailHPA)
			want.TypeMeta = metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"}
			want.Name, want.Annotations = "detail-primary", nil
			want.Spec.ScaleTargetRef.Name = "detail-primary"
			want.Spec.MinReplicas, want.Spec.MaxReplicas = &tt.min, tt.max

			got := applier.PrimaryAutoscaler(source, tt.bounds)

			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("primary autoscaler (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(decodeHPA(t, "flagger", detailHPA), source); diff != "" {
				t.Errorf("PrimaryAutoscaler modified the target's (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnAutoscaledPrimaryKeepsItsCountAndANewOneStartsWithinTheBounds(t *testing.T) {
	hpa := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: new(int32(2)), MaxReplicas: 5}}
	noMin := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 5}}
	target := func(replicas *int32) *appsv1.Deployment {
		return &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: replicas}}
	}
	tests := []struct {
		name   string
		target *appsv1.Deployment
		hpa    *autoscalingv2.HorizontalPodAutoscaler
		live   *int32
		want   int32
	}{
		{"a live primary keeps what its autoscaler set", target(new(int32(2))), hpa, new(int32(4)), 4},
		{"even outside the bounds: the autoscaler brings it back", target(new(int32(2))), hpa, new(int32(9)), 9},
		{"a new primary takes the target's count", target(new(int32(3))), hpa, nil, 3},
		{"raised to minReplicas", target(new(int32(1))), hpa, nil, 2},
		{"lowered to maxReplicas", target(new(int32(7))), hpa, nil, 5},
		{"the target leaving it unset starts at minReplicas", target(nil), hpa, nil, 2},
		{"no minReplicas means 1", target(nil), noMin, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := applier.PrimaryReplicas(tt.target, tt.hpa, tt.live); got != tt.want {
				t.Errorf("PrimaryReplicas = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAnAutoscaledCanaryScalesUpToTheTargetsCountOrTheAutoscalersMinimum(t *testing.T) {
	withMin := func(m *int32) *autoscalingv2.HorizontalPodAutoscaler {
		return &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: m, MaxReplicas: 5}}
	}
	tests := []struct {
		name     string
		replicas *int32
		hpa      *autoscalingv2.HorizontalPodAutoscaler
		want     int32
	}{
		{"Git's count", new(int32(3)), withMin(new(int32(2))), 3},
		{"Git's zero is the autoscaler's minimum", new(int32(0)), withMin(new(int32(2))), 2},
		{"no count in Git is the autoscaler's minimum", nil, withMin(new(int32(2))), 2},
		{"no minimum either is 1", nil, withMin(nil), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: tt.replicas}}
			if got := applier.CanaryReplicas(target, tt.hpa); got != tt.want {
				t.Errorf("CanaryReplicas = %d, want %d", got, tt.want)
			}
		})
	}
}

// On the playground, whose kube-controller-manager runs the autoscaler
// controller (without metrics: it only holds a Deployment within its
// bounds), the copy scales the primary, follows its source, and goes when
// pruned.
func TestThePrimaryAutoscalerIsAppliedFollowsItsSourceAndIsPruned(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	primaryDeployment := strings.NewReplacer("name: detail,", "name: detail-primary,", "app: detail", "app: detail-primary").Replace(deployment)
	if _, err := a.Apply(ctx, objects(t, ns, deployment, primaryDeployment, detailHPA)); err != nil {
		t.Fatal(err)
	}
	copyOf := func(source string) *autoscalingv2.HorizontalPodAutoscaler {
		return applier.PrimaryAutoscaler(decodeHPA(t, ns, source), &v1alpha1.ScalerReplicas{MinReplicas: new(int32(3))})
	}
	apply := func(hpa *autoscalingv2.HorizontalPodAutoscaler) applier.Action {
		t.Helper()
		objs, err := applier.ToUnstructured(hpa)
		if err != nil {
			t.Fatal(err)
		}
		changes, err := a.Apply(ctx, objs)
		if err != nil || len(changes) != 1 {
			t.Fatalf("apply the primary autoscaler: %v, %v", changes, err)
		}
		return changes[0].Action
	}
	live := func() *autoscalingv2.HorizontalPodAutoscaler {
		t.Helper()
		var hpa autoscalingv2.HorizontalPodAutoscaler
		if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail-primary"}, &hpa); err != nil {
			t.Fatal(err)
		}
		return &hpa
	}

	if got := apply(copyOf(detailHPA)); got != applier.Created {
		t.Errorf("first apply: %s, want created", got)
	}
	hpa := live()
	if ref := hpa.Spec.ScaleTargetRef; ref.Name != "detail-primary" || ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" {
		t.Errorf("the copy scales %+v, want the Deployment detail-primary", ref)
	}
	if *hpa.Spec.MinReplicas != 3 || hpa.Spec.MaxReplicas != 5 || hpa.Spec.Metrics[0].Resource.Target.AverageUtilization == nil ||
		*hpa.Spec.Metrics[0].Resource.Target.AverageUtilization != 80 || *hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds != 300 {
		t.Errorf("the copy's spec is %+v, want min 3 (the override), max 5, the CPU metric and the behavior of the source", hpa.Spec)
	}
	if hpa.Labels["sluice.dev/name"] != "test" || hpa.Labels["app"] != "detail" {
		t.Errorf("the copy's labels are %v, want the source's and sluice's owner labels", hpa.Labels)
	}
	// The autoscaler controller raises the primary (1 replica) to the
	// copy's minReplicas; the target's autoscaler does the same to detail.
	waitForReplicas(t, a, client.ObjectKey{Namespace: ns, Name: "detail-primary"}, 3)
	waitForReplicas(t, a, client.ObjectKey{Namespace: ns, Name: "detail"}, 2)

	changed := strings.NewReplacer("averageUtilization: 80", "averageUtilization: 60", "maxReplicas: 5", "maxReplicas: 6").Replace(detailHPA)
	if got := apply(copyOf(changed)); got != applier.Configured {
		t.Errorf("apply after the source changed: %s, want configured", got)
	}
	if hpa := live(); *hpa.Spec.Metrics[0].Resource.Target.AverageUtilization != 60 || hpa.Spec.MaxReplicas != 6 || *hpa.Spec.MinReplicas != 3 {
		t.Errorf("after the source changed the copy is %+v, want utilization 60, max 6, min still 3", hpa.Spec)
	}
	if got := apply(copyOf(changed)); got != applier.Unchanged {
		t.Errorf("apply of the same copy again: %s, want unchanged", got)
	}

	objs, _ := applier.ToUnstructured(copyOf(changed))
	if _, err := a.Prune(ctx, applier.InventoryOf(objs), nil); err != nil {
		t.Fatal(err)
	}
	err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail-primary"}, &autoscalingv2.HorizontalPodAutoscaler{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("the pruned copy: %v, want not found", err)
	}
	if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &autoscalingv2.HorizontalPodAutoscaler{}); err != nil {
		t.Errorf("the target's autoscaler after pruning the copy: %v", err)
	}
}

// waitForReplicas waits up to 20 seconds for the Deployment key to ask for
// want replicas.
func waitForReplicas(t *testing.T, a *applier.Applier, key client.ObjectKey, want int32) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := a.Replicas(context.Background(), key)
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s asks for %d replicas (%v), want %d: no autoscaler scaled it within 20s", key, got, err, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
