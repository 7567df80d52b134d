package applier_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// liveSpec reads the spec of the object of kind gvk named name in ns.
func liveSpec(t *testing.T, gvk schema.GroupVersionKind, ns, name string) map[string]any {
	t.Helper()
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(gvk)
	if err := playgroundtest.Client().Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, live); err != nil {
		t.Fatal(err)
	}
	spec, _, _ := unstructured.NestedMap(live.Object, "spec")
	return spec
}

var virtualServiceKind = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1beta1", Kind: "VirtualService"}

// istioDestination is one weighted destination as the VirtualService holds it.
func istioDestination(host string, weight int64) any {
	return map[string]any{"destination": map[string]any{"host": host, "port": map[string]any{"number": int64(3000)}}, "weight": weight}
}

func TestRouteIstioVirtualService(t *testing.T) {
	tests := []struct {
		name   string
		canary func(ns string) *v1alpha1.Canary
		split  weights
		want   map[string]any
	}{
		{
			name:   "a canary release serves the hosts and the apex through the gateways and the mesh",
			canary: func(ns string) *v1alpha1.Canary { return detailCanary(ns, v1alpha1.ProviderIstio) },
			split:  weights{90, 10},
			want: map[string]any{
				"hosts":    []any{"detail", "detail.example.com"},
				"gateways": []any{"gateway/public", "mesh"},
				"http":     []any{map[string]any{"route": []any{istioDestination("detail-primary", 90), istioDestination("detail-canary", 10)}}},
			},
		},
		{
			name: "without gateways the mesh alone routes",
			canary: func(ns string) *v1alpha1.Canary {
				c := detailCanary(ns, v1alpha1.ProviderIstio)
				c.Spec.Service.GatewayRefs, c.Spec.Service.Hosts = nil, nil
				return c
			},
			split: weights{100, 0},
			want: map[string]any{
				"hosts": []any{"detail"},
				"http":  []any{map[string]any{"route": []any{istioDestination("detail-primary", 100), istioDestination("detail-canary", 0)}}},
			},
		},
		{
			name:   "an A/B rollout matches header or cookie first and sends the rest to the primary",
			canary: func(ns string) *v1alpha1.Canary { return withMatch(detailCanary(ns, v1alpha1.ProviderIstio)) },
			split:  weights{0, 100},
			want: map[string]any{
				"hosts":    []any{"detail", "detail.example.com"},
				"gateways": []any{"gateway/public", "mesh"},
				"http": []any{
					map[string]any{
						"match": []any{
							map[string]any{"headers": map[string]any{"x-canary": map[string]any{"exact": "insider"}}},
							map[string]any{"headers": map[string]any{"cookie": map[string]any{"regex": "^(.*?;)?(canary=always)(;.*)?$"}}},
						},
						"route": []any{istioDestination("detail-primary", 0), istioDestination("detail-canary", 100)},
					},
					map[string]any{"route": []any{istioDestination("detail-primary", 100)}},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := playgroundtest.Namespace(t)
			a := newApplier(t, ns)
			r := routerFor(t, a, ns, v1alpha1.ProviderIstio)
			if _, err := r.SetWeights(context.Background(), tt.canary(ns), tt.split.Primary, tt.split.Canary); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, liveSpec(t, virtualServiceKind, ns, "detail")); diff != "" {
				t.Errorf("VirtualService spec (-want +got):\n%s", diff)
			}
		})
	}
}
