package manifests

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// ObjectKey names a rendered object. Versions do not count: the same
// object rendered at two API versions is one object.
type ObjectKey struct {
	Group, Kind, Namespace, Name string
}

// KeyOf returns the key of an object.
func KeyOf(obj *unstructured.Unstructured) ObjectKey {
	gvk := obj.GroupVersionKind()
	return ObjectKey{Group: gvk.Group, Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

// String reads "Deployment detail.shop", "HTTPRoute.gateway.networking.k8s.io
// detail.shop" or "Namespace shop".
func (k ObjectKey) String() string {
	kind := k.Kind
	if k.Group != "" {
		kind += "." + k.Group
	}
	if k.Namespace == "" {
		return kind + " " + k.Name
	}
	return kind + " " + k.Name + "." + k.Namespace
}

// compareKeys orders keys by namespace, kind, group and name.
func compareKeys(a, b ObjectKey) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Group, b.Group), cmp.Compare(a.Name, b.Name))
}

// byKey indexes every object of a rendering, Canaries included as
// rendered. Of two objects with the same key the last wins, as an apply
// would have it.
func (r *Rendering) byKey() map[ObjectKey]*unstructured.Unstructured {
	out := make(map[ObjectKey]*unstructured.Unstructured, len(r.Objects)+len(r.CanaryObjects))
	for _, obj := range slices.Concat(r.Objects, r.CanaryObjects) {
		out[KeyOf(obj)] = obj
	}
	return out
}

// Differences returns the keys of the objects that two renderings do not
// have alike — present in one only, or with other content (apiVersion
// included) — sorted. Canaries count as rendered, not defaulted. Equal
// renderings give none.
func Differences(a, b *Rendering) []ObjectKey {
	left, right := a.byKey(), b.byKey()
	var out []ObjectKey
	for key, obj := range left {
		if other, ok := right[key]; !ok || !equality.Semantic.DeepEqual(obj.Object, other.Object) {
			out = append(out, key)
		}
	}
	for key := range right {
		if _, ok := left[key]; !ok {
			out = append(out, key)
		}
	}
	slices.SortFunc(out, compareKeys)
	return out
}

// Target returns the target of the named Canary, or false when the
// rendering has no such Canary.
func (r *Rendering) Target(canary types.NamespacedName) (Target, bool) {
	for _, t := range r.Targets {
		if t.Canary == canary {
			return t, true
		}
	}
	return Target{}, false
}

// Scope returns the objects of the rendering that belong to the target of
// one Canary alone: the Canary, its Deployment, and the ConfigMaps and
// Secrets of the rendering that its pod template uses and that no other
// workload of the rendering uses (another target, or any Deployment,
// StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod). Changing
// them changes that target and nothing else. A Canary the rendering does
// not have gives an empty scope.
func (r *Rendering) Scope(canary types.NamespacedName) map[ObjectKey]bool {
	target, ok := r.Target(canary)
	if !ok {
		return map[ObjectKey]bool{}
	}
	deployment := ObjectKey{Group: "apps", Kind: target.Kind(), Namespace: canary.Namespace, Name: target.Deployment.Name}
	scope := map[ObjectKey]bool{
		{Group: "sluice.dev", Kind: "Canary", Namespace: canary.Namespace, Name: canary.Name}: true,
		deployment: true,
	}
	users := r.ConfigUsers()
	for _, ref := range target.Configs {
		key := ObjectKey{Kind: ref.Kind, Namespace: canary.Namespace, Name: ref.Name}
		if others := users[key]; len(others) == 1 && others[0] == deployment {
			scope[key] = true
		}
	}
	return scope
}

// Owners returns the Canaries whose scope (see Scope) or whose target's
// configs include the object, sorted: who a change of it concerns.
func (r *Rendering) Owners(key ObjectKey) []types.NamespacedName {
	users := r.ConfigUsers()[key]
	var out []types.NamespacedName
	for _, t := range r.Targets {
		deployment := ObjectKey{Group: "apps", Kind: t.Kind(), Namespace: t.Canary.Namespace, Name: t.Deployment.Name}
		canary := ObjectKey{Group: "sluice.dev", Kind: "Canary", Namespace: t.Canary.Namespace, Name: t.Canary.Name}
		if key == deployment || key == canary || slices.Contains(users, deployment) {
			out = append(out, t.Canary)
		}
	}
	slices.SortFunc(out, func(a, b types.NamespacedName) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// ConfigUsers maps each ConfigMap and Secret that a workload of the
// rendering uses (see ConfigRef for what counts) to those workloads,
// sorted. A workload is an object with a pod template: Deployment,
// StatefulSet, DaemonSet and ReplicaSet (apps), Job and CronJob (batch),
// and Pod. Only the namespace of the workload is searched.
func (r *Rendering) ConfigUsers() map[ObjectKey][]ObjectKey {
	users := map[ObjectKey][]ObjectKey{}
	for _, obj := range r.Objects {
		spec, ok := podSpecOf(obj)
		if !ok {
			continue
		}
		workload := KeyOf(obj)
		for _, ref := range configRefs(spec) {
			key := ObjectKey{Kind: ref.Kind, Namespace: obj.GetNamespace(), Name: ref.Name}
			users[key] = append(users[key], workload)
		}
	}
	for key := range maps.Keys(users) {
		slices.SortFunc(users[key], compareKeys)
		users[key] = slices.Compact(users[key])
	}
	return users
}

// podTemplatePaths are where the workload kinds keep their pod spec.
var podTemplatePaths = map[[2]string][]string{
	{"apps", "Deployment"}:  {"spec", "template", "spec"},
	{"apps", "StatefulSet"}: {"spec", "template", "spec"},
	{"apps", "DaemonSet"}:   {"spec", "template", "spec"},
	{"apps", "ReplicaSet"}:  {"spec", "template", "spec"},
	{"batch", "Job"}:        {"spec", "template", "spec"},
	{"batch", "CronJob"}:    {"spec", "jobTemplate", "spec", "template", "spec"},
	{"", "Pod"}:             {"spec"},
}

// podSpecOf decodes the pod spec of a workload; false for another kind or
// a spec that does not decode.
func podSpecOf(obj *unstructured.Unstructured) (*corev1.PodSpec, bool) {
	gvk := obj.GroupVersionKind()
	path, ok := podTemplatePaths[[2]string{gvk.Group, gvk.Kind}]
	if !ok {
		return nil, false
	}
	raw, found, err := unstructured.NestedMap(obj.Object, path...)
	if err != nil || !found {
		return nil, false
	}
	spec := &corev1.PodSpec{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, spec); err != nil {
		return nil, false
	}
	return spec, true
}

// Describe names an object for people, with the Canaries it concerns when
// it belongs to a target: "Deployment frontend.shop (canary frontend.shop)".
func (r *Rendering) Describe(key ObjectKey) string {
	owners := r.Owners(key)
	if len(owners) == 0 {
		return key.String()
	}
	names := make([]string, len(owners))
	for i, o := range owners {
		names[i] = o.Name + "." + o.Namespace
	}
	return fmt.Sprintf("%s (canary %s)", key, strings.Join(names, ", "))
}
