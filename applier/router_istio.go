package applier

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// istioRouting routes with an Istio VirtualService
// (networking.istio.io/v1beta1, which every Istio since 1.5 serves, those
// serving v1 included) named after the apex Service (see
// v1alpha1.Canary.ApexServiceName):
//
//   - hosts: the apex Service's name, then spec.service.hosts;
//   - gateways: spec.service.gatewayRefs as "namespace/name" (the Canary's
//     namespace when a ref has none) followed by "mesh", so that callers
//     inside the mesh get the same split as those behind the gateways; none
//     without gatewayRefs, which Istio reads as "mesh";
//   - one HTTP route with two weighted destinations, the hosts
//     <apex>-primary and <apex>-canary on spec.service.port.
//
// With spec.analysis.match the weighted route carries the matches (any one
// of them; every header of a match: exact, prefix or regex) and a second
// route sends the rest to the primary.
//
// No DestinationRule is written: the destinations are Service hosts, not
// subsets, so none is needed, and one would shadow the DestinationRules the
// cluster already applies to these hosts (mTLS, connection pools, outlier
// detection), since Istio does not merge them.
type istioRouting struct{}

var virtualServiceGVK = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1beta1", Kind: "VirtualService"}

func (istioRouting) objects(_ context.Context, _ client.Reader, canary *v1alpha1.Canary, s split) ([]*unstructured.Unstructured, error) {
	vs, err := virtualService(canary, s)
	if err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{vs}, nil
}

// split reads the weights of the first HTTP route, the weighted one.
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
	return splitOf(subject, weights, apex)
}

// virtualService returns the VirtualService of canary routing s.
func virtualService(canary *v1alpha1.Canary, s split) (*unstructured.Unstructured, error) {
	apex := canary.ApexServiceName()
	port := int64(canary.Spec.Service.Port)
	destination := func(host string, weight int32) map[string]any {
		return map[string]any{
			"destination": map[string]any{"host": host, "port": map[string]any{"number": port}},
			"weight":      int64(weight),
		}
	}
	weighted := map[string]any{"route": []any{
		destination(PrimaryName(apex), s.primary),
		destination(CanaryServiceName(apex), s.canary),
	}}
	routes := []any{weighted}
	if match := canary.Spec.Analysis.Match; len(match) > 0 {
		var matches []any
		for i, m := range match {
			headers, err := istioHeaders(m)
			if err != nil {
				return nil, fmt.Errorf("virtualservice %s: spec.analysis.match[%d]: %w", apex, i, err)
			}
			matches = append(matches, map[string]any{"headers": headers})
		}
		weighted["match"] = matches
		routes = append(routes, map[string]any{"route": []any{destination(PrimaryName(apex), 100)}})
	}
	hosts := []any{apex}
	for _, host := range canary.Spec.Service.Hosts {
		if host != apex {
			hosts = append(hosts, host)
		}
	}
	spec := map[string]any{"hosts": hosts, "http": routes}
	if refs := canary.Spec.Service.GatewayRefs; len(refs) > 0 {
		var gateways []any
		for _, ref := range refs {
			namespace := ref.Namespace
			if namespace == "" {
				namespace = canary.Namespace
			}
			gateways = append(gateways, namespace+"/"+ref.Name)
		}
		spec["gateways"] = append(gateways, "mesh")
	}
	vs := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	vs.SetGroupVersionKind(virtualServiceGVK)
	vs.SetName(apex)
	vs.SetNamespace(canary.Namespace)
	vs.SetLabels(routeLabels())
	return vs, nil
}

// istioHeaders returns the header conditions of m in Istio's shape.
func istioHeaders(m v1alpha1.HTTPMatch) (map[string]any, error) {
	headers := map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(m.Headers)) {
		condition := m.Headers[name]
		switch {
		case condition.Exact != "":
			headers[name] = map[string]any{"exact": condition.Exact}
		case condition.Prefix != "":
			headers[name] = map[string]any{"prefix": condition.Prefix}
		case condition.Regex != "":
			headers[name] = map[string]any{"regex": condition.Regex}
		default:
			return nil, fmt.Errorf("header %s: no condition", name)
		}
	}
	return headers, nil
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

// owned is the VirtualService <apex>.
func (istioRouting) owned(canary *v1alpha1.Canary) []ownedObject {
	return []ownedObject{{gvk: virtualServiceGVK, name: canary.ApexServiceName()}}
}
