package applier_test

import (
	"context"
	"maps"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
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

// istioOptions gives canary every route option of spec.service that
// Istio builds, on Istio gateways instead of gatewayRefs.
func istioOptions(canary *v1alpha1.Canary) *v1alpha1.Canary {
	s := &canary.Spec.Service
	s.GatewayRefs = nil
	s.Gateways = []string{"istio-system/public-gateway", "mesh"}
	s.Match = []v1alpha1.HTTPMatchRequest{{
		Name:          "api",
		URI:           &v1alpha1.StringMatch{Prefix: "/api"},
		Method:        &v1alpha1.StringMatch{Exact: "GET"},
		Scheme:        &v1alpha1.StringMatch{Exact: "https"},
		Authority:     &v1alpha1.StringMatch{Regex: `^detail\.example\.(com|org)$`},
		Headers:       map[string]v1alpha1.StringMatch{"x-tenant": {Exact: "blue"}},
		QueryParams:   map[string]v1alpha1.StringMatch{"debug": {Exact: "1"}},
		IgnoreURICase: true,
		SourceLabels:  map[string]string{"app": "frontend"},
		Gateways:      []string{"mesh"},
	}}
	s.Rewrite = &v1alpha1.HTTPRewrite{URI: "/", Authority: "detail.internal"}
	s.Retries = &v1alpha1.HTTPRetry{Attempts: 3, PerTryTimeout: "1s", RetryOn: "gateway-error,connect-failure", RetryRemoteLocalities: ptr.To(true)}
	s.Timeout = "30s"
	s.Headers = &v1alpha1.HeaderOperations{
		Request:  &v1alpha1.HeaderOperation{Set: map[string]string{"x-route": "canary"}, Add: map[string]string{"x-trace": "on"}, Remove: []string{"x-debug"}},
		Response: &v1alpha1.HeaderOperation{Set: map[string]string{"x-served-by": "%HOSTNAME%"}, Remove: []string{"x-powered-by"}},
	}
	s.CorsPolicy = &v1alpha1.CorsPolicy{
		AllowOrigins:     []v1alpha1.StringMatch{{Exact: "https://example.com"}, {Regex: `https://.*\.example\.org`}},
		AllowOrigin:      []string{"example.net"},
		AllowMethods:     []string{"GET", "POST"},
		AllowHeaders:     []string{"x-some-header"},
		ExposeHeaders:    []string{"x-served-by"},
		MaxAge:           "24h",
		AllowCredentials: ptr.To(false),
	}
	return canary
}

// istioRouteOptions is what istioOptions' route options read as on a
// live VirtualService route, besides the match.
func istioRouteOptions(route map[string]any) map[string]any {
	route["rewrite"] = map[string]any{"uri": "/", "authority": "detail.internal"}
	route["retries"] = map[string]any{"attempts": int64(3), "perTryTimeout": "1s", "retryOn": "gateway-error,connect-failure", "retryRemoteLocalities": true}
	route["timeout"] = "30s"
	route["headers"] = map[string]any{
		"request":  map[string]any{"set": map[string]any{"x-route": "canary"}, "add": map[string]any{"x-trace": "on"}, "remove": []any{"x-debug"}},
		"response": map[string]any{"set": map[string]any{"x-served-by": "%HOSTNAME%"}, "remove": []any{"x-powered-by"}},
	}
	route["corsPolicy"] = map[string]any{
		"allowOrigins":     []any{map[string]any{"exact": "https://example.com"}, map[string]any{"regex": `https://.*\.example\.org`}},
		"allowOrigin":      []any{"example.net"},
		"allowMethods":     []any{"GET", "POST"},
		"allowHeaders":     []any{"x-some-header"},
		"exposeHeaders":    []any{"x-served-by"},
		"maxAge":           "24h",
		"allowCredentials": false,
	}
	return route
}

// istioServiceMatch is istioOptions' match as a live VirtualService holds
// it, with headers added to its own (a nil condition removes one).
func istioServiceMatch(headers map[string]any) map[string]any {
	all := map[string]any{"x-tenant": map[string]any{"exact": "blue"}}
	maps.Copy(all, headers)
	maps.DeleteFunc(all, func(_ string, v any) bool { return v == nil })
	return map[string]any{
		"name":          "api",
		"uri":           map[string]any{"prefix": "/api"},
		"method":        map[string]any{"exact": "GET"},
		"scheme":        map[string]any{"exact": "https"},
		"authority":     map[string]any{"regex": `^detail\.example\.(com|org)$`},
		"headers":       all,
		"queryParams":   map[string]any{"debug": map[string]any{"exact": "1"}},
		"ignoreUriCase": true,
		"sourceLabels":  map[string]any{"app": "frontend"},
		"gateways":      []any{"mesh"},
	}
}

func TestRouteIstioVirtualServiceCarriesTheServiceRouteOptions(t *testing.T) {
	tests := []struct {
		name   string
		canary func(ns string) *v1alpha1.Canary
		split  weights
		want   map[string]any
	}{
		{
			name:   "every option rides on the weighted route, the gateways as written",
			canary: func(ns string) *v1alpha1.Canary { return istioOptions(detailCanary(ns, v1alpha1.ProviderIstio)) },
			split:  weights{80, 20},
			want: map[string]any{
				"hosts":    []any{"detail", "detail.example.com"},
				"gateways": []any{"istio-system/public-gateway", "mesh"},
				"http": []any{istioRouteOptions(map[string]any{
					"match": []any{istioServiceMatch(nil)},
					"route": []any{istioDestination("detail-primary", 80), istioDestination("detail-canary", 20)},
				})},
			},
		},
		{
			name: "gateways without mesh serve the gateways only, as Flagger's",
			canary: func(ns string) *v1alpha1.Canary {
				c := detailCanary(ns, v1alpha1.ProviderIstio)
				c.Spec.Service.GatewayRefs, c.Spec.Service.Gateways = nil, []string{"istio-system/public-gateway"}
				return c
			},
			split: weights{100, 0},
			want: map[string]any{
				"hosts":    []any{"detail", "detail.example.com"},
				"gateways": []any{"istio-system/public-gateway"},
				"http":     []any{map[string]any{"route": []any{istioDestination("detail-primary", 100), istioDestination("detail-canary", 0)}}},
			},
		},
		{
			name: "a delegate VirtualService has neither hosts nor gateways",
			canary: func(ns string) *v1alpha1.Canary {
				c := istioOptions(detailCanary(ns, v1alpha1.ProviderIstio))
				c.Spec.Service.Delegation, c.Spec.Service.Hosts, c.Spec.Service.Gateways = true, nil, nil
				return c
			},
			split: weights{95, 5},
			want: map[string]any{
				"http": []any{istioRouteOptions(map[string]any{
					"match": []any{istioServiceMatch(nil)},
					"route": []any{istioDestination("detail-primary", 95), istioDestination("detail-canary", 5)},
				})},
			},
		},
		{
			name: "an A/B match combines with each Service match, its header winning, and the rest keeps the Service match",
			canary: func(ns string) *v1alpha1.Canary {
				c := withMatch(istioOptions(detailCanary(ns, v1alpha1.ProviderIstio)))
				c.Spec.Service.Match = append(c.Spec.Service.Match, v1alpha1.HTTPMatchRequest{URI: &v1alpha1.StringMatch{Exact: "/health"}})
				// The Service match has x-tenant: the analysis match's
				// condition on it wins, however cased.
				c.Spec.Analysis.Match[0].Headers["X-Tenant"] = v1alpha1.StringMatch{Exact: "green"}
				return c
			},
			split: weights{0, 100},
			want: map[string]any{
				"hosts":    []any{"detail", "detail.example.com"},
				"gateways": []any{"istio-system/public-gateway", "mesh"},
				"http": []any{
					istioRouteOptions(map[string]any{
						"match": []any{
							istioServiceMatch(map[string]any{"x-tenant": nil, "x-canary": map[string]any{"exact": "insider"}, "X-Tenant": map[string]any{"exact": "green"}}),
							map[string]any{"uri": map[string]any{"exact": "/health"}, "headers": map[string]any{"x-canary": map[string]any{"exact": "insider"}, "X-Tenant": map[string]any{"exact": "green"}}},
							istioServiceMatch(map[string]any{"cookie": map[string]any{"regex": "^(.*?;)?(canary=always)(;.*)?$"}}),
							map[string]any{"uri": map[string]any{"exact": "/health"}, "headers": map[string]any{"cookie": map[string]any{"regex": "^(.*?;)?(canary=always)(;.*)?$"}}},
						},
						"route": []any{istioDestination("detail-primary", 0), istioDestination("detail-canary", 100)},
					}),
					istioRouteOptions(map[string]any{
						"match": []any{istioServiceMatch(nil), map[string]any{"uri": map[string]any{"exact": "/health"}}},
						"route": []any{istioDestination("detail-primary", 100)},
					}),
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			ns := playgroundtest.Namespace(t)
			a := newApplier(t, ns)
			r := routerFor(t, a, ns, v1alpha1.ProviderIstio)
			canary := tt.canary(ns)
			// Each case is a Canary validation accepts.
			valid := canary.DeepCopy()
			valid.Default()
			valid.Spec.SkipAnalysis = true
			if err := valid.Validate(); err != nil {
				t.Fatalf("the Canary of this case does not validate: %v", err)
			}
			if _, err := r.SetWeights(ctx, canary, tt.split.Primary, tt.split.Canary); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, liveSpec(t, virtualServiceKind, ns, "detail")); diff != "" {
				t.Errorf("VirtualService spec (-want +got):\n%s", diff)
			}
			// The router still reads its split back, and keeps it through
			// a Reconcile of the same spec, which writes nothing.
			if got := readWeights(t, r, canary); got != tt.split {
				t.Errorf("Weights = %v, want %v", got, tt.split)
			}
			changes, err := r.Reconcile(ctx, canary)
			if err != nil {
				t.Fatal(err)
			}
			if changes.Written() != 0 {
				t.Errorf("Reconcile of the spec in place wrote %v", changes)
			}
			if got := readWeights(t, r, canary); got != tt.split {
				t.Errorf("Weights after Reconcile = %v, want %v", got, tt.split)
			}
		})
	}
}

var destinationRuleKind = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1beta1", Kind: "DestinationRule"}

func TestRouteIstioDestinationRulesCarryTheTrafficPolicy(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderIstio)
	canary := detailCanary(ns, v1alpha1.ProviderIstio)
	canary.Spec.Service.TrafficPolicy = &apiextensionsv1.JSON{Raw: []byte(
		`{"tls":{"mode":"ISTIO_MUTUAL"},"connectionPool":{"http":{"http1MaxPendingRequests":1024}},"loadBalancer":{"simple":"LEAST_REQUEST"}}`)}

	if _, err := r.Reconcile(ctx, canary); err != nil {
		t.Fatal(err)
	}
	policy := map[string]any{
		"tls":            map[string]any{"mode": "ISTIO_MUTUAL"},
		"connectionPool": map[string]any{"http": map[string]any{"http1MaxPendingRequests": int64(1024)}},
		"loadBalancer":   map[string]any{"simple": "LEAST_REQUEST"},
	}
	for _, host := range []string{"detail-primary", "detail-canary"} {
		want := map[string]any{"host": host, "trafficPolicy": policy}
		if diff := cmp.Diff(want, liveSpec(t, destinationRuleKind, ns, host)); diff != "" {
			t.Errorf("DestinationRule %s spec (-want +got):\n%s", host, diff)
		}
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(destinationRuleKind)
		if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: host}, live); err != nil {
			t.Fatal(err)
		}
		if labels := live.GetLabels(); labels["app.kubernetes.io/managed-by"] != "sluice" || labels["sluice.dev/name"] != "test" {
			t.Errorf("DestinationRule %s labels %v, want managed-by sluice and the owner labels (pruning needs them)", host, labels)
		}
	}
	// The VirtualService routes to the hosts the rules apply to.
	if got := readWeights(t, r, canary); got != (weights{100, 0}) {
		t.Errorf("weights after the first Reconcile = %v, want all to the primary", got)
	}

	// What sluice owns, and prunes when the Canary leaves Git or drops its
	// trafficPolicy.
	inventory, err := applier.RoutingInventory(canary)
	if err != nil {
		t.Fatal(err)
	}
	wantInventory := applier.Inventory{
		"networking.istio.io/v1beta1/DestinationRule/" + ns + "/detail-canary",
		"networking.istio.io/v1beta1/DestinationRule/" + ns + "/detail-primary",
		"networking.istio.io/v1beta1/VirtualService/" + ns + "/detail",
	}
	if diff := cmp.Diff(wantInventory, inventory); diff != "" {
		t.Errorf("RoutingInventory with a trafficPolicy (-want +got):\n%s", diff)
	}
	canary.Spec.Service.TrafficPolicy = nil
	if inventory, _ = applier.RoutingInventory(canary); len(inventory) != 1 {
		t.Errorf("RoutingInventory without a trafficPolicy = %v, want the VirtualService alone", inventory)
	}
}

func TestRouteIstioWritesNoDestinationRuleWithoutATrafficPolicy(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderIstio)
	changes, err := r.Reconcile(ctx, detailCanary(ns, v1alpha1.ProviderIstio))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]applier.Action{"VirtualService/" + ns + "/detail": applier.Created}, actions(changes)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	var rules unstructured.UnstructuredList
	rules.SetGroupVersionKind(destinationRuleKind.GroupVersion().WithKind("DestinationRuleList"))
	if err := playgroundtest.Client().List(ctx, &rules, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(rules.Items) != 0 {
		t.Errorf("%d DestinationRules without a trafficPolicy, want none: an empty one would shadow the cluster's", len(rules.Items))
	}
}
