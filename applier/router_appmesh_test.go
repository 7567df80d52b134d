package applier_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

func TestRouteAppMeshNodesRouterAndService(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderAppMesh)
	if _, err := r.SetWeights(context.Background(), detailCanary(ns, v1alpha1.ProviderAppMesh), 95, 5); err != nil {
		t.Fatal(err)
	}
	appMesh := func(kind string) schema.GroupVersionKind {
		return schema.GroupVersionKind{Group: "appmesh.k8s.aws", Version: "v1beta2", Kind: kind}
	}
	listeners := []any{map[string]any{"portMapping": map[string]any{"port": int64(3000), "protocol": "http"}}}

	// The target's selector is app: detail; the primary's, as Services
	// rewrites it, app: detail-primary.
	for name, selector := range map[string]string{"detail-primary": "detail-primary", "detail-canary": "detail"} {
		want := map[string]any{
			"podSelector":      map[string]any{"matchLabels": map[string]any{"app": selector}},
			"listeners":        listeners,
			"serviceDiscovery": map[string]any{"dns": map[string]any{"hostname": name + "." + ns + ".svc.cluster.local"}},
		}
		if diff := cmp.Diff(want, liveSpec(t, appMesh("VirtualNode"), ns, name)); diff != "" {
			t.Errorf("VirtualNode %s spec (-want +got):\n%s", name, diff)
		}
	}
	target := func(node string, weight int64) any {
		return map[string]any{"virtualNodeRef": map[string]any{"name": node}, "weight": weight}
	}
	wantRouter := map[string]any{
		"listeners": listeners,
		"routes": []any{map[string]any{
			"name": "detail",
			"httpRoute": map[string]any{
				"match":  map[string]any{"prefix": "/"},
				"action": map[string]any{"weightedTargets": []any{target("detail-primary", 95), target("detail-canary", 5)}},
			},
		}},
	}
	if diff := cmp.Diff(wantRouter, liveSpec(t, appMesh("VirtualRouter"), ns, "detail")); diff != "" {
		t.Errorf("VirtualRouter spec (-want +got):\n%s", diff)
	}
	wantService := map[string]any{
		"awsName":  "detail." + ns + ".svc.cluster.local",
		"provider": map[string]any{"virtualRouter": map[string]any{"virtualRouterRef": map[string]any{"name": "detail"}}},
	}
	if diff := cmp.Diff(wantService, liveSpec(t, appMesh("VirtualService"), ns, "detail")); diff != "" {
		t.Errorf("App Mesh VirtualService spec (-want +got):\n%s", diff)
	}
}
