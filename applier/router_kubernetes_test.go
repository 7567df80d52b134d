package applier_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

func TestRouteKubernetesSwitchesTheApexSelectorAndNothingElse(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderKubernetes)
	canary := detailCanary(ns, v1alpha1.ProviderKubernetes)
	canary.Spec.Service.TargetPort = intstr.FromInt32(8080)

	// The Services as a sync applies them.
	var target appsv1.Deployment
	if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &target); err != nil {
		t.Fatal(err)
	}
	services := applier.Services(canary, &target)
	objs, err := applier.ToUnstructured(services[0], services[1], services[2])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	var before corev1.Service
	if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &before); err != nil {
		t.Fatal(err)
	}

	for _, step := range []struct {
		weights
		selector string
	}{
		{weights{0, 100}, "detail"},
		{weights{100, 0}, "detail-primary"},
		{weights{0, 100}, "detail"},
	} {
		if _, err := r.SetWeights(ctx, canary, step.Primary, step.Canary); err != nil {
			t.Fatalf("SetWeights(%d, %d): %v", step.Primary, step.Canary, err)
		}
		var apex corev1.Service
		if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &apex); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{"app": step.selector}, apex.Spec.Selector); diff != "" {
			t.Errorf("apex selector after SetWeights(%d, %d) (-want +got):\n%s", step.Primary, step.Canary, diff)
		}
		if diff := cmp.Diff(before.Spec.Ports, apex.Spec.Ports); diff != "" {
			t.Errorf("apex ports changed (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(before.Labels, apex.Labels); diff != "" {
			t.Errorf("apex labels changed (-before +after):\n%s", diff)
		}
		if got := readWeights(t, r, canary); got != step.weights {
			t.Errorf("Weights = %v, want %v", got, step.weights)
		}
	}
}

func TestRouteKubernetesWeightsRefusesASelectorOfNeitherPods(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderKubernetes)
	apex := &corev1.Service{}
	apex.Name, apex.Namespace = "detail", ns
	apex.Spec.Selector = map[string]string{"app": "someone-else"}
	apex.Spec.Ports = []corev1.ServicePort{{Port: 3000}}
	if err := playgroundtest.Client().Create(ctx, apex); err != nil {
		t.Fatal(err)
	}
	_, _, err := r.Weights(ctx, detailCanary(ns, v1alpha1.ProviderKubernetes))
	if err == nil || !strings.Contains(err.Error(), "service detail: selector map[app:someone-else] selects neither the primary pods") {
		t.Errorf("Weights = %v, want an error saying the apex selects neither pods", err)
	}
}
