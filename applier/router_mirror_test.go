package applier_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// Mirror copies mirrorWeight percent of the requests to the canary while
// the primary takes all the traffic; Reconcile keeps the mirror, and
// SetWeights takes it off, for each provider that mirrors.
func TestRouterMirrorCopiesRequestsToTheCanaryUntilWeightsAreSet(t *testing.T) {
	for _, provider := range []string{v1alpha1.ProviderGatewayAPI, v1alpha1.ProviderIstio} {
		t.Run(provider, func(t *testing.T) {
			ctx := context.Background()
			ns := playgroundtest.Namespace(t)
			a := newApplier(t, ns)
			r := routerFor(t, a, ns, provider)
			canary := detailCanary(ns, provider)
			canary.Spec.Analysis.Mirror, canary.Spec.Analysis.MirrorWeight = true, 30

			if _, err := r.Mirror(ctx, canary); err != nil {
				t.Fatalf("Mirror: %v", err)
			}
			wantMirrored(t, r, canary, true)
			if got := readWeights(t, r, canary); got != (weights{100, 0}) {
				t.Errorf("weights while mirroring = %v, want all to the primary", got)
			}
			if diff := cmp.Diff(wantMirror(provider, ns), liveMirror(t, provider, ns)); diff != "" {
				t.Errorf("live mirror (-want +got):\n%s", diff)
			}
			changes, err := r.Reconcile(ctx, canary)
			if err != nil {
				t.Fatal(err)
			}
			if changes.Written() != 0 {
				t.Errorf("Reconcile while mirroring wrote %v", changes)
			}
			wantMirrored(t, r, canary, true)

			if _, err := r.SetWeights(ctx, canary, 95, 5); err != nil {
				t.Fatal(err)
			}
			wantMirrored(t, r, canary, false)
			if got := liveMirror(t, provider, ns); got != nil {
				t.Errorf("live mirror after SetWeights = %v, want none", got)
			}
		})
	}
}

func TestRouterMirrorIsRefusedByProvidersThatCannotCopyRequests(t *testing.T) {
	for _, provider := range []string{v1alpha1.ProviderKubernetes, v1alpha1.ProviderAppMesh, v1alpha1.ProviderLinkerd} {
		t.Run(provider, func(t *testing.T) {
			ns := playgroundtest.Namespace(t)
			a := newApplier(t, ns)
			r := routerFor(t, a, ns, provider)
			canary := detailCanary(ns, provider)
			changes, err := r.Mirror(context.Background(), canary)
			var mirrorErr *applier.MirrorError
			if !errors.As(err, &mirrorErr) || mirrorErr.Provider != provider {
				t.Fatalf("Mirror = %v, want a *MirrorError for %s", err, provider)
			}
			if changes.Written() != 0 {
				t.Errorf("a refused Mirror wrote %v", changes)
			}
		})
	}
}

func wantMirrored(t *testing.T, r applier.Router, canary *v1alpha1.Canary, want bool) {
	t.Helper()
	got, err := r.Mirrored(context.Background(), canary)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Mirrored = %t, want %t", got, want)
	}
}

// wantMirror is the mirror of detailCanary with mirrorWeight 30 as the
// provider writes it.
func wantMirror(provider, ns string) any {
	if provider == v1alpha1.ProviderIstio {
		return map[string]any{
			"mirror":           map[string]any{"host": "detail-canary", "port": map[string]any{"number": int64(3000)}},
			"mirrorPercentage": map[string]any{"value": int64(30)},
		}
	}
	return &gatewayv1.HTTPRequestMirrorFilter{
		BackendRef: gatewayv1.BackendObjectReference{
			Group: ptr.To(gatewayv1.Group("")), Kind: ptr.To(gatewayv1.Kind("Service")),
			Name: "detail-canary", Port: ptr.To(gatewayv1.PortNumber(3000)),
		},
		Percent: ptr.To(int32(30)),
	}
}

// liveMirror reads the mirror of the live weighted route: the
// RequestMirror filter of the HTTPRoute's first rule, or the mirror and
// mirrorPercentage of the VirtualService's first route; nil when none.
func liveMirror(t *testing.T, provider, ns string) any {
	t.Helper()
	if provider == v1alpha1.ProviderIstio {
		routes, _, _ := unstructured.NestedSlice(liveSpec(t, virtualServiceKind, ns, "detail"), "http")
		first, _ := routes[0].(map[string]any)
		out := map[string]any{}
		for _, key := range []string{"mirror", "mirrorPercentage"} {
			if v, ok := first[key]; ok {
				out[key] = v
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	for _, f := range liveHTTPRoute(t, ns).Spec.Rules[0].Filters {
		if f.Type == gatewayv1.HTTPRouteFilterRequestMirror {
			return f.RequestMirror
		}
	}
	return nil
}
