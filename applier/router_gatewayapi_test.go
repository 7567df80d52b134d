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
	return liveHTTPRouteNamed(t, ns, "detail")
}

// liveHTTPRouteNamed reads the HTTPRoute name of ns.
func liveHTTPRouteNamed(t *testing.T, ns, name string) *gatewayv1.HTTPRoute {
	t.Helper()
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute"))
	if err := playgroundtest.Client().Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, live); err != nil {
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

// withRouteOptions gives canary every route option of Flagger's Service
// that an HTTPRoute builds, under the Service name shop.
func withRouteOptions(canary *v1alpha1.Canary) *v1alpha1.Canary {
	s := &canary.Spec.Service
	s.Name = "shop"
	s.GatewayRefs[0].SectionName, s.GatewayRefs[0].Port = "https", ptr.To(int32(443))
	s.Timeout, s.BackendTimeout = "30s", "10s"
	s.Match = []v1alpha1.HTTPMatchRequest{{
		URI:         &v1alpha1.StringMatch{Prefix: "/api"},
		Method:      &v1alpha1.StringMatch{Exact: "GET"},
		Headers:     map[string]v1alpha1.StringMatch{"x-tenant": {Regex: "^a.*"}, "x-canary": {Exact: "no"}},
		QueryParams: map[string]v1alpha1.StringMatch{"beta": {Exact: "1"}},
	}}
	s.Rewrite = &v1alpha1.HTTPRewrite{URI: "/v2", Authority: "shop.internal", Type: v1alpha1.RewritePrefixMatch}
	s.Headers = &v1alpha1.HeaderOperations{
		Request:  &v1alpha1.HeaderOperation{Set: map[string]string{"x-via": "sluice", "x-env": "prod"}, Add: map[string]string{"x-trace": "1"}, Remove: []string{"x-debug"}},
		Response: &v1alpha1.HeaderOperation{Set: map[string]string{"x-served-by": "shop"}, Remove: []string{"server"}},
	}
	s.Apex = &v1alpha1.CustomMetadata{Labels: map[string]string{"tier": "web"}, Annotations: map[string]string{"example.com/team": "shop"}}
	return canary
}

// wantServiceMatch is withRouteOptions' match as an HTTPRoute match: the
// path, the method, the headers and query parameters in name order.
func wantServiceMatch() gatewayv1.HTTPRouteMatch {
	return gatewayv1.HTTPRouteMatch{
		Path:   &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/api")},
		Method: ptr.To(gatewayv1.HTTPMethodGet),
		Headers: []gatewayv1.HTTPHeaderMatch{
			{Type: ptr.To(gatewayv1.HeaderMatchExact), Name: "x-canary", Value: "no"},
			{Type: ptr.To(gatewayv1.HeaderMatchRegularExpression), Name: "x-tenant", Value: "^a.*"},
		},
		QueryParams: []gatewayv1.HTTPQueryParamMatch{{Type: ptr.To(gatewayv1.QueryParamMatchExact), Name: "beta", Value: "1"}},
	}
}

// wantRouteFilters are withRouteOptions' filters: request and response
// header modifiers, headers in name order, then the URL rewrite.
func wantRouteFilters() []gatewayv1.HTTPRouteFilter {
	return []gatewayv1.HTTPRouteFilter{
		{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier, RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{
			Set:    []gatewayv1.HTTPHeader{{Name: "x-env", Value: "prod"}, {Name: "x-via", Value: "sluice"}},
			Add:    []gatewayv1.HTTPHeader{{Name: "x-trace", Value: "1"}},
			Remove: []string{"x-debug"},
		}},
		{Type: gatewayv1.HTTPRouteFilterResponseHeaderModifier, ResponseHeaderModifier: &gatewayv1.HTTPHeaderFilter{
			Set:    []gatewayv1.HTTPHeader{{Name: "x-served-by", Value: "shop"}},
			Remove: []string{"server"},
		}},
		{Type: gatewayv1.HTTPRouteFilterURLRewrite, URLRewrite: &gatewayv1.HTTPURLRewriteFilter{
			Hostname: ptr.To(gatewayv1.PreciseHostname("shop.internal")),
			Path:     &gatewayv1.HTTPPathModifier{Type: gatewayv1.PrefixMatchHTTPPathModifier, ReplacePrefixMatch: ptr.To("/v2")},
		}},
	}
}

var wantTimeouts = &gatewayv1.HTTPRouteTimeouts{Request: ptr.To(gatewayv1.Duration("30s")), BackendRequest: ptr.To(gatewayv1.Duration("10s"))}

func TestRouteGatewayAPIBuildsFlaggersServiceOptions(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderGatewayAPI)
	canary := withRouteOptions(detailCanary(ns, v1alpha1.ProviderGatewayAPI))
	if _, err := r.Reconcile(ctx, canary); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetWeights(ctx, canary, 90, 10); err != nil {
		t.Fatal(err)
	}

	route := liveHTTPRouteNamed(t, ns, "shop")
	wantParents := []gatewayv1.ParentReference{{
		Group: ptr.To(gatewayv1.Group(gatewayv1.GroupName)), Kind: ptr.To(gatewayv1.Kind("Gateway")),
		Namespace: ptr.To(gatewayv1.Namespace("gateway")), Name: "public",
		SectionName: ptr.To(gatewayv1.SectionName("https")), Port: ptr.To(gatewayv1.PortNumber(443)),
	}}
	if diff := cmp.Diff(wantParents, route.Spec.ParentRefs); diff != "" {
		t.Errorf("parentRefs (-want +got):\n%s", diff)
	}
	if len(route.Spec.Rules) != 1 {
		t.Fatalf("%d rules, want 1", len(route.Spec.Rules))
	}
	rule := route.Spec.Rules[0]
	if diff := cmp.Diff([]gatewayv1.HTTPRouteMatch{wantServiceMatch()}, rule.Matches); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRouteFilters(), rule.Filters); diff != "" {
		t.Errorf("filters (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantTimeouts, rule.Timeouts); diff != "" {
		t.Errorf("timeouts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shop-primary:3000=90", "shop-canary:3000=10"}, backends(rule)); diff != "" {
		t.Errorf("backendRefs (-want +got):\n%s", diff)
	}
	if route.Labels["tier"] != "web" || route.Labels["app.kubernetes.io/managed-by"] != "sluice" || route.Annotations["example.com/team"] != "shop" {
		t.Errorf("labels %v, annotations %v: want the apex's and sluice's", route.Labels, route.Annotations)
	}

	// The router still owns the weights: they read back, a Reconcile keeps
	// them and writes nothing, a new split changes them only.
	if got := readWeights(t, r, canary); got != (weights{90, 10}) {
		t.Errorf("Weights = %v, want 90/10", got)
	}
	changes, err := r.Reconcile(ctx, canary)
	if err != nil {
		t.Fatal(err)
	}
	if changes.Written() != 0 {
		t.Errorf("Reconcile of an unchanged spec wrote %v", changes)
	}
	if _, err := r.SetWeights(ctx, canary, 40, 60); err != nil {
		t.Fatal(err)
	}
	route = liveHTTPRouteNamed(t, ns, "shop")
	if diff := cmp.Diff([]string{"shop-primary:3000=40", "shop-canary:3000=60"}, backends(route.Spec.Rules[0])); diff != "" {
		t.Errorf("backendRefs after SetWeights(40, 60) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRouteFilters(), route.Spec.Rules[0].Filters); diff != "" {
		t.Errorf("filters after SetWeights (-want +got):\n%s", diff)
	}

	// The route is named after the apex Service, not the target.
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute"))
	if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, live); err == nil {
		t.Error("an HTTPRoute detail exists, want the route named after service.name only")
	}
}

func TestRouteGatewayAPIABMatchCombinesWithTheServiceMatch(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderGatewayAPI)
	canary := withMatch(withRouteOptions(detailCanary(ns, v1alpha1.ProviderGatewayAPI)))
	// Gateway API replaces a matched prefix only in a rule with one match.
	canary.Spec.Service.Rewrite.Type = v1alpha1.RewriteFullPath
	filters := wantRouteFilters()
	filters[2].URLRewrite.Path = &gatewayv1.HTTPPathModifier{Type: gatewayv1.FullPathHTTPPathModifier, ReplaceFullPath: ptr.To("/v2")}
	if _, err := r.SetWeights(ctx, canary, 0, 100); err != nil {
		t.Fatal(err)
	}

	route := liveHTTPRouteNamed(t, ns, "shop")
	if len(route.Spec.Rules) != 2 {
		t.Fatalf("%d rules, want the match rule and the rest", len(route.Spec.Rules))
	}
	// Each analysis match is combined with the Service match: its headers
	// first, and on a header both name (x-canary), its condition only.
	insider, cookie := wantServiceMatch(), wantServiceMatch()
	insider.Headers = []gatewayv1.HTTPHeaderMatch{
		{Type: ptr.To(gatewayv1.HeaderMatchExact), Name: "x-canary", Value: "insider"},
		{Type: ptr.To(gatewayv1.HeaderMatchRegularExpression), Name: "x-tenant", Value: "^a.*"},
	}
	cookie.Headers = append([]gatewayv1.HTTPHeaderMatch{
		{Type: ptr.To(gatewayv1.HeaderMatchRegularExpression), Name: "cookie", Value: "^(.*?;)?(canary=always)(;.*)?$"},
	}, cookie.Headers...)
	if diff := cmp.Diff([]gatewayv1.HTTPRouteMatch{insider, cookie}, route.Spec.Rules[0].Matches); diff != "" {
		t.Errorf("matches of the A/B rule (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shop-primary:3000=0", "shop-canary:3000=100"}, backends(route.Spec.Rules[0])); diff != "" {
		t.Errorf("backendRefs of the A/B rule (-want +got):\n%s", diff)
	}
	// The rest keeps to the Service's matches, filters and timeouts.
	rest := route.Spec.Rules[1]
	if diff := cmp.Diff([]gatewayv1.HTTPRouteMatch{wantServiceMatch()}, rest.Matches); diff != "" {
		t.Errorf("matches of the rest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(filters, route.Spec.Rules[0].Filters); diff != "" {
		t.Errorf("filters of the A/B rule (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(filters, rest.Filters); diff != "" {
		t.Errorf("filters of the rest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantTimeouts, rest.Timeouts); diff != "" {
		t.Errorf("timeouts of the rest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shop-primary:3000=100"}, backends(rest)); diff != "" {
		t.Errorf("backendRefs of the rest (-want +got):\n%s", diff)
	}
	if got := readWeights(t, r, canary); got != (weights{0, 100}) {
		t.Errorf("Weights = %v, want 0/100", got)
	}
}

func TestRouteGatewayAPIRefusesWhatGatewayAPICannotMatch(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderGatewayAPI)
	canary := detailCanary(ns, v1alpha1.ProviderGatewayAPI)
	canary.Spec.Service.Match = []v1alpha1.HTTPMatchRequest{{SourceLabels: map[string]string{"app": "web"}}}
	_, err := r.Reconcile(context.Background(), canary)
	want := "canary " + ns + "/detail: httproute detail: spec.service.match[0]: sourceLabels: Istio only: Gateway API cannot match on it"
	if err == nil || err.Error() != want {
		t.Errorf("Reconcile with a sourceLabels match = %v, want %q", err, want)
	}
}
