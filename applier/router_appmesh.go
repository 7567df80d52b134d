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

// appMeshRouting routes with AWS App Mesh (appmesh.k8s.aws/v1beta2), the mesh
// of the seed story. AWS ended App Mesh support in September 2026: it is kept
// for the clusters that still run it, and Gateway API (provider gatewayapi)
// is the way forward.
//
// It writes, in the Canary's namespace:
//
//   - VirtualNodes <apex>-primary and <apex>-canary (the apex Service's
//     name: see v1alpha1.Canary.ApexServiceName) selecting the primary
//     and the canary pods (the target Deployment's selector, as Services
//     rewrites it), listening on spec.service.port over HTTP and discovered
//     through the DNS names of the Services of the same names;
//   - a VirtualRouter <apex> listening on spec.service.port, whose route
//     <apex> sends the split to the two virtual nodes as weighted targets;
//   - a VirtualService <apex> named <apex>.<namespace>.svc.cluster.local
//     in App Mesh, provided by the virtual router, so that mesh callers of the
//     apex Service go through it.
//
// App Mesh connects to a virtual node on its listener port, so
// spec.service.targetPort must be unset or equal to the port. With
// spec.analysis.match, each match is a route <apex>-match-<i> of priority
// i (every header of it: exact, prefix or regex) carrying the split, and the
// route <apex>, of the lowest priority, sends the rest to the primary.
type appMeshRouting struct{}

// The App Mesh kinds sluice writes.
var (
	virtualNodeGVK           = schema.GroupVersionKind{Group: "appmesh.k8s.aws", Version: "v1beta2", Kind: "VirtualNode"}
	virtualRouterGVK         = schema.GroupVersionKind{Group: "appmesh.k8s.aws", Version: "v1beta2", Kind: "VirtualRouter"}
	appMeshVirtualServiceGVK = schema.GroupVersionKind{Group: "appmesh.k8s.aws", Version: "v1beta2", Kind: "VirtualService"}
)

func (appMeshRouting) objects(ctx context.Context, r client.Reader, canary *v1alpha1.Canary, s split) ([]*unstructured.Unstructured, error) {
	target, err := readTarget(ctx, r, canary)
	if err != nil {
		return nil, err
	}
	primary, canaryPods := podSelectors(target)
	return appMeshObjects(canary, primary, canaryPods, s)
}

// split reads the weighted targets of the virtual router's first route, the
// weighted one.
func (appMeshRouting) split(ctx context.Context, r client.Reader, canary *v1alpha1.Canary) (split, error) {
	apex := canary.ApexServiceName()
	obj, err := getLive(ctx, r, virtualRouterGVK, canary.Namespace, apex)
	if err != nil {
		return split{}, err
	}
	subject := "virtualrouter " + apex
	routes, _, err := unstructured.NestedSlice(obj.Object, "spec", "routes")
	if err != nil || len(routes) == 0 {
		return split{}, fmt.Errorf("%s: no routes", subject)
	}
	first, _ := routes[0].(map[string]any)
	targets, _, _ := unstructured.NestedSlice(first, "httpRoute", "action", "weightedTargets")
	weights := map[string]int32{}
	for _, t := range targets {
		weighted, _ := t.(map[string]any)
		node, _, _ := unstructured.NestedString(weighted, "virtualNodeRef", "name")
		value, _, _ := unstructured.NestedFieldNoCopy(weighted, "weight")
		weight, err := int64Of(value)
		if err != nil {
			return split{}, fmt.Errorf("%s: weight of %s: %w", subject, node, err)
		}
		weights[node] = int32(weight)
	}
	return splitOf(subject, weights, apex)
}

// appMeshObjects returns the virtual nodes, the virtual router and the
// virtual service of canary routing s, the pods of the primary and of the
// canary being those of the selectors.
func appMeshObjects(canary *v1alpha1.Canary, primary, canaryPods map[string]string, s split) ([]*unstructured.Unstructured, error) {
	apex := canary.ApexServiceName()
	port := int64(canary.Spec.Service.Port)
	listeners := []any{map[string]any{"portMapping": map[string]any{"port": port, "protocol": "http"}}}
	node := func(name string, selector map[string]string) *unstructured.Unstructured {
		return appMeshObject(virtualNodeGVK, canary.Namespace, name, map[string]any{
			"podSelector":      map[string]any{"matchLabels": stringMap(selector)},
			"listeners":        listeners,
			"serviceDiscovery": map[string]any{"dns": map[string]any{"hostname": name + "." + canary.Namespace + ".svc.cluster.local"}},
		})
	}
	routes, err := appMeshRoutes(canary, s)
	if err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{
		node(PrimaryName(apex), primary),
		node(CanaryServiceName(apex), canaryPods),
		appMeshObject(virtualRouterGVK, canary.Namespace, apex, map[string]any{"listeners": listeners, "routes": routes}),
		appMeshObject(appMeshVirtualServiceGVK, canary.Namespace, apex, map[string]any{
			"awsName":  apex + "." + canary.Namespace + ".svc.cluster.local",
			"provider": map[string]any{"virtualRouter": map[string]any{"virtualRouterRef": map[string]any{"name": apex}}},
		}),
	}, nil
}

// appMeshRoutes returns the routes of the virtual router: the weighted one
// first.
func appMeshRoutes(canary *v1alpha1.Canary, s split) ([]any, error) {
	apex := canary.ApexServiceName()
	weightedTarget := func(node string, weight int32) any {
		return map[string]any{"virtualNodeRef": map[string]any{"name": node}, "weight": int64(weight)}
	}
	weighted := []any{weightedTarget(PrimaryName(apex), s.primary), weightedTarget(CanaryServiceName(apex), s.canary)}
	route := func(name string, match map[string]any, targets []any) map[string]any {
		return map[string]any{"name": name, "httpRoute": map[string]any{
			"match":  match,
			"action": map[string]any{"weightedTargets": targets},
		}}
	}
	everything := map[string]any{"prefix": "/"}
	match := canary.Spec.Analysis.Match
	if len(match) == 0 {
		return []any{route(apex, everything, weighted)}, nil
	}
	var routes []any
	for i, m := range match {
		headers, err := appMeshHeaders(m)
		if err != nil {
			return nil, fmt.Errorf("virtualrouter %s: spec.analysis.match[%d]: %w", apex, i, err)
		}
		r := route(fmt.Sprintf("%s-match-%d", apex, i), map[string]any{"prefix": "/", "headers": headers}, weighted)
		r["priority"] = int64(i)
		routes = append(routes, r)
	}
	rest := route(apex, everything, []any{weightedTarget(PrimaryName(apex), 100)})
	rest["priority"] = int64(1000) // App Mesh's lowest
	return append(routes, rest), nil
}

// appMeshHeaders returns the header conditions of m in App Mesh's shape, in
// the order of their names.
func appMeshHeaders(m v1alpha1.HTTPMatch) ([]any, error) {
	var headers []any
	for _, name := range slices.Sorted(maps.Keys(m.Headers)) {
		condition := m.Headers[name]
		var method map[string]any
		switch {
		case condition.Exact != "":
			method = map[string]any{"exact": condition.Exact}
		case condition.Prefix != "":
			method = map[string]any{"prefix": condition.Prefix}
		case condition.Regex != "":
			method = map[string]any{"regex": condition.Regex}
		default:
			return nil, fmt.Errorf("header %s: no condition", name)
		}
		headers = append(headers, map[string]any{"name": name, "match": method})
	}
	return headers, nil
}

// appMeshObject returns an App Mesh object of kind gvk with spec.
func appMeshObject(gvk schema.GroupVersionKind, namespace, name string, spec map[string]any) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	obj.SetGroupVersionKind(gvk)
	obj.SetNamespace(namespace)
	obj.SetName(name)
	obj.SetLabels(routeLabels())
	return obj
}

// stringMap returns m as an unstructured map.
func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// owned are the virtual nodes <apex>-primary and <apex>-canary, the
// virtual router and the virtual service <apex>.
func (appMeshRouting) owned(canary *v1alpha1.Canary) []ownedObject {
	apex := canary.ApexServiceName()
	return []ownedObject{
		{gvk: virtualNodeGVK, name: PrimaryName(apex)},
		{gvk: virtualNodeGVK, name: CanaryServiceName(apex)},
		{gvk: virtualRouterGVK, name: apex},
		{gvk: appMeshVirtualServiceGVK, name: apex},
	}
}
