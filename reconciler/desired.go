package reconciler

import (
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

// state is what to apply and what sluice owns after applying it.
type state struct {
	objects []*unstructured.Unstructured
	// inventory lists every object sluice owns, including the targets and
	// primaries that this sync leaves alone and the routing objects of
	// every Canary: those must not be pruned.
	inventory applier.Inventory
	// deferred are the objects of Git that take the place of an object
	// sluice generated for a Canary that left Git (its apex Service, say),
	// by that Canary: they are applied once its target is ready to take
	// the traffic over (departure.go), not before.
	deferred map[types.NamespacedName][]*unstructured.Unstructured
}

// desiredState composes the objects to apply from the rendering and the
// decisions: plain objects as rendered, Canaries, each Canary's Services
// and the primary's copy of its autoscaler, if any, and for targets the
// planner installs, the target scaled to zero, its primary and the
// -primary copies of its configs. A generated object that Git also
// defines is an error. departing maps the inventory entries of what sluice
// generated for Canaries that left Git to those Canaries: the objects of
// Git with those entries are deferred. live holds, at the index of each
// target with an autoscaler, the replicas its primary runs (see
// liveReplicas); a nil or short live reads as no primary.
//
// Of a suspended Canary (decision Suspended), nothing generated is applied:
// its target, primary, config copies and Services stay as they are, and
// stay sluice's.
func desiredState(rendering *manifests.Rendering, decisions []planner.SyncDecision, departing map[string]types.NamespacedName, live []*int32) (state, error) {
	var generated []*unstructured.Unstructured
	var untouched []*unstructured.Unstructured
	// held are the Services (and the like) of suspended Canaries: left as
	// they are, yet still sluice's to generate.
	var held []*unstructured.Unstructured
	var routing applier.Inventory
	targets := map[string]bool{}
	for i, target := range rendering.Targets {
		canary := rendering.Canaries[i]
		owned, err := applier.RoutingInventory(canary)
		if err != nil {
			return state{}, fmt.Errorf("canary %s/%s: %w", canary.Namespace, canary.Name, err)
		}
		routing = append(routing, owned...)
		targets[objectID(target.Deployment.Namespace, target.Deployment.Name, target.Kind())] = true
		typed := []runtime.Object{}
		services := applier.Services(canary, target.Deployment)
		if switchedByRouter(canary, decisions[i]) {
			// The apex stays sluice's (not pruned) but its selector is the
			// router's while a blue/green rollout runs.
			apex, err := applier.ToUnstructured(services[0])
			if err != nil {
				return state{}, err
			}
			untouched = append(untouched, apex...)
			services = services[1:]
		}
		for _, svc := range services {
			typed = append(typed, svc)
		}
		if scaler := primaryAutoscaler(canary, target); scaler != nil {
			// It follows the target's autoscaler in Git at every sync:
			// its bounds and metrics are no part of the revision.
			typed = append(typed, scaler)
		}
		var replicas *int32
		if i < len(live) {
			replicas = live[i]
		}
		primary, err := primaryObjects(target, primaryCommit(decisions[i].Status), scaledReplicas(canary, target, replicas))
		if err != nil {
			return state{}, fmt.Errorf("canary %s/%s: %w", canary.Namespace, canary.Name, err)
		}
		if decisions[i].Install {
			typed = append(typed, restingCanary(target))
			generated = append(generated, primary...)
		} else {
			// The target, the primary and the config copies the primary
			// reads stay as they are, and stay sluice's.
			skeletons, err := applier.ToUnstructured(targetObject(target))
			if err != nil {
				return state{}, err
			}
			untouched = append(untouched, skeletons...)
			untouched = append(untouched, primary...)
			untouched = append(untouched, trackedSkeletons(canary.Namespace, decisions[i].Status.TrackedConfigs)...)
		}
		objs, err := applier.ToUnstructured(typed...)
		if err != nil {
			return state{}, err
		}
		if decisions[i].Suspended {
			held = append(held, objs...)
			continue
		}
		generated = append(generated, objs...)
	}
	untouched = append(untouched, held...)

	out := state{deferred: map[types.NamespacedName][]*unstructured.Unstructured{}}
	generatedIDs := map[string]bool{}
	for _, obj := range slices.Concat(generated, held) {
		generatedIDs[objectID(obj.GetNamespace(), obj.GetName(), obj.GetKind())] = true
	}
	for _, obj := range rendering.Objects {
		id := objectID(obj.GetNamespace(), obj.GetName(), obj.GetKind())
		if targets[id] {
			continue
		}
		if generatedIDs[id] {
			return state{}, fmt.Errorf("%s %s/%s: sluice generates this object for a Canary; remove it from Git", obj.GetKind(), obj.GetNamespace(), obj.GetName())
		}
		if canary, ok := departing[applier.InventoryOf([]*unstructured.Unstructured{obj})[0]]; ok {
			out.deferred[canary] = append(out.deferred[canary], obj)
			continue
		}
		out.objects = append(out.objects, obj)
	}
	out.objects = append(out.objects, rendering.CanaryObjects...)
	out.objects = append(out.objects, generated...)
	out.inventory = applier.InventoryOf(slices.Concat(out.objects, untouched, slices.Concat(slices.Collect(maps.Values(out.deferred))...)))
	out.inventory = out.inventory.Union(routing)
	return out, nil
}

// primaryCommit is the commit a primary installed by a sync records: the
// one its revision was promoted from, or the first install's.
func primaryCommit(st v1alpha1.CanaryStatus) string {
	if st.LastPromotedCommit != "" {
		return st.LastPromotedCommit
	}
	return st.LastAppliedCommit
}

// switchedByRouter reports whether the apex Service of canary belongs to
// its router for now: with provider kubernetes (blue/green), the router
// switches the apex's selector, and applying Services' apex during a
// rollout would switch it back to the primary.
func switchedByRouter(canary *v1alpha1.Canary, decision planner.SyncDecision) bool {
	return canary.Spec.Provider == providerKubernetes && planner.RolloutOwns(decision.Status.Phase)
}

func objectID(namespace, name, kind string) string { return kind + "/" + namespace + "/" + name }
