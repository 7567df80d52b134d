package reconciler

import (
	"context"
	"errors"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

// departure is a Canary that left Git while sluice still owns what it
// generated for it.
type departure struct {
	canary types.NamespacedName
	// target is its target as the rendering has it — the Deployment, or
	// the Deployment view of a DaemonSet (what the Services read) —; nil
	// when it left Git too.
	target *appsv1.Deployment
	// targetName names the target, kind is its kind: Deployment or
	// DaemonSet.
	targetName, kind string
	// owned are the inventory entries of what sluice generated for the
	// Canary — the primary, its autoscaler, the Services, the routing
	// objects, the config copies — and of the Canary itself.
	owned applier.Inventory
}

// departures finds the Canaries of the previous inventory that the
// rendering no longer has and that still exist, with what sluice
// generated for them.
func (r *Reconciler) departures(ctx context.Context, rendering *manifests.Rendering, previous applier.Inventory) ([]departure, error) {
	inGit := map[types.NamespacedName]bool{}
	for _, canary := range rendering.Canaries {
		inGit[client.ObjectKeyFromObject(canary)] = true
	}
	var out []departure
	for _, entry := range previous {
		parts := strings.Split(entry, "/")
		if len(parts) != 5 || parts[0] != v1alpha1.GroupVersion.Group || parts[2] != "Canary" {
			continue
		}
		key := types.NamespacedName{Namespace: parts[3], Name: parts[4]}
		if inGit[key] {
			continue
		}
		var live v1alpha1.Canary
		if err := r.client.Get(ctx, key, &live); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return nil, err
		}
		d := departure{canary: key, targetName: live.Spec.TargetRef.Name, kind: live.Spec.TargetRef.Kind, owned: applier.Inventory{entry}}
		if d.kind == "" {
			d.kind = "Deployment"
		}
		d.target = renderedTarget(rendering, key.Namespace, d.targetName, d.kind)
		if d.target != nil {
			d.owned = d.owned.Union(generatedFor(&live, d.target, d.kind))
		}
		out = append(out, d)
	}
	return out, nil
}

// generatedFor returns the inventory entries of what sluice generates for
// a Canary whose target is target, of kind (Deployment or DaemonSet).
func generatedFor(canary *v1alpha1.Canary, target *appsv1.Deployment, kind string) applier.Inventory {
	var objects []runtime.Object
	for _, svc := range applier.Services(canary, target) {
		objects = append(objects, svc)
	}
	var primary client.Object = &appsv1.Deployment{}
	if kind == "DaemonSet" {
		primary = &appsv1.DaemonSet{}
	}
	primary.GetObjectKind().SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind(kind))
	primary.SetNamespace(canary.Namespace)
	primary.SetName(applier.PrimaryName(target.Name))
	objects = append(objects, primary)
	if ref := canary.Spec.AutoscalerRef; ref != nil {
		scaler := &autoscalingv2.HorizontalPodAutoscaler{}
		scaler.SetGroupVersionKind(autoscalingv2.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"))
		scaler.SetNamespace(canary.Namespace)
		scaler.SetName(applier.PrimaryAutoscalerName(ref.Name))
		objects = append(objects, scaler)
	}
	skeletons, err := applier.ToUnstructured(objects...)
	if err != nil {
		return nil
	}
	skeletons = append(skeletons, trackedSkeletons(canary.Namespace, canary.Status.TrackedConfigs)...)
	owned := applier.InventoryOf(skeletons)
	if routing, err := applier.RoutingInventory(canary); err == nil {
		owned = owned.Union(routing)
	}
	return owned
}

// observeDeparture reads what DecideDeparture needs about a departed
// Canary: whether its target, as this sync applied it, is ready, and
// whether it still rests at the zero replicas of a canary while Git gives
// it none, with the replicas of the primary.
func (r *Reconciler) observeDeparture(ctx context.Context, d departure) (planner.DepartureObservation, error) {
	obs := planner.DepartureObservation{Name: d.canary.Name, Namespace: d.canary.Namespace, Target: d.targetName, TargetInGit: d.target != nil, DaemonSet: d.kind == "DaemonSet"}
	if !obs.TargetInGit {
		return obs, nil
	}
	key := client.ObjectKey{Namespace: d.canary.Namespace, Name: d.targetName}
	obs.TargetReady = r.applier.WorkloadReadyAt(ctx, d.kind, key, 100) == nil
	if d.kind != "DaemonSet" && d.target.Spec.Replicas != nil {
		return obs, nil
	}
	// A DaemonSet that was a canary rests on no node whatever Git says
	// (the scale-down is sluice's node selector, which applying Git keeps).
	replicas, err := r.applier.WorkloadReplicas(ctx, d.kind, key)
	if err != nil {
		return obs, err
	}
	obs.TargetScaledDown = replicas == 0
	primary, err := r.applier.WorkloadReplicas(ctx, d.kind, client.ObjectKey{Namespace: d.canary.Namespace, Name: applier.PrimaryName(d.targetName)})
	switch {
	case err == nil:
		obs.PrimaryReplicas = primary
	case !apierrors.IsNotFound(errors.Unwrap(err)):
		return obs, err
	}
	return obs, nil
}

// renderedTarget returns the apps/v1 workload of kind (Deployment or
// DaemonSet) of the rendering with that namespace and name, decoded — a
// DaemonSet as the Deployment view the Services read (metadata, selector,
// pod template) —; nil when there is none.
func renderedTarget(rendering *manifests.Rendering, namespace, name, kind string) *appsv1.Deployment {
	for _, obj := range rendering.Objects {
		gvk := obj.GroupVersionKind()
		if gvk.Group != "apps" || gvk.Kind != kind || obj.GetNamespace() != namespace || obj.GetName() != name {
			continue
		}
		if kind == "DaemonSet" {
			ds := &appsv1.DaemonSet{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, ds); err != nil {
				return nil
			}
			return &appsv1.Deployment{ObjectMeta: ds.ObjectMeta, Spec: appsv1.DeploymentSpec{Selector: ds.Spec.Selector, Template: ds.Spec.Template}}
		}
		deployment := &appsv1.Deployment{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, deployment); err != nil {
			return nil
		}
		return deployment
	}
	return nil
}

// departing maps the entries of what departures generated, and Git may
// now define itself, to their Canary, for desiredState.
func departingEntries(departures []departure) map[string]types.NamespacedName {
	out := map[string]types.NamespacedName{}
	for _, d := range departures {
		if d.target == nil {
			continue
		}
		for _, entry := range d.owned {
			out[entry] = d.canary
		}
	}
	return out
}

// handOver decides, once this sync's objects are applied, what becomes of
// each departed Canary's objects (planner.DecideDeparture): it applies
// the deferred objects of Git of those whose target took over, and
// returns the inventory entries to keep for those whose target is not
// ready yet, and whether any is.
func (r *Reconciler) handOver(ctx context.Context, departures []departure, deferred map[types.NamespacedName][]*unstructured.Unstructured) (applier.Changes, applier.Inventory, bool, error) {
	var changes applier.Changes
	var held applier.Inventory
	waiting := false
	for _, d := range departures {
		obs, err := r.observeDeparture(ctx, d)
		if err != nil {
			return changes, held, waiting, err
		}
		decision := planner.DecideDeparture(obs)
		if r.departed[d.canary] != decision.Message {
			r.departed[d.canary] = decision.Message
			r.opts.Log.Info(decision.Message, "canary", d.canary.Name+"."+d.canary.Namespace)
		}
		if decision.ScaleTarget > 0 {
			scaled, err := r.applier.ScaleWorkload(ctx, d.kind, client.ObjectKey{Namespace: d.canary.Namespace, Name: d.targetName}, decision.ScaleTarget)
			changes = append(changes, scaled...)
			if err != nil {
				return changes, held, waiting, err
			}
		}
		if decision.Hold {
			held = held.Union(d.owned)
			waiting = true
			continue
		}
		applied, err := r.applier.Apply(ctx, deferred[d.canary])
		changes = append(changes, applied...)
		if err != nil {
			return changes, held, waiting, err
		}
		delete(r.departed, d.canary)
	}
	return changes, held, waiting, nil
}
