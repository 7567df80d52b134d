package applier

import (
	"context"
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ScaleDownNodeSelector is the node selector label that matches no node:
// a DaemonSet has no replicas to scale, so the canary DaemonSet rests
// between rollouts with this label in its pod template's nodeSelector,
// which keeps its pods off every node, as Flagger does with
// flagger.app/scale-to-zero. Nodes must not carry it.
const ScaleDownNodeSelector = "sluice.dev/scale-to-zero"

// PrimaryDaemonSet returns the primary DaemonSet derived from the rendered
// target, as Primary does for a Deployment: named <target>-primary, every
// selector label value suffixed with -primary, the revision and commit
// recorded, tracked configs pointed at their -primary copies. The scale-down
// node selector is never copied: the primary runs on every node the
// target's own nodeSelector allows. A selector with matchExpressions is
// refused.
func PrimaryDaemonSet(target *appsv1.DaemonSet, revision, commit string, tracked []TrackedConfig) (*appsv1.DaemonSet, error) {
	if target.Spec.Selector == nil || len(target.Spec.Selector.MatchLabels) == 0 {
		return nil, fmt.Errorf("daemonset %s/%s: spec.selector.matchLabels is empty", target.Namespace, target.Name)
	}
	if len(target.Spec.Selector.MatchExpressions) > 0 {
		return nil, fmt.Errorf("daemonset %s/%s: spec.selector.matchExpressions is not supported for a Canary target", target.Namespace, target.Name)
	}
	selector := target.Spec.Selector.MatchLabels
	primary := &appsv1.DaemonSet{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        PrimaryName(target.Name),
			Namespace:   target.Namespace,
			Labels:      primaryLabels(target.Labels, selector),
			Annotations: map[string]string{RevisionAnnotation: revision},
		},
		Spec: *target.Spec.DeepCopy(),
	}
	if commit != "" {
		primary.Annotations[CommitAnnotation] = commit
	}
	primary.Spec.Selector = &metav1.LabelSelector{MatchLabels: primaryLabels(selector, selector)}
	primary.Spec.Template.Labels = primaryLabels(target.Spec.Template.Labels, selector)
	primary.Spec.Template.Annotations = maps.Clone(primary.Spec.Template.Annotations)
	if primary.Spec.Template.Annotations == nil {
		primary.Spec.Template.Annotations = map[string]string{}
	}
	primary.Spec.Template.Annotations[RevisionAnnotation] = revision
	primary.Spec.Template.Spec.NodeSelector = withoutScaleDown(primary.Spec.Template.Spec.NodeSelector)
	usePrimaryConfigs(&primary.Spec.Template.Spec, tracked)
	return primary, nil
}

// ScaledDownDaemonSet returns a copy of the rendered target whose pods
// match no node (see ScaleDownNodeSelector): the canary DaemonSet at rest.
func ScaledDownDaemonSet(target *appsv1.DaemonSet) *appsv1.DaemonSet {
	scaled := target.DeepCopy()
	scaled.Spec.Template.Spec.NodeSelector = maps.Clone(scaled.Spec.Template.Spec.NodeSelector)
	if scaled.Spec.Template.Spec.NodeSelector == nil {
		scaled.Spec.Template.Spec.NodeSelector = map[string]string{}
	}
	scaled.Spec.Template.Spec.NodeSelector[ScaleDownNodeSelector] = "true"
	return scaled
}

// withoutScaleDown returns the node selector without the scale-down label;
// nil when nothing else is left.
func withoutScaleDown(selector map[string]string) map[string]string {
	out := maps.Clone(selector)
	delete(out, ScaleDownNodeSelector)
	if len(out) == 0 {
		return nil
	}
	return out
}

// ScaleDaemonSet scales a DaemonSet up (its pods on every node its own
// nodeSelector allows) or down (on none: ScaleDownNodeSelector), leaving
// the rest of its pod template as it is. It writes nothing when the
// DaemonSet is already so, so it is idempotent. A missing DaemonSet is an
// error that satisfies apierrors.IsNotFound once unwrapped.
func (a *Applier) ScaleDaemonSet(ctx context.Context, key client.ObjectKey, up bool) (Changes, error) {
	var ds appsv1.DaemonSet
	if err := a.client.Get(ctx, key, &ds); err != nil {
		return nil, fmt.Errorf("applier: scale daemonset %s: %w", key, err)
	}
	subject := "DaemonSet/" + key.Namespace + "/" + key.Name
	if DaemonSetScaledUp(&ds) == up {
		return Changes{{Subject: subject, Action: Unchanged}}, nil
	}
	patch := client.MergeFrom(ds.DeepCopy())
	if up {
		ds.Spec.Template.Spec.NodeSelector = withoutScaleDown(ds.Spec.Template.Spec.NodeSelector)
	} else {
		ds.Spec.Template.Spec.NodeSelector = ScaledDownDaemonSet(&ds).Spec.Template.Spec.NodeSelector
	}
	if err := a.client.Patch(ctx, &ds, patch, client.FieldOwner(FieldManager)); err != nil {
		return nil, fmt.Errorf("applier: scale daemonset %s: %w", key, err)
	}
	return Changes{{Subject: subject, Action: Configured}}, nil
}

// DaemonSetScaledUp reports whether a DaemonSet's pods may run on nodes:
// its nodeSelector lacks ScaleDownNodeSelector.
func DaemonSetScaledUp(ds *appsv1.DaemonSet) bool {
	_, down := ds.Spec.Template.Spec.NodeSelector[ScaleDownNodeSelector]
	return !down
}

// DaemonSetReadyAt returns nil when the DaemonSet's controller has seen
// its latest spec, every node that should run its pod runs the updated one,
// and at least threshold percent of those are available (rounded up), a
// *NotReadyError while the rollout goes on, and another error when the
// DaemonSet cannot be read. A scaled-down DaemonSet, which should run on
// no node, is ready. A threshold outside 1..100 means 100.
func (a *Applier) DaemonSetReadyAt(ctx context.Context, key client.ObjectKey, threshold int32) error {
	var ds appsv1.DaemonSet
	if err := a.client.Get(ctx, key, &ds); err != nil {
		return fmt.Errorf("applier: read daemonset %s: %w", key, err)
	}
	if reason := daemonSetRolloutPending(&ds, threshold); reason != "" {
		return &NotReadyError{Name: key.Name, Namespace: key.Namespace, Reason: reason}
	}
	return nil
}

// daemonSetRolloutPending returns why the DaemonSet's rollout is not
// finished, in Flagger's words, or "" when it is.
func daemonSetRolloutPending(ds *appsv1.DaemonSet, threshold int32) string {
	st := ds.Status
	switch {
	case st.ObservedGeneration < ds.Generation:
		return "waiting for rollout to finish: observed daemonset generation less than desired generation"
	case st.UpdatedNumberScheduled < st.DesiredNumberScheduled:
		return fmt.Sprintf("waiting for rollout to finish: %d out of %d new pods have been updated", st.UpdatedNumberScheduled, st.DesiredNumberScheduled)
	case st.NumberAvailable < availableNeeded(st.DesiredNumberScheduled, threshold):
		return fmt.Sprintf("waiting for rollout to finish: %d of %d updated pods are available", st.NumberAvailable, st.DesiredNumberScheduled)
	}
	return ""
}
