package applier

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// gatewayAPIRouting routes with a Gateway API HTTPRoute named after the
// apex Service (see v1alpha1.Canary.ApexServiceName), built as Flagger
// builds it:
//
//   - parentRefs: spec.service.gatewayRefs, with sectionName and port (a
//     ref without namespace names a Gateway in the Canary's namespace);
//   - hostnames: spec.service.hosts;
//   - labels and annotations: spec.service.apex's, sluice's labels over
//     them;
//   - a rule with two weighted backendRefs, the Services <apex>-primary
//     and <apex>-canary on spec.service.port, matching spec.service.match
//     (uri as a path match, headers, query parameters, method), with the
//     filters of spec.service.headers (request and response header
//     modifiers) and .rewrite (a URL rewrite), and the timeouts
//     spec.service.timeout (request) and .backendTimeout (backendRequest).
//
// With spec.analysis.sessionAffinity and a canary weight above 0 (see
// Router), the canary's backendRef in the weighted rule has a
// ResponseHeaderModifier that adds the Set-Cookie, and a second rule,
// with the Service's matches each combined with a regular expression
// match on the Cookie header (more specific, so it takes precedence),
// its filters and timeouts, sends the requests that carry the cookie to
// the canary; the HTTPRoute holds the cookie in SessionAffinityAnnotation.
// With primaryCookieName the primary's backendRef and a third rule do the
// same with the primary's cookie.
//
// With spec.analysis.match the weighted rule matches the requests of any
// one of the analysis matches (every header: exact or regular expression;
// a cookie through the "cookie" header), each combined with every
// spec.service.match, and a second rule with the Service's matches,
// filters and timeouts sends the rest to the primary. Gateway API gives
// the rule with header matches precedence over the one without. What
// Gateway API cannot express (a prefix condition on a header, Istio's own
// conditions) is an error here, and refused earlier by validation.
//
// While mirroring (see Router), the weighted rule also carries a
// RequestMirror filter to <apex>-canary on spec.service.port, with percent
// spec.analysis.mirrorWeight when set (in the standard channel of Gateway
// API v1.4), as Flagger writes it.
type gatewayAPIRouting struct{}

var httpRouteGVK = gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute")

func (gatewayAPIRouting) objects(_ context.Context, _ client.Reader, canary *v1alpha1.Canary, s split) ([]*unstructured.Unstructured, error) {
	return httpRouteObjects(canary, s, parentRefs(canary))
}

// httpRouteObjects returns the HTTPRoute of canary routing s, attached to
// parents, for Apply.
func httpRouteObjects(canary *v1alpha1.Canary, s split, parents []gatewayv1.ParentReference) ([]*unstructured.Unstructured, error) {
	route, err := httpRoute(canary, s, parents)
	if err != nil {
		return nil, err
	}
	obj, err := unstructuredOf(route)
	if err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{obj}, nil
}

// split reads the weights of the first rule, the weighted one.
func (gatewayAPIRouting) split(ctx context.Context, r client.Reader, canary *v1alpha1.Canary) (split, error) {
	apex := canary.ApexServiceName()
	obj, err := getLive(ctx, r, httpRouteGVK, canary.Namespace, apex)
	if err != nil {
		return split{}, err
	}
	subject := "httproute " + apex
	var route gatewayv1.HTTPRoute
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &route); err != nil {
		return split{}, fmt.Errorf("%s: %w", subject, err)
	}
	if len(route.Spec.Rules) == 0 {
		return split{}, fmt.Errorf("%s: no rules", subject)
	}
	weights := map[string]int32{}
	for _, ref := range route.Spec.Rules[0].BackendRefs {
		// Gateway API's default weight is 1.
		weights[string(ref.Name)] = ptr.Deref(ref.Weight, 1)
	}
	s, err := splitOf(subject, weights, apex)
	s.session = sessionOf(obj)
	s.mirror = slices.ContainsFunc(route.Spec.Rules[0].Filters, func(f gatewayv1.HTTPRouteFilter) bool {
		return f.Type == gatewayv1.HTTPRouteFilterRequestMirror && f.RequestMirror != nil &&
			string(f.RequestMirror.BackendRef.Name) == CanaryServiceName(apex)
	})
	return s, err
}

// mirrorFilter is the RequestMirror filter that copies
// spec.analysis.mirrorWeight percent of the requests (all of them when
// zero) to <apex>-canary.
func mirrorFilter(canary *v1alpha1.Canary) gatewayv1.HTTPRouteFilter {
	port := gatewayv1.PortNumber(canary.Spec.Service.Port)
	mirror := &gatewayv1.HTTPRequestMirrorFilter{BackendRef: gatewayv1.BackendObjectReference{
		Name: gatewayv1.ObjectName(CanaryServiceName(canary.ApexServiceName())), Port: &port,
	}}
	if w := canary.Spec.Analysis.MirrorWeight; w > 0 {
		mirror.Percent = ptr.To(w)
	}
	return gatewayv1.HTTPRouteFilter{Type: gatewayv1.HTTPRouteFilterRequestMirror, RequestMirror: mirror}
}

// httpRoute returns the HTTPRoute of canary routing s, attached to
// parents.
func httpRoute(canary *v1alpha1.Canary, s split, parents []gatewayv1.ParentReference) (*gatewayv1.HTTPRoute, error) {
	apex, service := canary.ApexServiceName(), canary.Spec.Service
	route := &gatewayv1.HTTPRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: gatewayv1.GroupVersion.String(), Kind: "HTTPRoute"},
		ObjectMeta: metav1.ObjectMeta{Name: apex, Namespace: canary.Namespace},
	}
	route.Labels, route.Annotations = withCustomMetadata(routeLabels(), service.Apex)
	route.Spec.ParentRefs = parents
	for _, host := range service.Hosts {
		route.Spec.Hostnames = append(route.Spec.Hostnames, gatewayv1.Hostname(host))
	}
	subject := "httproute " + apex
	serviceMatches, err := routeMatches(service.Match)
	if err != nil {
		return nil, fmt.Errorf("%s: spec.service.%w", subject, err)
	}
	filters := routeFilters(service)
	timeouts := routeTimeouts(service)
	port := gatewayv1.PortNumber(service.Port)
	backend := func(name string, weight int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: &port},
			Weight:                 ptr.To(weight),
		}}
	}
	rule := func(matches []gatewayv1.HTTPRouteMatch, backends ...gatewayv1.HTTPBackendRef) gatewayv1.HTTPRouteRule {
		return gatewayv1.HTTPRouteRule{Matches: matches, Filters: filters, BackendRefs: backends, Timeouts: timeouts}
	}
	weighted := []gatewayv1.HTTPBackendRef{backend(PrimaryName(apex), s.primary), backend(CanaryServiceName(apex), s.canary)}
	if len(canary.Spec.Analysis.Match) == 0 {
		weightedRule := rule(serviceMatches, weighted...)
		if s.mirror {
			weightedRule.Filters = append(slices.Clone(filters), mirrorFilter(canary))
		}
		// The cookies' rules, more specific by their Cookie match, come
		// after the weighted one, which split reads.
		sessions := []struct {
			cookie, backend string
			ref             int // of the backend in the weighted rule
		}{
			{s.session, CanaryServiceName(apex), 1},
			{primarySession(canary, s.session), PrimaryName(apex), 0},
		}
		var sticky []gatewayv1.HTTPRouteRule
		for _, session := range sessions {
			if session.cookie == "" {
				continue
			}
			weightedRule.BackendRefs[session.ref].Filters = []gatewayv1.HTTPRouteFilter{{
				Type: gatewayv1.HTTPRouteFilterResponseHeaderModifier,
				ResponseHeaderModifier: &gatewayv1.HTTPHeaderFilter{
					Add: []gatewayv1.HTTPHeader{{Name: "Set-Cookie", Value: setCookie(canary, session.cookie)}},
				},
			}}
			cookie := gatewayv1.HTTPRouteMatch{Headers: []gatewayv1.HTTPHeaderMatch{{
				Name: "Cookie", Type: ptr.To(gatewayv1.HeaderMatchRegularExpression), Value: cookieRegex(session.cookie),
			}}}
			sticky = append(sticky, rule(combineMatches([]gatewayv1.HTTPRouteMatch{cookie}, serviceMatches), backend(session.backend, 100)))
		}
		route.Spec.Rules = append([]gatewayv1.HTTPRouteRule{weightedRule}, sticky...)
		route.Annotations = withSessionAnnotation(route.Annotations, s.session)
		return route, nil
	}
	var abMatches []gatewayv1.HTTPRouteMatch
	for i, m := range canary.Spec.Analysis.Match {
		headers, err := headerMatches(m.Headers)
		if err != nil {
			return nil, fmt.Errorf("%s: spec.analysis.match[%d]: %w", subject, i, err)
		}
		abMatches = append(abMatches, gatewayv1.HTTPRouteMatch{Headers: headers})
	}
	route.Spec.Rules = []gatewayv1.HTTPRouteRule{
		rule(combineMatches(abMatches, serviceMatches), weighted...),
		rule(serviceMatches, backend(PrimaryName(apex), 100)),
	}
	return route, nil
}

// parentRefs returns the parent Gateways of the Canary's HTTPRoute.
func parentRefs(canary *v1alpha1.Canary) []gatewayv1.ParentReference {
	var refs []gatewayv1.ParentReference
	for _, ref := range canary.Spec.Service.GatewayRefs {
		namespace := ref.Namespace
		if namespace == "" {
			namespace = canary.Namespace
		}
		parent := gatewayv1.ParentReference{
			Namespace: ptr.To(gatewayv1.Namespace(namespace)),
			Name:      gatewayv1.ObjectName(ref.Name),
		}
		if ref.SectionName != "" {
			parent.SectionName = ptr.To(gatewayv1.SectionName(ref.SectionName))
		}
		if ref.Port != nil {
			parent.Port = ptr.To(gatewayv1.PortNumber(*ref.Port))
		}
		refs = append(refs, parent)
	}
	return refs
}

// combineMatches returns the matches of an A/B rollout's weighted rule:
// every analysis match combined with every Service match (the request
// must satisfy both; on a header both name, the analysis match's
// condition), the analysis matches alone when the Service has none.
// Flagger combines them alike, except that its analysis headers replace
// all of the Service match's headers.
func combineMatches(analysis, service []gatewayv1.HTTPRouteMatch) []gatewayv1.HTTPRouteMatch {
	if len(service) == 0 {
		return analysis
	}
	var out []gatewayv1.HTTPRouteMatch
	for _, a := range analysis {
		for _, s := range service {
			combined := *s.DeepCopy()
			// Header names are case-insensitive.
			combined.Headers = slices.DeleteFunc(combined.Headers, func(h gatewayv1.HTTPHeaderMatch) bool {
				return slices.ContainsFunc(a.Headers, func(ah gatewayv1.HTTPHeaderMatch) bool { return strings.EqualFold(string(ah.Name), string(h.Name)) })
			})
			combined.Headers = append(slices.Clone(a.Headers), combined.Headers...)
			out = append(out, combined)
		}
	}
	return out
}

// routeMatches returns the HTTPRoute matches of spec.service.match; an
// error names the match and the condition ("match[0]: header x: …").
func routeMatches(matches []v1alpha1.HTTPMatchRequest) ([]gatewayv1.HTTPRouteMatch, error) {
	var out []gatewayv1.HTTPRouteMatch
	for i, m := range matches {
		routeMatch, err := routeMatch(m)
		if err != nil {
			return nil, fmt.Errorf("match[%d]: %w", i, err)
		}
		out = append(out, routeMatch)
	}
	return out, nil
}

// routeMatch returns the HTTPRoute match of m: uri as an exact, prefix
// (PathPrefix) or regular expression path match, the method, the headers
// and query parameters in the order of their names. Conditions Gateway
// API cannot express are an error naming them.
func routeMatch(m v1alpha1.HTTPMatchRequest) (gatewayv1.HTTPRouteMatch, error) {
	var out gatewayv1.HTTPRouteMatch
	if istioOnly := m.IstioOnlyFields(); len(istioOnly) > 0 {
		return out, fmt.Errorf("%s: %s", istioOnly[0], v1alpha1.IstioOnlyMatch)
	}
	if uri := m.URI; uri != nil {
		switch {
		case uri.Exact != "":
			out.Path = &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchExact), Value: ptr.To(uri.Exact)}
		case uri.Prefix != "":
			out.Path = &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To(uri.Prefix)}
		case uri.Regex != "":
			out.Path = &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchRegularExpression), Value: ptr.To(uri.Regex)}
		}
	}
	if m.Method != nil {
		if m.Method.Exact == "" {
			return out, fmt.Errorf("method: Gateway API matches a method exactly only")
		}
		out.Method = ptr.To(gatewayv1.HTTPMethod(m.Method.Exact))
	}
	headers, err := headerMatches(m.Headers)
	if err != nil {
		return out, err
	}
	out.Headers = headers
	for _, name := range slices.Sorted(maps.Keys(m.QueryParams)) {
		condition := m.QueryParams[name]
		query := gatewayv1.HTTPQueryParamMatch{Name: gatewayv1.HTTPHeaderName(name)}
		switch {
		case condition.Exact != "":
			query.Type, query.Value = ptr.To(gatewayv1.QueryParamMatchExact), condition.Exact
		case condition.Regex != "":
			query.Type, query.Value = ptr.To(gatewayv1.QueryParamMatchRegularExpression), condition.Regex
		default:
			return out, fmt.Errorf("query parameter %s: Gateway API matches a query parameter exactly or by regular expression only", name)
		}
		out.QueryParams = append(out.QueryParams, query)
	}
	return out, nil
}

// headerMatches returns the header matches of conditions, in the order of
// their names.
func headerMatches(conditions map[string]v1alpha1.StringMatch) ([]gatewayv1.HTTPHeaderMatch, error) {
	var out []gatewayv1.HTTPHeaderMatch
	for _, name := range slices.Sorted(maps.Keys(conditions)) {
		condition := conditions[name]
		header := gatewayv1.HTTPHeaderMatch{Name: gatewayv1.HTTPHeaderName(name)}
		switch {
		case condition.Exact != "":
			header.Type, header.Value = ptr.To(gatewayv1.HeaderMatchExact), condition.Exact
		case condition.Regex != "":
			header.Type, header.Value = ptr.To(gatewayv1.HeaderMatchRegularExpression), condition.Regex
		default:
			return nil, fmt.Errorf("header %s: Gateway API matches a header exactly or by regular expression only", name)
		}
		out = append(out, header)
	}
	return out, nil
}

// routeFilters returns the filters of the Service's route, in Flagger's
// order: the request and response header modifiers of
// spec.service.headers, then the URL rewrite of spec.service.rewrite.
func routeFilters(service v1alpha1.CanaryService) []gatewayv1.HTTPRouteFilter {
	var filters []gatewayv1.HTTPRouteFilter
	if h := service.Headers; h != nil {
		if modifier := headerFilter(h.Request); modifier != nil {
			filters = append(filters, gatewayv1.HTTPRouteFilter{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier, RequestHeaderModifier: modifier})
		}
		if modifier := headerFilter(h.Response); modifier != nil {
			filters = append(filters, gatewayv1.HTTPRouteFilter{Type: gatewayv1.HTTPRouteFilterResponseHeaderModifier, ResponseHeaderModifier: modifier})
		}
	}
	if r := service.Rewrite; r != nil {
		rewrite := &gatewayv1.HTTPURLRewriteFilter{}
		if r.Authority != "" {
			rewrite.Hostname = ptr.To(gatewayv1.PreciseHostname(r.Authority))
		}
		switch {
		case r.URI == "":
		case r.Type == v1alpha1.RewritePrefixMatch:
			rewrite.Path = &gatewayv1.HTTPPathModifier{Type: gatewayv1.PrefixMatchHTTPPathModifier, ReplacePrefixMatch: ptr.To(r.URI)}
		default:
			// Flagger's default too.
			rewrite.Path = &gatewayv1.HTTPPathModifier{Type: gatewayv1.FullPathHTTPPathModifier, ReplaceFullPath: ptr.To(r.URI)}
		}
		filters = append(filters, gatewayv1.HTTPRouteFilter{Type: gatewayv1.HTTPRouteFilterURLRewrite, URLRewrite: rewrite})
	}
	return filters
}

// headerFilter returns the header modifier of op, set and add in the
// order of the header names; nil when op changes nothing.
func headerFilter(op *v1alpha1.HeaderOperation) *gatewayv1.HTTPHeaderFilter {
	if op == nil || len(op.Set) == 0 && len(op.Add) == 0 && len(op.Remove) == 0 {
		return nil
	}
	headers := func(m map[string]string) []gatewayv1.HTTPHeader {
		var out []gatewayv1.HTTPHeader
		for _, name := range slices.Sorted(maps.Keys(m)) {
			out = append(out, gatewayv1.HTTPHeader{Name: gatewayv1.HTTPHeaderName(name), Value: m[name]})
		}
		return out
	}
	return &gatewayv1.HTTPHeaderFilter{Set: headers(op.Set), Add: headers(op.Add), Remove: slices.Clone(op.Remove)}
}

// routeTimeouts returns the timeouts of the Service's route; nil when it
// sets none.
func routeTimeouts(service v1alpha1.CanaryService) *gatewayv1.HTTPRouteTimeouts {
	if service.Timeout == "" && service.BackendTimeout == "" {
		return nil
	}
	timeouts := &gatewayv1.HTTPRouteTimeouts{}
	if service.Timeout != "" {
		timeouts.Request = ptr.To(gatewayv1.Duration(service.Timeout))
	}
	if service.BackendTimeout != "" {
		timeouts.BackendRequest = ptr.To(gatewayv1.Duration(service.BackendTimeout))
	}
	return timeouts
}

// owned is the HTTPRoute <apex>.
func (gatewayAPIRouting) owned(canary *v1alpha1.Canary) []ownedObject {
	return []ownedObject{{gvk: httpRouteGVK, name: canary.ApexServiceName()}}
}
