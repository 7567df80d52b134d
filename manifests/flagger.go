package manifests

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// FlaggerGroup is the API group of Flagger's Canary. A Canary of this group
// in Git is read as sluice's own (see fromFlagger).
const FlaggerGroup = "flagger.app"

// unsupported are Flagger's Canary fields sluice does not implement, by
// path (a "*" stands for every item of a list), with the reason a
// rendering that sets one is refused. A field absent from this table and
// from sluice's Canary is refused by the strict decoding as an unknown
// field. docs/flagger-compatibility.md is the same table, for people.
var unsupported = []struct{ path, reason string }{
	{"spec.autoscalerRef.primaryScalerQueries", "KEDA ScaledObjects are not supported: use a HorizontalPodAutoscaler"},
	{"spec.ingressRef", "ingress controllers (provider nginx, contour, …) are not supported: use provider gatewayapi"},
	{"spec.routeRef", "OpenShift routes are not supported: use provider gatewayapi"},
	{"spec.upstreamRef", "Gloo upstreams are not supported: use provider gatewayapi"},
	{"spec.service.headless", "headless Services are not supported: the routers send traffic to the Services' cluster IPs, and a Service's clusterIP cannot change once it exists"},
	{"spec.service.mirror", "Gateway API mirror filters to other backends are not built: spec.analysis.mirror copies requests to the canary"},
	{"spec.service.meshName", "App Mesh meshes other than the namespace's are not supported"},
	{"spec.service.backends", "App Mesh backends are not built yet"},
}

// unsupportedProviders are providers Flagger has and sluice has not, with
// what to use instead.
var unsupportedProviders = map[string]string{
	"contour": "use provider gatewayapi (Contour implements Gateway API)",
	"gloo":    "use provider gatewayapi (Gloo Gateway implements Gateway API)",
	"nginx":   "use provider gatewayapi with a Gateway API controller",
	"skipper": "use provider gatewayapi with a Gateway API controller",
	"traefik": "use provider gatewayapi (Traefik implements Gateway API)",
	"apisix":  "use provider gatewayapi (APISIX implements Gateway API)",
	"kuma":    "use provider gatewayapi (Kuma implements Gateway API)",
	"osm":     "Open Service Mesh is retired; use provider gatewayapi",
	"smi":     "SMI is retired; use provider gatewayapi",
	"knative": "Knative services are not supported",
	"keda":    "KEDA ScaledObjects are not supported",
}

// fromFlagger makes a rendered Canary readable as sluice's, in place —
// the object applied to the cluster is the one it leaves:
//
//   - apiVersion flagger.app/v1beta1 becomes sluice.dev/v1alpha1 (the
//     returned notice says so, and how to write it so in Git);
//   - Flagger's spellings are read as sluice's: spec.canaryAnalysis as
//     spec.analysis, metrics[].threshold as thresholdRange.min for
//     request-success-rate and .max for the others (as Flagger), provider
//     gatewayapi:v1 (or :v1beta1) as gatewayapi, appmesh:v1beta2 as
//     appmesh, a gatewayRef's group gateway.networking.k8s.io and kind
//     Gateway (the defaults) are dropped;
//   - revertOnDeletion is read and dropped: sluice always hands the
//     traffic back to the target when a Canary leaves Git;
//   - any field of the unsupported table, an unsupported provider and a
//     gatewayRef to a Service (Flagger's way to Linkerd's mesh routes) are
//     an *InvalidError naming the field and saying why.
func fromFlagger(obj object) (notice string, err error) {
	name := describe("canary", obj)
	if obj.GroupVersionKind().Group == FlaggerGroup {
		notice = fmt.Sprintf("%s is written as %s: sluice reads it as %s; `sluice convert` writes it so in Git", name, obj.GetAPIVersion(), v1alpha1.GroupVersion)
		obj.SetAPIVersion(v1alpha1.GroupVersion.String())
	}
	content := obj.Object
	if analysis, ok, _ := unstructured.NestedFieldNoCopy(content, "spec", "canaryAnalysis"); ok {
		if _, both, _ := unstructured.NestedFieldNoCopy(content, "spec", "analysis"); both {
			return notice, &InvalidError{Object: name, Field: "spec.canaryAnalysis", Reason: "set with spec.analysis: keep one (canaryAnalysis is its older name)"}
		}
		_ = unstructured.SetNestedField(content, analysis, "spec", "analysis")
		unstructured.RemoveNestedField(content, "spec", "canaryAnalysis")
	}
	for _, u := range unsupported {
		if path, found := find(content, strings.Split(u.path, ".")); found {
			return notice, &InvalidError{Object: name, Field: path, Reason: "not supported by sluice: " + u.reason}
		}
	}
	if err := providerSpelling(content, name); err != nil {
		return notice, err
	}
	if err := serviceParents(content, name); err != nil {
		return notice, err
	}
	unstructured.RemoveNestedField(content, "spec", "revertOnDeletion")
	thresholds(content)
	gatewayRefDefaults(content)
	return notice, nil
}

// serviceParents refuses a gatewayRef to a Service, which Flagger's
// Linkerd tutorial writes to attach the HTTPRoute to the apex Service
// (Gateway API's mesh pattern, GAMMA): sluice's provider linkerd does that
// itself, without gatewayRefs.
func serviceParents(content map[string]any, name string) error {
	refs, _, _ := unstructured.NestedSlice(content, "spec", "service", "gatewayRefs")
	for i, item := range refs {
		if ref, ok := item.(map[string]any); ok && ref["kind"] == "Service" {
			return &InvalidError{Object: name, Field: fmt.Sprintf("spec.service.gatewayRefs[%d].kind", i),
				Reason: "a Service parent is Gateway API's mesh pattern (GAMMA): write provider: linkerd without gatewayRefs, and sluice attaches the HTTPRoute to the apex Service"}
		}
	}
	return nil
}

// find reports whether the path (with "*" for every item of a list) is
// set, and the first such path with indices, such as
// "spec.analysis.metrics[1].templateRef".
func find(content any, path []string) (string, bool) {
	if len(path) == 0 {
		return "", true
	}
	switch v := content.(type) {
	case map[string]any:
		if path[0] == "*" {
			return "", false
		}
		child, ok := v[path[0]]
		if !ok {
			return "", false
		}
		rest, found := find(child, path[1:])
		if !found {
			return "", false
		}
		if rest == "" || strings.HasPrefix(rest, "[") {
			return path[0] + rest, true
		}
		return path[0] + "." + rest, true
	case []any:
		if path[0] != "*" {
			return "", false
		}
		for i, item := range v {
			if rest, found := find(item, path[1:]); found {
				if rest == "" {
					return fmt.Sprintf("[%d]", i), true
				}
				return fmt.Sprintf("[%d].%s", i, rest), true
			}
		}
	}
	return "", false
}

// providerSpelling reads Flagger's versioned provider names as sluice's,
// and refuses a provider of Flagger's that sluice does not have, saying
// what to use instead.
func providerSpelling(content map[string]any, name string) error {
	provider, _, _ := unstructured.NestedString(content, "spec", "provider")
	base, _, _ := strings.Cut(provider, ":")
	switch {
	case provider == "" || v1alpha1.IsKnownProvider(provider):
		return nil
	case base == v1alpha1.ProviderGatewayAPI || base == v1alpha1.ProviderAppMesh:
		return unstructured.SetNestedField(content, base, "spec", "provider")
	}
	if hint, ok := unsupportedProviders[base]; ok && hint != "" {
		return &InvalidError{Object: name, Field: "spec.provider", Reason: fmt.Sprintf("%q is not supported by sluice: %s", provider, hint)}
	}
	return nil // validation names the known providers
}

// thresholds reads each metric's threshold (Flagger's older field) as
// Flagger judges it, unless thresholdRange is set: the lowest value that
// passes for request-success-rate (thresholdRange.min), the highest for
// every other metric — request-duration in milliseconds, a query or a
// templateRef (thresholdRange.max).
func thresholds(content map[string]any) {
	metrics, _, _ := unstructured.NestedSlice(content, "spec", "analysis", "metrics")
	changed := false
	for _, item := range metrics {
		metric, ok := item.(map[string]any)
		if !ok {
			continue
		}
		threshold, has := metric["threshold"]
		if !has {
			continue
		}
		delete(metric, "threshold")
		changed = true
		if _, set := metric["thresholdRange"]; !set {
			bound := "max"
			if metric["name"] == "request-success-rate" {
				bound = "min"
			}
			metric["thresholdRange"] = map[string]any{bound: threshold}
		}
	}
	if changed {
		_ = unstructured.SetNestedSlice(content, metrics, "spec", "analysis", "metrics")
	}
}

// gatewayRefDefaults drops a gatewayRef's group and kind when they are
// Gateway API's defaults, which is all sluice attaches to.
func gatewayRefDefaults(content map[string]any) {
	refs, _, _ := unstructured.NestedSlice(content, "spec", "service", "gatewayRefs")
	changed := false
	for _, item := range refs {
		ref, ok := item.(map[string]any)
		if !ok {
			continue
		}
		if ref["group"] == "gateway.networking.k8s.io" {
			delete(ref, "group")
			changed = true
		}
		if ref["kind"] == "Gateway" {
			delete(ref, "kind")
			changed = true
		}
	}
	if changed {
		_ = unstructured.SetNestedSlice(content, refs, "spec", "service", "gatewayRefs")
	}
}
