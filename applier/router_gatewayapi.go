package applier

import (
	"context"
	"fmt"
	"maps"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// gatewayAPIRouting routes with a Gateway API HTTPRoute named after the
// target: parentRefs from spec.service.gatewayRefs (a ref without namespace
// names a Gateway in the Canary's namespace), hostnames from
// spec.service.hosts, and a rule with two weighted backendRefs, the
// Services <target>-primary and <target>-canary on spec.service.port.
//
// With spec.analysis.match the weighted rule matches the requests of any one
// of the matches (every header of a match: exact or regular expression; a
// cookie through the "cookie" header), and a second rule without matches
// sends the rest to the primary. Gateway API gives the rule with header
// matches precedence over the one without. A prefix condition is refused:
// Gateway API has none.
type gatewayAPIRouting struct{}

var httpRouteGVK = gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute")

func (gatewayAPIRouting) objects(_ context.Context, _ client.Reader, canary *v1alpha1.Canary, s split) ([]*unstructured.Unstructured, error) {
	route, err := httpRoute(canary, s)
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
	target := canary.Spec.TargetRef.Name
	obj, err := getLive(ctx, r, httpRouteGVK, canary.Namespace, target)
	if err != nil {
		return split{}, err
	}
	subject := "httproute " + target
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
	return splitOf(subject, weights, target)
}

// httpRoute returns the HTTPRoute of canary routing s.
func httpRoute(canary *v1alpha1.Canary, s split) (*gatewayv1.HTTPRoute, error) {
	target := canary.Spec.TargetRef.Name
	route := &gatewayv1.HTTPRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: gatewayv1.GroupVersion.String(), Kind: "HTTPRoute"},
		ObjectMeta: metav1.ObjectMeta{Name: target, Namespace: canary.Namespace, Labels: routeLabels()},
	}
	for _, ref := range canary.Spec.Service.GatewayRefs {
		namespace := ref.Namespace
		if namespace == "" {
			namespace = canary.Namespace
		}
		route.Spec.ParentRefs = append(route.Spec.ParentRefs, gatewayv1.ParentReference{
			Namespace: ptr.To(gatewayv1.Namespace(namespace)),
			Name:      gatewayv1.ObjectName(ref.Name),
		})
	}
	for _, host := range canary.Spec.Service.Hosts {
		route.Spec.Hostnames = append(route.Spec.Hostnames, gatewayv1.Hostname(host))
	}
	port := gatewayv1.PortNumber(canary.Spec.Service.Port)
	backend := func(name string, weight int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: &port},
			Weight:                 ptr.To(weight),
		}}
	}
	weighted := gatewayv1.HTTPRouteRule{BackendRefs: []gatewayv1.HTTPBackendRef{
		backend(PrimaryName(target), s.primary),
		backend(CanaryServiceName(target), s.canary),
	}}
	match := canary.Spec.Analysis.Match
	if len(match) == 0 {
		route.Spec.Rules = []gatewayv1.HTTPRouteRule{weighted}
		return route, nil
	}
	for i, m := range match {
		routeMatch, err := httpRouteMatch(m)
		if err != nil {
			return nil, fmt.Errorf("httproute %s: spec.analysis.match[%d]: %w", target, i, err)
		}
		weighted.Matches = append(weighted.Matches, routeMatch)
	}
	rest := gatewayv1.HTTPRouteRule{BackendRefs: []gatewayv1.HTTPBackendRef{backend(PrimaryName(target), 100)}}
	route.Spec.Rules = []gatewayv1.HTTPRouteRule{weighted, rest}
	return route, nil
}

// httpRouteMatch returns the match of m's headers, in the order of their
// names.
func httpRouteMatch(m v1alpha1.HTTPMatch) (gatewayv1.HTTPRouteMatch, error) {
	var routeMatch gatewayv1.HTTPRouteMatch
	for _, name := range slices.Sorted(maps.Keys(m.Headers)) {
		condition := m.Headers[name]
		header := gatewayv1.HTTPHeaderMatch{Name: gatewayv1.HTTPHeaderName(name)}
		switch {
		case condition.Exact != "":
			header.Type, header.Value = ptr.To(gatewayv1.HeaderMatchExact), condition.Exact
		case condition.Regex != "":
			header.Type, header.Value = ptr.To(gatewayv1.HeaderMatchRegularExpression), condition.Regex
		default:
			return routeMatch, fmt.Errorf("header %s: Gateway API matches a header exactly or by regular expression only", name)
		}
		routeMatch.Headers = append(routeMatch.Headers, header)
	}
	return routeMatch, nil
}

// owned is the HTTPRoute <target>.
func (gatewayAPIRouting) owned(canary *v1alpha1.Canary) []ownedObject {
	return []ownedObject{{gvk: httpRouteGVK, name: canary.Spec.TargetRef.Name}}
}
