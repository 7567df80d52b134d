package gateway

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestSelectRoute(t *testing.T) {
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	route := func(name string, age int, hostnames ...gatewayv1.Hostname) *gatewayv1.HTTPRoute {
		return &gatewayv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "flagger", CreationTimestamp: metav1.NewTime(epoch.Add(-time.Duration(age) * time.Hour))},
			Spec:       gatewayv1.HTTPRouteSpec{Hostnames: hostnames},
		}
	}
	routes := []*gatewayv1.HTTPRoute{
		route("exact", 1, "detail.example.com"),
		route("exact-older", 2, "DETAIL.example.com"),
		route("wildcard", 3, "*.example.com"),
		route("longer-wildcard", 1, "*.shop.example.com"),
		route("other", 1, "other.example.org"),
	}
	catchAll := route("catch-all", 9)
	mesh := route("mesh", 10)
	mesh.Spec.ParentRefs = []gatewayv1.ParentReference{{Group: ptr.To(gatewayv1.Group("")), Kind: ptr.To(gatewayv1.Kind("Service")), Name: "detail"}}
	tests := []struct {
		name   string
		routes []*gatewayv1.HTTPRoute
		host   string
		want   string
	}{
		{name: "an exact hostname wins, the oldest route among equals", routes: routes, host: "detail.example.com", want: "exact-older"},
		{name: "a wildcard matches one label", routes: routes, host: "api.example.com", want: "wildcard"},
		{name: "the longest wildcard wins", routes: routes, host: "a.shop.example.com", want: "longer-wildcard"},
		{name: "a wildcard matches several labels", routes: routes, host: "a.b.example.com", want: "wildcard"},
		{name: "a wildcard does not match its own suffix", routes: routes, host: "example.com", want: ""},
		{name: "no route for an unknown host", routes: routes, host: "detail.flagger", want: ""},
		{name: "a route without hostnames catches unknown hosts", routes: append(routes, catchAll), host: "detail.flagger", want: "catch-all"},
		{name: "a route without hostnames ranks below hostnames", routes: append(routes, catchAll), host: "other.example.org", want: "other"},
		{name: "a route attached to a Service is no gateway's catch-all", routes: append(routes, mesh), host: "detail.flagger", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if r := selectRoute(tt.routes, tt.host); r != nil {
				got = r.Name
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("selectRoute(%q) (-want +got):\n%s", tt.host, diff)
			}
		})
	}
}

// A route attached to a Service (GAMMA, as Linkerd routes) routes the
// requests sent to that Service.
func TestServiceRoute(t *testing.T) {
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	route := func(name string, age int, parents ...gatewayv1.ParentReference) *gatewayv1.HTTPRoute {
		return &gatewayv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "flagger", CreationTimestamp: metav1.NewTime(epoch.Add(-time.Duration(age) * time.Hour))},
			Spec:       gatewayv1.HTTPRouteSpec{CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: parents}},
		}
	}
	service := func(name string, port int32) gatewayv1.ParentReference {
		ref := gatewayv1.ParentReference{Group: ptr.To(gatewayv1.Group("")), Kind: ptr.To(gatewayv1.Kind("Service")), Name: gatewayv1.ObjectName(name)}
		if port != 0 {
			ref.Port = ptr.To(gatewayv1.PortNumber(port))
		}
		return ref
	}
	routes := []*gatewayv1.HTTPRoute{
		route("gateway", 5, gatewayv1.ParentReference{Name: "public"}),
		route("detail", 1, service("detail", 3000)),
		route("detail-older", 2, service("detail", 3000)),
		route("shop", 1, service("shop", 0)),
	}
	tests := []struct {
		name, service, namespace, port, want string
	}{
		{name: "the oldest route attached to the Service", service: "detail", namespace: "flagger", want: "detail-older"},
		{name: "on the port of the parentRef", service: "detail", namespace: "flagger", port: "3000", want: "detail-older"},
		{name: "not on another port", service: "detail", namespace: "flagger", port: "8080", want: ""},
		{name: "a parentRef without port takes any", service: "shop", namespace: "flagger", port: "8080", want: "shop"},
		{name: "not in another namespace", service: "detail", namespace: "test", want: ""},
		{name: "a Gateway's route is not a Service's", service: "public", namespace: "flagger", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if r := serviceRoute(routes, tt.service, tt.namespace, tt.port); r != nil {
				got = r.Name
			}
			if got != tt.want {
				t.Errorf("serviceRoute(%s.%s:%s) = %q, want %q", tt.service, tt.namespace, tt.port, got, tt.want)
			}
		})
	}
}

func TestSelectRule(t *testing.T) {
	backend := func(name string) []gatewayv1.HTTPBackendRef {
		return []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name)}}}}
	}
	prefix := func(p string) *gatewayv1.HTTPPathMatch {
		return &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To(p)}
	}
	rules := []gatewayv1.HTTPRouteRule{
		{BackendRefs: backend("everything")},
		{Matches: []gatewayv1.HTTPRouteMatch{{Path: prefix("/catalog")}}, BackendRefs: backend("catalog-prefix")},
		{Matches: []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchExact), Value: ptr.To("/catalogDetail")}}}, BackendRefs: backend("exact")},
		{Matches: []gatewayv1.HTTPRouteMatch{{Headers: []gatewayv1.HTTPHeaderMatch{{Name: "X-Canary", Value: "insider"}}}}, BackendRefs: backend("header")},
		{Matches: []gatewayv1.HTTPRouteMatch{{Headers: []gatewayv1.HTTPHeaderMatch{
			{Name: "X-Canary", Value: "insider"},
			{Name: "Cookie", Type: ptr.To(gatewayv1.HeaderMatchRegularExpression), Value: ".*canary=always.*"},
		}}}, BackendRefs: backend("two-headers")},
		{Matches: []gatewayv1.HTTPRouteMatch{{Method: ptr.To(gatewayv1.HTTPMethodPost), Path: prefix("/catalog")}}, BackendRefs: backend("post")},
		{Matches: []gatewayv1.HTTPRouteMatch{{QueryParams: []gatewayv1.HTTPQueryParamMatch{{Name: "v", Value: "2"}}}}, BackendRefs: backend("query")},
	}
	tests := []struct {
		name    string
		method  string
		target  string
		headers map[string]string
		rules   []gatewayv1.HTTPRouteRule
		want    string
	}{
		{name: "a rule without matches takes any request", method: "GET", target: "/other", rules: rules, want: "everything"},
		{name: "a prefix matches whole path elements", method: "GET", target: "/catalog/1", rules: rules, want: "catalog-prefix"},
		{name: "a prefix does not match part of an element", method: "GET", target: "/catalogue", rules: rules, want: "everything"},
		{name: "an exact path wins over a prefix", method: "GET", target: "/catalogDetail", rules: rules, want: "exact"},
		{name: "a method wins over the same prefix", method: "POST", target: "/catalog/1", rules: rules, want: "post"},
		{name: "a header match wins over no match", method: "GET", target: "/other", headers: map[string]string{"X-Canary": "insider"}, rules: rules, want: "header"},
		{name: "more header matches win", method: "GET", target: "/other", headers: map[string]string{"X-Canary": "insider", "Cookie": "a=b; canary=always"}, rules: rules, want: "two-headers"},
		{name: "a header must match its value", method: "GET", target: "/other", headers: map[string]string{"X-Canary": "outsider"}, rules: rules, want: "everything"},
		{name: "a query parameter match", method: "GET", target: "/other?v=2", rules: rules, want: "query"},
		{name: "no rule matches", method: "GET", target: "/other", rules: rules[1:2], want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for name, value := range tt.headers {
				r.Header.Set(name, value)
			}
			got := ""
			if rule := selectRule(tt.rules, r); rule != nil {
				got = string(rule.BackendRefs[0].Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("selectRule(%s %s) (-want +got):\n%s", tt.method, tt.target, diff)
			}
		})
	}
}

func TestPickBackend(t *testing.T) {
	ref := func(name string, weight *int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name)},
			Weight:                 weight,
		}}
	}
	tests := []struct {
		name string
		refs []gatewayv1.HTTPBackendRef
		want map[string]int
	}{
		{
			name: "each backend gets its weight's share of the draws",
			refs: []gatewayv1.HTTPBackendRef{ref("primary", ptr.To[int32](90)), ref("canary", ptr.To[int32](10))},
			want: map[string]int{"primary": 90, "canary": 10},
		},
		{
			name: "an unset weight is 1",
			refs: []gatewayv1.HTTPBackendRef{ref("a", nil), ref("b", nil)},
			want: map[string]int{"a": 1, "b": 1},
		},
		{
			name: "a zero weight gets nothing",
			refs: []gatewayv1.HTTPBackendRef{ref("primary", ptr.To[int32](100)), ref("canary", ptr.To[int32](0))},
			want: map[string]int{"primary": 100},
		},
		{
			name: "all weights zero pick nothing",
			refs: []gatewayv1.HTTPBackendRef{ref("primary", ptr.To[int32](0)), ref("canary", ptr.To[int32](0))},
			want: map[string]int{"none": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Draw every number that pickBackend can draw once.
			draws := 1
			pickBackend(tt.refs, func(n int) int { draws = n; return 0 })
			got := map[string]int{}
			for i := range draws {
				name := "none"
				if ref := pickBackend(tt.refs, func(int) int { return i }); ref != nil {
					name = string(ref.Name)
				}
				got[name]++
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("picks over every draw (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceHost(t *testing.T) {
	tests := []struct {
		host string
		want []string
	}{
		{host: "detail-canary.flagger", want: []string{"detail-canary", "flagger"}},
		{host: "detail-canary.flagger.svc", want: []string{"detail-canary", "flagger"}},
		{host: "detail-canary.flagger.svc.cluster.local", want: []string{"detail-canary", "flagger"}},
		{host: "detail.example.com", want: nil},
		{host: "detail", want: nil},
		{host: ".flagger", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			var got []string
			if name, namespace, ok := serviceHost(tt.host); ok {
				got = []string{name, namespace}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("serviceHost(%q) (-want +got):\n%s", tt.host, diff)
			}
		})
	}
}
