package reconciler

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/analysis"
	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

// providerKubernetes is blue/green: its router switches all the traffic at
// once, so a split goes to the side with the larger weight.
const providerKubernetes = "kubernetes"

// ErrCannotRestorePrimary is returned for a rollback that happens
// after the primary's template was replaced (a failure while Promoting)
// when the Source cannot check out the last promoted commit to render it
// again (gitsync.Repository can).
var ErrCannotRestorePrimary = errors.New("restore primary: not possible with this source")

// carryOut carries out the actions of a rollout decision in order; the
// first that fails stops the rest, with a Warning event naming it. It
// returns the target the primary was made from when an action replaced the
// primary's template (nil otherwise), for the status's trackedConfigs.
func (r *Reconciler) carryOut(ctx context.Context, live, canary *v1alpha1.Canary, target manifests.Target, actions []planner.Action) (*manifests.Target, error) {
	var primary *manifests.Target
	for _, action := range actions {
		changes, made, err := r.act(ctx, live, canary, target, action)
		logChanges(r, changes)
		if err != nil {
			err = fmt.Errorf("canary %s/%s: %s: %w", canary.Namespace, canary.Name, action, err)
			r.events.record(ctx, live, corev1.EventTypeWarning, "Synced", err.Error())
			return primary, err
		}
		if made != nil {
			primary = made
		}
	}
	return primary, nil
}

// act carries out one action and returns what it wrote and, for an action
// that makes the primary, the target it was made from.
func (r *Reconciler) act(ctx context.Context, live, canary *v1alpha1.Canary, target manifests.Target, action planner.Action) (applier.Changes, *manifests.Target, error) {
	key := client.ObjectKey{Namespace: canary.Namespace, Name: target.Deployment.Name}
	var changes applier.Changes
	var err error
	switch a := action.(type) {
	case planner.ApplyCanary:
		changes, err = r.applyCanary(ctx, target, a)
	case planner.ScaleUpCanary:
		changes, err = r.scaleUpCanary(ctx, target)
	case planner.ScaleDownCanary:
		// A canary deleted by hand counts as scaled down: a rollback
		// must not wait forever for a Deployment that is not there.
		changes, err = r.applier.ScaleWorkload(ctx, target.Kind(), key, 0)
		if apierrors.IsNotFound(errors.Unwrap(err)) {
			changes, err = nil, nil
		}
	case planner.SetWeights:
		changes, err = r.setWeights(ctx, canary, a)
	case planner.PromoteToPrimary:
		changes, err = r.promoteToPrimary(ctx, canary, target, a)
		return changes, &target, err
	case planner.RestorePrimary:
		return r.restorePrimary(ctx, canary, a)
	case planner.RecordFailure:
		changes, err = r.applier.RecordWorkloadFailure(ctx, target.Kind(), client.ObjectKey{Namespace: canary.Namespace, Name: applier.PrimaryName(target.Deployment.Name)}, a.Revision, a.Commit, a.Reason)
	case planner.CallWebhooks:
		r.callWebhooks(ctx, live, canary, target, a.Type)
	default:
		err = fmt.Errorf("unknown action %T", action)
	}
	return changes, nil, err
}

// applyCanary applies the rendered target to the canary Deployment with
// the replicas it runs now: scaling is ScaleUpCanary's and
// ScaleDownCanary's business (an aborted rollout applies the primary's
// revision to a canary it just scaled down).
func (r *Reconciler) applyCanary(ctx context.Context, target manifests.Target, a planner.ApplyCanary) (applier.Changes, error) {
	if a.Revision != target.Revision {
		return nil, fmt.Errorf("the rendering has revision %s, not %s", short(target.Revision), short(a.Revision))
	}
	key := client.ObjectKey{Namespace: target.Deployment.Namespace, Name: target.Deployment.Name}
	replicas, err := r.applier.WorkloadReplicas(ctx, target.Kind(), key)
	switch {
	case apierrors.IsNotFound(errors.Unwrap(err)):
		replicas = 0
	case err != nil:
		return nil, err
	}
	objs, err := applier.ToUnstructured(canaryApplied(target, replicas))
	if err != nil {
		return nil, err
	}
	return r.applier.Apply(ctx, objs)
}

// scaleUpCanary scales the canary to the replicas Git gives the target, or
// to the primary's when Git leaves them unset; a target with an autoscaler
// starts from its minReplicas when Git sets none (applier.CanaryReplicas),
// and the autoscaler scales it from there.
func (r *Reconciler) scaleUpCanary(ctx context.Context, target manifests.Target) (applier.Changes, error) {
	key := client.ObjectKey{Namespace: target.Deployment.Namespace, Name: target.Deployment.Name}
	if target.DaemonSet != nil {
		return r.applier.ScaleDaemonSet(ctx, key, true)
	}
	if target.Autoscaler != nil {
		return r.applier.Scale(ctx, key, applier.CanaryReplicas(target.Deployment, target.Autoscaler))
	}
	if target.Deployment.Spec.Replicas != nil {
		return r.applier.Scale(ctx, key, *target.Deployment.Spec.Replicas)
	}
	replicas, err := r.applier.Replicas(ctx, client.ObjectKey{Namespace: key.Namespace, Name: applier.PrimaryName(key.Name)})
	if err != nil {
		return nil, err
	}
	return r.applier.Scale(ctx, key, replicas)
}

// setWeights routes the split through the Canary's router, mirroring
// when it says so. The planner already made a blue/green split
// all-or-nothing, and mirrors with all the traffic on the primary.
func (r *Reconciler) setWeights(ctx context.Context, canary *v1alpha1.Canary, w planner.SetWeights) (applier.Changes, error) {
	router, err := r.applier.Router(canary.Spec.Provider)
	if err != nil {
		return nil, err
	}
	if w.Mirror {
		return router.Mirror(ctx, canary)
	}
	return router.SetWeights(ctx, canary, w.Primary, w.Canary)
}

// promoteToPrimary applies the primary derived from the rendered target,
// which the analysis ran on the canary, with the -primary copies of its
// configs first. A primary that an autoscaler scales keeps the replicas
// it runs: the promotion copies the pod template, not the count.
func (r *Reconciler) promoteToPrimary(ctx context.Context, canary *v1alpha1.Canary, target manifests.Target, a planner.PromoteToPrimary) (applier.Changes, error) {
	if a.Revision != target.Revision {
		return nil, fmt.Errorf("the rendering has revision %s, not %s", short(target.Revision), short(a.Revision))
	}
	var live *int32
	if target.Autoscaler != nil {
		var err error
		if live, err = r.primaryReplicas(ctx, target); err != nil {
			return nil, err
		}
	}
	objs, err := primaryObjects(target, a.Commit, scaledReplicas(canary, target, live))
	if err != nil {
		return nil, err
	}
	return r.applier.Apply(ctx, objs)
}

// callWebhooks calls the Canary's webhooks of one type and records their
// results; they change no decision.
func (r *Reconciler) callWebhooks(ctx context.Context, live, canary *v1alpha1.Canary, target manifests.Target, hookType string) {
	results := r.callHooks(ctx, canary, hookType, live.Status.Phase, target.Revision)
	for _, msg := range planner.PostRolloutMessages(results) {
		r.recordMessage(ctx, live, msg)
	}
}

// callHooks calls every webhook of canary of type hookType, in the spec's
// order, and returns their results for the planner.
func (r *Reconciler) callHooks(ctx context.Context, canary *v1alpha1.Canary, hookType string, phase v1alpha1.CanaryPhase, checksum string) []planner.WebhookResult {
	var results []planner.WebhookResult
	for _, hook := range analysis.HooksOfType(canary, hookType) {
		if r.webhooks == nil {
			results = append(results, planner.WebhookResult{Name: hook.Name, Type: hookType, Message: "not called: " + r.webhooksErr.Error()})
			continue
		}
		res := r.webhooks.Call(ctx, canary, hook, phase, checksum)
		results = append(results, planner.WebhookResult{Name: res.Name, Type: res.Type, Passed: res.Passed, Message: res.Message, Answer: res.Answer})
	}
	return results
}
