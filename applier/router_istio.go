package applier

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// istioRouting routes with an Istio VirtualService named after the apex
// Service (see v1alpha1.Canary.ApexServiceName) and, when
// spec.service.trafficPolicy is set, the DestinationRules <apex>-primary
// and <apex>-canary (networking.istio.io/v1beta1, which every Istio since
// 1.5 serves, those serving v1 included). As Flagger builds them:
//
//   - hosts: the apex Service's name, then spec.service.hosts;
//   - gateways: spec.service.gateways as written — add "mesh" to route the
//     sidecars' requests too, as with Flagger; or sluice's
//     spec.service.gatewayRefs as "namespace/name" (the Canary's namespace
//     when a ref has none) followed by "mesh", so that callers inside the
//     mesh get the same split as those behind the gateways; with neither,
//     none, which Istio reads as "mesh";
//   - with spec.service.delegation, neither hosts nor gateways: a delegate
//     VirtualService, which the VirtualService delegating to it routes to;
//   - one HTTP route with two weighted destinations, the hosts
//     <apex>-primary and <apex>-canary on spec.service.port, carrying
//     spec.service.match, .rewrite (uri, authority), .timeout, .retries,
//     .headers and .corsPolicy as Istio's fields of the same names.
//
// With spec.analysis.match the weighted route matches the requests of any
// analysis match (every header of it: exact, prefix or regex) combined
// with any spec.service.match, as Flagger combines them, and a second
// route with spec.service.match sends the rest to the primary. A combined
// condition is the Service match with the analysis match's headers added
// to its own, the analysis match's condition winning on a header both
// name, however cased (Flagger replaces all of the Service match's
// headers, letting requests the Service match excludes reach the canary).
//
// With spec.analysis.sessionAffinity and a canary weight above 0 (see
// Router), the canary's destination in the weighted route adds the
// Set-Cookie to its answers (headers.response.add), and a route named
// session-affinity before it, with spec.service.match each combined with
// a regex on the cookie header, sends the requests that carry the cookie
// to the canary; the VirtualService holds the cookie in
// SessionAffinityAnnotation. With primaryCookieName the primary's
// destination and a route named session-affinity-primary, after the
// canary's, do the same with the primary's cookie.
//
// The DestinationRules have the host of their Service and the
// trafficPolicy as written. They are written before the VirtualService,
// so that no request reaches a host before its policy (its TLS mode, say)
// is in place. Without a trafficPolicy none is written, unlike Flagger,
// which writes empty ones: the destinations are Service hosts, not
// subsets, so none is needed, and an empty one would shadow the
// DestinationRules the cluster applies to these hosts (mTLS, connection
// pools, outlier detection), since Istio does not merge them. A
// trafficPolicy removed from the Canary leaves its DestinationRules to be
// pruned with the inventory (see RoutingInventory).
//
// While mirroring (see Router), the weighted route also has mirror, the
// host <apex>-canary on spec.service.port, and mirrorPercentage
// spec.analysis.mirrorWeight when set, as Flagger writes them.
type istioRouting struct{}

var (
	virtualServiceGVK  = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1beta1", Kind: "VirtualService"}
	destinationRuleGVK = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1beta1", Kind: "DestinationRule"}
)

func (istioRouting) objects(_ context.Context, _ client.Reader, canary *v1alpha1.Canary, s split) ([]*unstructured.Unstructured, error) {
	var objects []*unstructured.Unstructured
	if canary.Spec.Service.TrafficPolicy != nil {
		apex := canary.ApexServiceName()
		for _, host := range []string{PrimaryName(apex), CanaryServiceName(apex)} {
			rule, err := destinationRule(canary, host)
			if err != nil {
				return nil, err
			}
			objects = append(objects, rule)
		}
	}
	vs, err := virtualService(canary, s)
	if err != nil {
		return nil, err
	}
	return append(objects, vs), nil
}

// split reads the weights of the first HTTP route, the weighted one,
// after the session affinity routes, if any.
func (istioRouting) split(ctx context.Context, r client.Reader, canary *v1alpha1.Canary) (split, error) {
	apex := canary.ApexServiceName()
	obj, err := getLive(ctx, r, virtualServiceGVK, canary.Namespace, apex)
	if err != nil {
		return split{}, err
	}
	subject := "virtualservice " + apex
	routes, _, err := unstructured.NestedSlice(obj.Object, "spec", "http")
	if err != nil || len(routes) == 0 {
		return split{}, fmt.Errorf("%s: no http routes", subject)
	}
	first, _ := routes[0].(map[string]any)
	for i := 1; i < len(routes); i++ {
		if name, _, _ := unstructured.NestedString(first, "name"); name != istioSessionRoute && name != istioPrimarySessionRoute {
			break
		}
		first, _ = routes[i].(map[string]any)
	}
	destinations, _, _ := unstructured.NestedSlice(first, "route")
	weights := map[string]int32{}
	for _, d := range destinations {
		destination, _ := d.(map[string]any)
		host, _, _ := unstructured.NestedString(destination, "destination", "host")
		// Without a weight a lone destination gets everything, and one of
		// several nothing.
		weight := int64(0)
		if len(destinations) == 1 {
			weight = 100
		}
		if w, found, err := unstructured.NestedFieldNoCopy(destination, "weight"); found && err == nil {
			if weight, err = int64Of(w); err != nil {
				return split{}, fmt.Errorf("%s: weight of %s: %w", subject, host, err)
			}
		}
		weights[host] = int32(weight)
	}
	s, err := splitOf(subject, weights, apex)
	s.session = sessionOf(obj)
	mirrorHost, _, _ := unstructured.NestedString(first, "mirror", "host")
	s.mirror = mirrorHost == CanaryServiceName(apex)
	return s, err
}

// istioVirtualServiceSpec is the part of Istio's VirtualService spec
// sluice writes.
type istioVirtualServiceSpec struct {
	Hosts    []string         `json:"hosts,omitempty"`
	Gateways []string         `json:"gateways,omitempty"`
	HTTP     []istioHTTPRoute `json:"http"`
}

// istioHTTPRoute is the part of Istio's HTTPRoute sluice writes. The
// fields of v1alpha1 it holds have Istio's names and shapes.
type istioHTTPRoute struct {
	// Name is set on the session affinity route only (see
	// istioSessionRoute).
	Name       string                      `json:"name,omitempty"`
	Match      []v1alpha1.HTTPMatchRequest `json:"match,omitempty"`
	Rewrite    *istioRewrite               `json:"rewrite,omitempty"`
	Timeout    string                      `json:"timeout,omitempty"`
	Retries    *v1alpha1.HTTPRetry         `json:"retries,omitempty"`
	Headers    *v1alpha1.HeaderOperations  `json:"headers,omitempty"`
	CorsPolicy *v1alpha1.CorsPolicy        `json:"corsPolicy,omitempty"`
	Route      []istioDestination          `json:"route"`
	// Mirror and MirrorPercentage copy requests (see istioRouting).
	Mirror           *istioMirror  `json:"mirror,omitempty"`
	MirrorPercentage *istioPercent `json:"mirrorPercentage,omitempty"`
}

// istioMirror is Istio's Destination of a mirror.
type istioMirror struct {
	Host string `json:"host"`
	Port struct {
		Number int32 `json:"number"`
	} `json:"port"`
}

// istioPercent is Istio's Percent.
type istioPercent struct {
	Value float64 `json:"value"`
}

// istioRewrite is Istio's HTTPRewrite: spec.service.rewrite without
// Gateway API's type.
type istioRewrite struct {
	URI       string `json:"uri,omitempty"`
	Authority string `json:"authority,omitempty"`
}

// istioDestination is Istio's HTTPRouteDestination to a Service port.
type istioDestination struct {
	Destination struct {
		Host string `json:"host"`
		Port struct {
			Number int32 `json:"number"`
		} `json:"port"`
	} `json:"destination"`
	Weight int32 `json:"weight"`
	// Headers are the header operations of the answers of this
	// destination: the session affinity cookie's Set-Cookie.
	Headers *v1alpha1.HeaderOperations `json:"headers,omitempty"`
}

// virtualService returns the VirtualService of canary routing s.
func virtualService(canary *v1alpha1.Canary, s split) (*unstructured.Unstructured, error) {
	apex := canary.ApexServiceName()
	primary, canaryHost := PrimaryName(apex), CanaryServiceName(apex)
	route := func(match []v1alpha1.HTTPMatchRequest, destinations ...istioDestination) istioHTTPRoute {
		return istioRouteOptions(canary.Spec.Service, match, destinations)
	}
	destination := func(host string, weight int32) istioDestination {
		var d istioDestination
		d.Destination.Host, d.Destination.Port.Number, d.Weight = host, canary.Spec.Service.Port, weight
		return d
	}
	weighted := []istioDestination{destination(primary, s.primary), destination(canaryHost, s.canary)}
	primaryCookie := primarySession(canary, s.session)
	for i, session := range []string{primaryCookie, s.session} {
		if session != "" {
			weighted[i].Headers = &v1alpha1.HeaderOperations{Response: &v1alpha1.HeaderOperation{
				Add: map[string]string{"Set-Cookie": setCookie(canary, session)},
			}}
		}
	}
	spec := istioVirtualServiceSpec{
		Hosts:    istioHosts(canary),
		Gateways: istioGateways(canary),
		HTTP:     []istioHTTPRoute{route(canary.Spec.Service.Match, weighted...)},
	}
	if s.mirror {
		mirror := &istioMirror{Host: canaryHost}
		mirror.Port.Number = canary.Spec.Service.Port
		spec.HTTP[0].Mirror = mirror
		if w := canary.Spec.Analysis.MirrorWeight; w > 0 {
			spec.HTTP[0].MirrorPercentage = &istioPercent{Value: float64(w)}
		}
	}
	// Istio takes the first route that matches: those of the cookies
	// come before the weighted one, whose answers set them.
	var sticky []istioHTTPRoute
	for _, session := range []struct{ name, cookie, host string }{
		{istioSessionRoute, s.session, canaryHost},
		{istioPrimarySessionRoute, primaryCookie, primary},
	} {
		if session.cookie == "" {
			continue
		}
		r := route(withHeaders(orEmptyMatch(canary.Spec.Service.Match), map[string]v1alpha1.StringMatch{
			"cookie": {Regex: cookieRegex(session.cookie)},
		}), destination(session.host, 100))
		r.Name = session.name
		sticky = append(sticky, r)
	}
	spec.HTTP = append(sticky, spec.HTTP...)
	if len(canary.Spec.Analysis.Match) > 0 {
		matches, err := abMatches(canary)
		if err != nil {
			return nil, fmt.Errorf("virtualservice %s: %w", apex, err)
		}
		spec.HTTP = []istioHTTPRoute{
			route(matches, weighted...),
			route(canary.Spec.Service.Match, destination(primary, 100)),
		}
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&spec)
	if err != nil {
		return nil, fmt.Errorf("virtualservice %s: %w", apex, err)
	}
	vs := &unstructured.Unstructured{Object: map[string]any{"spec": content}}
	vs.SetGroupVersionKind(virtualServiceGVK)
	vs.SetName(apex)
	vs.SetNamespace(canary.Namespace)
	vs.SetLabels(routeLabels())
	if s.session != "" {
		vs.SetAnnotations(withSessionAnnotation(nil, s.session))
	}
	return vs, nil
}

// istioSessionRoute and istioPrimarySessionRoute are the names of the
// HTTP routes that send the requests with the session affinity cookie to
// the canary, and those with the primary's cookie to the primary.
const (
	istioSessionRoute        = "session-affinity"
	istioPrimarySessionRoute = "session-affinity-primary"
)

// orEmptyMatch returns matches, or one match of every request when there
// are none.
func orEmptyMatch(matches []v1alpha1.HTTPMatchRequest) []v1alpha1.HTTPMatchRequest {
	if len(matches) == 0 {
		return []v1alpha1.HTTPMatchRequest{{}}
	}
	return matches
}

// istioRouteOptions returns an HTTP route to destinations on the requests
// of match, with the route options of service.
func istioRouteOptions(service v1alpha1.CanaryService, match []v1alpha1.HTTPMatchRequest, destinations []istioDestination) istioHTTPRoute {
	route := istioHTTPRoute{
		Match:      match,
		Timeout:    service.Timeout,
		Retries:    service.Retries,
		Headers:    service.Headers,
		CorsPolicy: service.CorsPolicy,
		Route:      destinations,
	}
	if r := service.Rewrite; r != nil {
		route.Rewrite = &istioRewrite{URI: r.URI, Authority: r.Authority}
	}
	return route
}

// istioHosts returns the hosts of the VirtualService: the apex Service's
// name, then spec.service.hosts; none for a delegate.
func istioHosts(canary *v1alpha1.Canary) []string {
	if canary.Spec.Service.Delegation {
		return nil
	}
	apex := canary.ApexServiceName()
	hosts := []string{apex}
	for _, host := range canary.Spec.Service.Hosts {
		if host != apex {
			hosts = append(hosts, host)
		}
	}
	return hosts
}

// istioGateways returns the gateways of the VirtualService (see
// istioRouting); none for a delegate.
func istioGateways(canary *v1alpha1.Canary) []string {
	service := canary.Spec.Service
	switch {
	case service.Delegation:
		return nil
	case len(service.Gateways) > 0:
		return service.Gateways
	case len(service.GatewayRefs) == 0:
		return nil
	}
	var gateways []string
	for _, ref := range service.GatewayRefs {
		namespace := ref.Namespace
		if namespace == "" {
			namespace = canary.Namespace
		}
		gateways = append(gateways, namespace+"/"+ref.Name)
	}
	return append(gateways, "mesh")
}

// abMatches returns the conditions of the weighted route of an A/B
// rollout: every spec.analysis.match combined with every
// spec.service.match (see istioRouting), in that order.
func abMatches(canary *v1alpha1.Canary) ([]v1alpha1.HTTPMatchRequest, error) {
	service := canary.Spec.Service.Match
	if len(service) == 0 {
		service = []v1alpha1.HTTPMatchRequest{{}}
	}
	var matches []v1alpha1.HTTPMatchRequest
	for i, ab := range canary.Spec.Analysis.Match {
		for name, condition := range ab.Headers {
			if condition == (v1alpha1.StringMatch{}) {
				return nil, fmt.Errorf("spec.analysis.match[%d]: header %s: no condition", i, name)
			}
		}
		matches = append(matches, withHeaders(service, ab.Headers)...)
	}
	return matches, nil
}

// withHeaders returns each of service (at least one, maybe empty)
// combined with the conditions of headers: header names are
// case-insensitive, so a condition of headers replaces the Service
// match's however written.
func withHeaders(service []v1alpha1.HTTPMatchRequest, headers map[string]v1alpha1.StringMatch) []v1alpha1.HTTPMatchRequest {
	var matches []v1alpha1.HTTPMatchRequest
	for _, m := range service {
		combined := *m.DeepCopy()
		if combined.Headers == nil {
			combined.Headers = map[string]v1alpha1.StringMatch{}
		}
		for name := range combined.Headers {
			for abName := range headers {
				if strings.EqualFold(name, abName) {
					delete(combined.Headers, name)
				}
			}
		}
		maps.Copy(combined.Headers, headers)
		matches = append(matches, combined)
	}
	return matches
}

// destinationRule returns the DestinationRule of host, a Service of the
// Canary, with spec.service.trafficPolicy, which is set.
func destinationRule(canary *v1alpha1.Canary, host string) (*unstructured.Unstructured, error) {
	// util/json reads whole numbers as int64, as unstructured objects hold
	// them.
	var policy map[string]any
	if err := json.Unmarshal(canary.Spec.Service.TrafficPolicy.Raw, &policy); err != nil || policy == nil {
		return nil, fmt.Errorf("destinationrule %s: spec.service.trafficPolicy is not an object (%v)", host, err)
	}
	rule := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"host": host, "trafficPolicy": policy}}}
	rule.SetGroupVersionKind(destinationRuleGVK)
	rule.SetName(host)
	rule.SetNamespace(canary.Namespace)
	rule.SetLabels(routeLabels())
	return rule, nil
}

// int64Of returns a JSON number of an unstructured object as an int64.
func int64Of(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case float64:
		if n != float64(int64(n)) {
			return 0, fmt.Errorf("%v is not a whole number", n)
		}
		return int64(n), nil
	}
	return 0, fmt.Errorf("%v is not a number", v)
}

// owned is the VirtualService <apex> and, with a trafficPolicy, the
// DestinationRules <apex>-primary and <apex>-canary.
func (istioRouting) owned(canary *v1alpha1.Canary) []ownedObject {
	apex := canary.ApexServiceName()
	owned := []ownedObject{{gvk: virtualServiceGVK, name: apex}}
	if canary.Spec.Service.TrafficPolicy != nil {
		owned = append(owned,
			ownedObject{gvk: destinationRuleGVK, name: PrimaryName(apex)},
			ownedObject{gvk: destinationRuleGVK, name: CanaryServiceName(apex)})
	}
	return owned
}
