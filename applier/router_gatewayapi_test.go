package applier_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// liveHTTPRoute reads the HTTPRoute detail of ns.
func liveHTTPRoute(t *testing.T, ns string) *gatewayv1.HTTPRoute {
	t.Helper()
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute"))
	if err := playgroundtest.Client().Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail"}, live); err != nil {
		t.Fatal(err)
	}
	var route gatewayv1.HTTPRoute
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(live.Object, &route); err != nil {
		t.Fatal(err)
	}
	return &route
}

// backends returns the backendRefs of a rule as "name:port=weight".
func backends(rule gatewayv1.HTTPRouteRule) []string {
	var out []string
	for _, ref := range rule.BackendRefs {
		out = append(out, fmt.Sprintf("%s:%d=%d", ref.Name, ptr.Deref(ref.Port, 0), ptr.Deref(ref.Weight, 1)))
	}
	return out
}

func TestRouteGatewayAPIAttachesToTheGatewaysAndWeightsTwoBackends(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderGatewayAPI)
	canary := detailCanary(ns, v1alpha1.ProviderGatewayAPI)
	// A ref without a namespace names a Gateway in the Canary's.
	canary.Spec.Service.GatewayRefs = append(canary.Spec.Service.GatewayRefs, v1alpha1.GatewayRef{Name: "internal"})
	if _, err := r.Reconcile(ctx, canary); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetWeights(ctx, canary, 95, 5); err != nil {
		t.Fatal(err)
	}

	route := liveHTTPRoute(t, ns)
	var parents []string
	for _, ref := range route.Spec.ParentRefs {
		parents = append(parents, string(ptr.Deref(ref.Namespace, ""))+"/"+string(ref.Name))
	}
	if diff := cmp.Diff([]string{"gateway/public", ns + "/internal"}, parents); diff != "" {
		t.Errorf("parentRefs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]gatewayv1.Hostname{"detail.example.com"}, route.Spec.Hostnames); diff != "" {
		t.Errorf("hostnames (-want +got):\n%s", diff)
	}
	if len(route.Spec.Rules) != 1 {
		t.Fatalf("%d rules, want 1", len(route.Spec.Rules))
	}
	if diff := cmp.Diff([]string{"detail-primary:3000=95", "detail-canary:3000=5"}, backends(route.Spec.Rules[0])); diff != "" {
		t.Errorf("backendRefs (-want +got):\n%s", diff)
	}
	if route.Labels["app.kubernetes.io/managed-by"] != "sluice" || route.Labels["sluice.dev/name"] != "test" {
		t.Errorf("labels %v, want managed-by sluice and the owner labels", route.Labels)
	}
}

func TestRouteGatewayAPIABMatchSendsMatchingRequestsToTheCanary(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderGatewayAPI)
	canary := withMatch(detailCanary(ns, v1alpha1.ProviderGatewayAPI))
	if _, err := r.SetWeights(ctx, canary, 0, 100); err != nil {
		t.Fatal(err)
	}

	route := liveHTTPRoute(t, ns)
	if len(route.Spec.Rules) != 2 {
		t.Fatalf("%d rules, want the match rule and the rest", len(route.Spec.Rules))
	}
	type header struct{ Type, Name, Value string }
	var matches [][]header
	for _, m := range route.Spec.Rules[0].Matches {
		var headers []header
		for _, h := range m.Headers {
			headers = append(headers, header{string(ptr.Deref(h.Type, "")), string(h.Name), h.Value})
		}
		matches = append(matches, headers)
	}
	want := [][]header{
		{{"Exact", "x-canary", "insider"}},
		{{"RegularExpression", "cookie", "^(.*?;)?(canary=always)(;.*)?$"}},
	}
	if diff := cmp.Diff(want, matches); diff != "" {
		t.Errorf("matches of the first rule (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"detail-primary:3000=0", "detail-canary:3000=100"}, backends(route.Spec.Rules[0])); diff != "" {
		t.Errorf("backendRefs of the match rule (-want +got):\n%s", diff)
	}
	rest := route.Spec.Rules[1]
	if len(rest.Matches) != 1 || rest.Matches[0].Headers != nil {
		t.Errorf("second rule matches %+v, want every request (the server's default path match)", rest.Matches)
	}
	if diff := cmp.Diff([]string{"detail-primary:3000=100"}, backends(rest)); diff != "" {
		t.Errorf("backendRefs of the rest (-want +got):\n%s", diff)
	}
}

func TestRouteGatewayAPIRefusesAPrefixMatch(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderGatewayAPI)
	canary := detailCanary(ns, v1alpha1.ProviderGatewayAPI)
	canary.Spec.Analysis.Match = []v1alpha1.HTTPMatch{{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Prefix: "in"}}}}
	_, err := r.Reconcile(context.Background(), canary)
	want := "canary " + ns + "/detail: httproute detail: spec.analysis.match[0]: header x-canary:"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Reconcile with a prefix match = %v, want an error starting with %q", err, want)
	}
}
