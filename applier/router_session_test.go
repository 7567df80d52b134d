package applier_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// sessionCanary is detailCanary with session affinity: cookie
// flagger-cookie for an hour, and a Service match on a path prefix that
// the cookie's rule must keep.
func sessionCanary(ns, provider string) *v1alpha1.Canary {
	canary := detailCanary(ns, provider)
	canary.Spec.Analysis.StepWeight = 10
	canary.Spec.Analysis.SessionAffinity = &v1alpha1.SessionAffinity{CookieName: "flagger-cookie", MaxAge: 3600}
	canary.Spec.Service.Match = []v1alpha1.HTTPMatchRequest{{URI: &v1alpha1.StringMatch{Prefix: "/catalog"}}}
	return canary
}

// liveSession returns the session affinity cookie the routing object
// (gvk, detail) of ns holds.
func liveSession(t *testing.T, gvk schema.GroupVersionKind, ns string) string {
	t.Helper()
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(gvk)
	if err := playgroundtest.Client().Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail"}, live); err != nil {
		t.Fatal(err)
	}
	return live.GetAnnotations()[applier.SessionAffinityAnnotation]
}

var sessionCookie = regexp.MustCompile(`^flagger-cookie=[0-9a-f]{16}$`)

// TestRouterSessionAffinityKeepsOneCookieForTheRolloutAndANewOneForTheNext
// checks the lifecycle both providers share: no cookie at weight 0, one
// from the first weight above 0, the same one through the steps and a
// Reconcile, none once the weight is back at 0, and another one for the
// next rollout.
func TestRouterSessionAffinityKeepsOneCookieForTheRolloutAndANewOneForTheNext(t *testing.T) {
	for _, tt := range []struct {
		provider string
		gvk      schema.GroupVersionKind
	}{
		{v1alpha1.ProviderGatewayAPI, gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute")},
		{v1alpha1.ProviderIstio, virtualServiceKind},
	} {
		t.Run(tt.provider, func(t *testing.T) {
			ctx := context.Background()
			ns := playgroundtest.Namespace(t)
			a := newApplier(t, ns)
			r := routerFor(t, a, ns, tt.provider)
			canary := sessionCanary(ns, tt.provider)
			if _, err := r.Reconcile(ctx, canary); err != nil {
				t.Fatal(err)
			}
			if got := liveSession(t, tt.gvk, ns); got != "" {
				t.Errorf("at weight 0 the route holds cookie %q, want none", got)
			}
			mustSetWeights(t, r, canary, 90, 10)
			first := liveSession(t, tt.gvk, ns)
			if !sessionCookie.MatchString(first) {
				t.Fatalf("at weight 10 the route holds cookie %q, want flagger-cookie=<16 hex digits>", first)
			}
			mustSetWeights(t, r, canary, 80, 20)
			if _, err := r.Reconcile(ctx, canary); err != nil {
				t.Fatal(err)
			}
			if got := liveSession(t, tt.gvk, ns); got != first {
				t.Errorf("after a step and a Reconcile the cookie is %q, want the rollout's %q", got, first)
			}
			if p, c, err := r.Weights(ctx, canary); err != nil || p != 80 || c != 20 {
				t.Errorf("Weights = %d/%d, %v; want 80/20: the cookie's route is not the weighted one", p, c, err)
			}
			mustSetWeights(t, r, canary, 100, 0)
			if got := liveSession(t, tt.gvk, ns); got != "" {
				t.Errorf("back at weight 0 the route holds cookie %q, want none", got)
			}
			mustSetWeights(t, r, canary, 90, 10)
			if next := liveSession(t, tt.gvk, ns); !sessionCookie.MatchString(next) || next == first {
				t.Errorf("the next rollout's cookie is %q, want a new one (the last was %q)", next, first)
			}
		})
	}
}

func TestRouteGatewayAPISessionAffinitySetsTheCookieOnTheCanaryAndRoutesItThere(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderGatewayAPI)
	canary := sessionCanary(ns, v1alpha1.ProviderGatewayAPI)
	mustSetWeights(t, r, canary, 90, 10)
	session := liveSession(t, gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute"), ns)

	route := liveHTTPRoute(t, ns)
	if len(route.Spec.Rules) != 2 {
		t.Fatalf("%d rules, want the weighted one and the cookie's", len(route.Spec.Rules))
	}
	weighted, sticky := route.Spec.Rules[0], route.Spec.Rules[1]
	if diff := cmp.Diff([]string{"detail-primary:3000=90", "detail-canary:3000=10"}, backends(weighted)); diff != "" {
		t.Errorf("weighted backendRefs (-want +got):\n%s", diff)
	}
	wantSetCookie := []gatewayv1.HTTPRouteFilter{{
		Type: gatewayv1.HTTPRouteFilterResponseHeaderModifier,
		ResponseHeaderModifier: &gatewayv1.HTTPHeaderFilter{
			Add: []gatewayv1.HTTPHeader{{Name: "Set-Cookie", Value: session + "; Max-Age=3600; Path=/"}},
		},
	}}
	if diff := cmp.Diff(wantSetCookie, weighted.BackendRefs[1].Filters); diff != "" {
		t.Errorf("filters of the canary's backendRef (-want +got):\n%s", diff)
	}
	if len(weighted.BackendRefs[0].Filters) != 0 {
		t.Errorf("the primary's backendRef has filters %+v, want none", weighted.BackendRefs[0].Filters)
	}
	wantMatches := []gatewayv1.HTTPRouteMatch{{
		Path:    &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/catalog")},
		Headers: []gatewayv1.HTTPHeaderMatch{{Name: "Cookie", Type: ptr.To(gatewayv1.HeaderMatchRegularExpression), Value: ".*" + session + ".*"}},
	}}
	if diff := cmp.Diff(wantMatches, sticky.Matches); diff != "" {
		t.Errorf("matches of the cookie's rule (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"detail-canary:3000=100"}, backends(sticky)); diff != "" {
		t.Errorf("backendRefs of the cookie's rule (-want +got):\n%s", diff)
	}
}

func TestRouteIstioSessionAffinitySetsTheCookieOnTheCanaryAndRoutesItThereFirst(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderIstio)
	canary := sessionCanary(ns, v1alpha1.ProviderIstio)
	mustSetWeights(t, r, canary, 90, 10)
	session := liveSession(t, virtualServiceKind, ns)

	spec := liveSpec(t, virtualServiceKind, ns, "detail")
	canaryAnswers := istioDestination("detail-canary", 10).(map[string]any)
	canaryAnswers["headers"] = map[string]any{"response": map[string]any{"add": map[string]any{"Set-Cookie": session + "; Max-Age=3600; Path=/"}}}
	want := []any{
		map[string]any{
			"name":  "session-affinity",
			"match": []any{map[string]any{"uri": map[string]any{"prefix": "/catalog"}, "headers": map[string]any{"cookie": map[string]any{"regex": ".*" + session + ".*"}}}},
			"route": []any{istioDestination("detail-canary", 100)},
		},
		map[string]any{
			"match": []any{map[string]any{"uri": map[string]any{"prefix": "/catalog"}}},
			"route": []any{istioDestination("detail-primary", 90), canaryAnswers},
		},
	}
	if diff := cmp.Diff(want, spec["http"]); diff != "" {
		t.Errorf("http routes (-want +got):\n%s", diff)
	}
}

// mustSetWeights sets the weights and fails t on error.
func mustSetWeights(t *testing.T, r applier.Router, canary *v1alpha1.Canary, primary, canaryWeight int32) {
	t.Helper()
	if _, err := r.SetWeights(context.Background(), canary, primary, canaryWeight); err != nil {
		t.Fatal(err)
	}
}

// TestRouterSessionAffinityWithAPrimaryCookieKeepsThePrimarysUsersThere
// checks both providers with primaryCookieName: the primary's answers set
// primary-session with the canary cookie's value, and a rule (a route,
// with istio, after the canary's) sends the requests that carry it to the
// primary; the weights read back are still the weighted rule's.
func TestRouterSessionAffinityWithAPrimaryCookieKeepsThePrimarysUsersThere(t *testing.T) {
	ctx := context.Background()
	for _, provider := range []string{v1alpha1.ProviderGatewayAPI, v1alpha1.ProviderIstio} {
		t.Run(provider, func(t *testing.T) {
			ns := playgroundtest.Namespace(t)
			a := newApplier(t, ns)
			r := routerFor(t, a, ns, provider)
			canary := sessionCanary(ns, provider)
			canary.Spec.Analysis.SessionAffinity.PrimaryCookieName = "primary-session"
			mustSetWeights(t, r, canary, 90, 10)
			if p, c, err := r.Weights(ctx, canary); err != nil || p != 90 || c != 10 {
				t.Errorf("Weights = %d/%d, %v; want 90/10", p, c, err)
			}
			var session string
			if provider == v1alpha1.ProviderIstio {
				session = liveSession(t, virtualServiceKind, ns)
			} else {
				session = liveSession(t, gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute"), ns)
			}
			primaryCookie := "primary-session=" + session[len("flagger-cookie="):]
			if provider == v1alpha1.ProviderGatewayAPI {
				route := liveHTTPRoute(t, ns)
				if len(route.Spec.Rules) != 3 {
					t.Fatalf("%d rules, want the weighted one and one per cookie", len(route.Spec.Rules))
				}
				primaryFilters := route.Spec.Rules[0].BackendRefs[0].Filters
				if len(primaryFilters) != 1 || primaryFilters[0].ResponseHeaderModifier == nil ||
					primaryFilters[0].ResponseHeaderModifier.Add[0].Value != primaryCookie+"; Max-Age=3600; Path=/" {
					t.Errorf("filters of the primary's backendRef = %+v, want a Set-Cookie of %s", primaryFilters, primaryCookie)
				}
				sticky := route.Spec.Rules[2]
				if got := sticky.Matches[0].Headers[0].Value; got != ".*"+primaryCookie+".*" {
					t.Errorf("the primary cookie's rule matches %q", got)
				}
				if diff := cmp.Diff([]string{"detail-primary:3000=100"}, backends(sticky)); diff != "" {
					t.Errorf("backendRefs of the primary cookie's rule (-want +got):\n%s", diff)
				}
				return
			}
			http, _ := liveSpec(t, virtualServiceKind, ns, "detail")["http"].([]any)
			var names []string
			for _, route := range http {
				name, _ := route.(map[string]any)["name"].(string)
				names = append(names, name)
			}
			if diff := cmp.Diff([]string{"session-affinity", "session-affinity-primary", ""}, names); diff != "" {
				t.Fatalf("http route names (-want +got):\n%s", diff)
			}
			primaryRoute := http[1].(map[string]any)
			wantMatch := []any{map[string]any{"uri": map[string]any{"prefix": "/catalog"}, "headers": map[string]any{"cookie": map[string]any{"regex": ".*" + primaryCookie + ".*"}}}}
			if diff := cmp.Diff(wantMatch, primaryRoute["match"]); diff != "" {
				t.Errorf("match of the primary cookie's route (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]any{istioDestination("detail-primary", 100)}, primaryRoute["route"]); diff != "" {
				t.Errorf("route of the primary cookie's route (-want +got):\n%s", diff)
			}
			weightedPrimary := http[2].(map[string]any)["route"].([]any)[0].(map[string]any)
			wantHeaders := map[string]any{"response": map[string]any{"add": map[string]any{"Set-Cookie": primaryCookie + "; Max-Age=3600; Path=/"}}}
			if diff := cmp.Diff(wantHeaders, weightedPrimary["headers"]); diff != "" {
				t.Errorf("headers of the weighted primary destination (-want +got):\n%s", diff)
			}
		})
	}
}
