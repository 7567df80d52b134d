package reconciler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

// rollouts takes the next rollout step of every Canary that the sync did
// not install, but those whose revision this sync found pending: one in
// flight goes on, a settled one is repaired where the cluster differs
// from its state (planner: repair). A revision that this sync found pending starts at
// the next step, which it plans at once: a sync records what Git asks
// for before anything rolls out. Each Canary's next step goes on the
// schedule (see Step); rollouts returns the soonest. The error of one
// Canary does not stop the others.
func (r *Reconciler) rollouts(ctx context.Context, rendering *manifests.Rendering, observations []planner.SyncObservation, decisions []planner.SyncDecision, commit string) (time.Duration, error) {
	r.schedule.rendering, r.schedule.commit = rendering, commit
	planned := maps.Clone(r.schedule.next)
	clear(r.schedule.next)
	r.forgetRepairsBut(rendering)
	var errs []error
	for i, canary := range rendering.Canaries {
		key := types.NamespacedName{Namespace: canary.Namespace, Name: canary.Name}
		if decisions[i].Install {
			continue
		}
		before := observations[i].Status.Phase
		if before != v1alpha1.PhaseWaiting && !planner.RolloutOwns(before) && decisions[i].Status.Phase == v1alpha1.PhaseWaiting {
			r.schedule.plan(key, r.opts.Now(), settleInterval)
			continue
		}
		// A settled Canary takes a step too: it repairs what the cluster
		// does not have as its state says (a route, a canary left scaled
		// up, a primary cut short by a crash), and does nothing else.
		if r.async != nil {
			// Run takes the step on a goroutine of its own, unless one is
			// in flight (it plans the next itself): when it is due.
			if !r.async.inflight[key] {
				now := r.opts.Now()
				r.schedule.plan(key, now, r.dueIn(key, planned, observations[i], decisions[i], now))
			}
			continue
		}
		after, err := r.rollout(ctx, canary, rendering.Targets[i], commit)
		errs = append(errs, err)
		r.schedule.plan(key, r.opts.Now(), after)
	}
	return r.untilNextStep(), errors.Join(errs...)
}

// repairInterval is how often Run takes a step of a settled Canary whose
// sync changed nothing: a repair of what the cluster lost (a canary left
// scaled up, a primary cut short by a crash). The routes are made to
// match at every sync regardless.
func (r *Reconciler) repairInterval() time.Duration { return max(r.opts.Interval, time.Minute) }

// dueIn is how soon Run steps a Canary after a sync. A sync that changed
// the Canary's state steps it at once, as does a rollout that waits for a
// Deployment or has no step planned; an analysis keeps the cadence its last
// step planned (a sync every poll interval does not step a thousand
// Canaries whose analysis waits); a settled Canary is repaired once per
// repairInterval.
func (r *Reconciler) dueIn(key types.NamespacedName, planned map[types.NamespacedName]time.Time, obs planner.SyncObservation, decision planner.SyncDecision, now time.Time) time.Duration {
	const atOnce = time.Nanosecond
	if syncMoved(obs.Status, decision.Status) {
		return atOnce
	}
	if at, ok := planned[key]; ok && waitsForItsInterval(decision.Status) {
		return max(at.Sub(now), atOnce)
	}
	switch decision.Status.Phase {
	case v1alpha1.PhaseInitialized, v1alpha1.PhaseSucceeded, v1alpha1.PhaseFailed:
	default:
		return atOnce // on its way somewhere, with no step planned
	}
	if last, ok := r.repairs[key]; ok && now.Before(last.Add(r.repairInterval())) {
		next := last.Add(r.repairInterval())
		r.repairs[key] = next
		return next.Sub(now)
	}
	r.repairs[key] = now
	return atOnce
}

// waitsForItsInterval reports whether a Canary is in an analysis that
// waits for its next step, which its last step planned; one that waits
// for a Deployment (scaling up, promoting, finalising) is stepped by every
// sync too, as its own poll (planner.PollInterval) is coarser.
func waitsForItsInterval(st v1alpha1.CanaryStatus) bool {
	switch st.Phase {
	case v1alpha1.PhaseProgressing, v1alpha1.PhaseWaitingPromotion:
		return st.NotReadySince == nil && st.LastStepTime != nil
	}
	return false
}

// syncMoved reports whether a sync changed what a Canary's rollout goes
// by: its phase, the revision and commit applied or pending, its weight.
func syncMoved(before, after v1alpha1.CanaryStatus) bool {
	return before.Phase != after.Phase || before.LastAppliedRevision != after.LastAppliedRevision ||
		before.LastAppliedCommit != after.LastAppliedCommit || before.PendingRevision != after.PendingRevision ||
		before.PendingCommit != after.PendingCommit || before.CanaryWeight != after.CanaryWeight ||
		before.LastPromotedRevision != after.LastPromotedRevision || before.LastFailedRevision != after.LastFailedRevision
}

// forgetRepairsBut drops the repair times of Canaries that left the
// rendering.
func (r *Reconciler) forgetRepairsBut(rendering *manifests.Rendering) {
	if len(r.repairs) == 0 {
		return
	}
	in := make(map[types.NamespacedName]bool, len(rendering.Canaries))
	for _, canary := range rendering.Canaries {
		in[client.ObjectKeyFromObject(canary)] = true
	}
	maps.DeleteFunc(r.repairs, func(key types.NamespacedName, _ time.Time) bool { return !in[key] })
}

// rollout is one step of one Canary's rollout:
// observe → plan (→ check → plan again) → act → persist.
// A failed action stops the step before its status is persisted, so the
// next step decides again from the live state (every action but webhook
// calls is idempotent).
func (r *Reconciler) rollout(ctx context.Context, canary *v1alpha1.Canary, target manifests.Target, commit string) (time.Duration, error) {
	// Observe: the live status, readiness and route weights.
	live, obs, err := r.observeRollout(ctx, canary, target, commit)
	if err != nil {
		return 0, err
	}

	// Plan: pure; a step whose checks are due asks for them first.
	decision := planner.DecideRollout(obs)
	if checks, ok := checksAsked(decision); ok {
		obs.Checks = r.runChecks(ctx, live, canary, obs, checks)
		obs.Now = r.opts.Now()
		decision = planner.DecideRollout(obs)
	}

	// Persist first when the decision promotes or rolls back: its phase
	// (and its commit statuses, as undelivered) are saved before the
	// primary, the route or the canary is touched, so that a crash between
	// the two is finished from the saved state (planner: promote, repair).
	intent := savesIntent(decision)
	if intent {
		decision.Status.UndeliveredStatuses = appendUndelivered(live.Status.UndeliveredStatuses, decision.CommitStatuses)
		if err := r.fault(faultBeforeIntent); err != nil {
			return 0, err
		}
		if err := r.persistRollout(ctx, canary, decision); err != nil {
			return 0, err
		}
		if err := r.fault(faultAfterIntent); err != nil {
			return 0, err
		}
	}

	// Act: the actions in order; the first failure stops the step. The
	// status records the configs a replaced primary reads.
	primary, err := r.carryOut(ctx, live, canary, target, decision.Actions)
	if err != nil {
		return planner.PollInterval, err
	}
	if primary != nil {
		decision.Status.TrackedConfigs = trackedHashes(*primary)
	}
	if err := r.fault(faultAfterActs); err != nil {
		return 0, err
	}

	// Write back the commit statuses; those the forge did not take are
	// persisted with the status, to go first next time.
	if intent {
		decision.Status.UndeliveredStatuses = r.deliver(ctx, canary, decision.Status, decision.Status.UndeliveredStatuses, nil)
		decision.Messages = nil // recorded with the intent
	} else {
		decision.Status.UndeliveredStatuses = r.deliver(ctx, canary, decision.Status, live.Status.UndeliveredStatuses, decision.CommitStatuses)
	}

	// Persist: the status, then its messages. A manual request handled is
	// cleared once its outcome is saved: a crash in between carries it out
	// again, which finds its work done (planner: manual).
	if err := r.persistRollout(ctx, canary, decision); err != nil || !decision.RequestHandled {
		return decision.RequeueAfter, err
	}
	return decision.RequeueAfter, r.clearRequest(ctx, canary, live.Annotations)
}

// savesIntent reports whether a decision must be persisted before it is
// carried out: one that copies the canary to the primary or rolls back.
func savesIntent(decision planner.RolloutDecision) bool {
	for _, action := range decision.Actions {
		switch action.(type) {
		case planner.PromoteToPrimary, planner.RecordFailure:
			return true
		}
	}
	return false
}

// appendUndelivered queues fresh commit statuses after the undelivered
// ones, as deliver does.
func appendUndelivered(undelivered []v1alpha1.CommitStatusRecord, fresh []planner.CommitStatus) []v1alpha1.CommitStatusRecord {
	queue := slices.Clone(undelivered)
	for _, st := range fresh {
		queue = append(queue, statusRecord(st))
	}
	return queue
}

// observeRollout reads what DecideRollout needs about canary: its live
// status, the readiness of its canary and primary Deployments and the
// weights its router routes. It returns the live Canary, for events.
func (r *Reconciler) observeRollout(ctx context.Context, canary *v1alpha1.Canary, target manifests.Target, commit string) (*v1alpha1.Canary, planner.RolloutObservation, error) {
	var live v1alpha1.Canary
	if err := r.client.Get(ctx, client.ObjectKeyFromObject(canary), &live); err != nil {
		return nil, planner.RolloutObservation{}, fmt.Errorf("canary %s/%s: read: %w", canary.Namespace, canary.Name, err)
	}
	obs := planner.RolloutObservation{
		Name: canary.Name, Namespace: canary.Namespace,
		Spec: canary.Spec, Status: live.Status,
		Revision: target.Revision, Commit: commit,
		Request: manualRequest(&live),
		Now:     r.opts.Now(),
	}
	name, kind := target.Deployment.Name, target.Kind()
	thresholds := canary.Spec.Analysis
	var err error
	if obs.CanaryReady, obs.CanaryNotReady, err = r.ready(ctx, kind, canary.Namespace, name, thresholds.CanaryReadyThreshold); err != nil {
		return nil, obs, err
	}
	if obs.PrimaryReady, obs.PrimaryNotReady, err = r.ready(ctx, kind, canary.Namespace, applier.PrimaryName(name), thresholds.PrimaryReadyThreshold); err != nil {
		return nil, obs, err
	}
	record, err := r.applier.ReadWorkloadRecord(ctx, kind, client.ObjectKey{Namespace: canary.Namespace, Name: applier.PrimaryName(name)})
	if err != nil {
		return nil, obs, err
	}
	obs.PrimaryRevision, obs.PrimaryFailedRevision, obs.PrimaryMissing = record.Revision, record.FailedRevision, !record.Exists
	replicas, err := r.applier.WorkloadReplicas(ctx, kind, client.ObjectKey{Namespace: canary.Namespace, Name: name})
	switch {
	case err == nil:
		obs.CanaryReplicas = &replicas
	case !apierrors.IsNotFound(errors.Unwrap(err)):
		return nil, obs, err
	}
	obs.Weights, err = r.weights(ctx, canary)
	return &live, obs, err
}

// ready reports whether a Deployment has rolled out, with threshold
// percent of its replicas available (nil means all of them), and, when it
// has not, the applier's reason in Flagger's words. A missing one is not
// ready.
func (r *Reconciler) ready(ctx context.Context, kind, namespace, name string, threshold *int32) (bool, string, error) {
	err := r.applier.WorkloadReadyAt(ctx, kind, client.ObjectKey{Namespace: namespace, Name: name}, readyThreshold(threshold))
	var notReady *applier.NotReadyError
	switch {
	case err == nil:
		return true, "", nil
	case errors.As(err, &notReady):
		return false, notReady.Error(), nil
	case apierrors.IsNotFound(errors.Unwrap(err)):
		return false, fmt.Sprintf("%s.%s not ready: not found", name, namespace), nil
	default:
		return false, "", err
	}
}

// readyThreshold is a Canary's primaryReadyThreshold or
// canaryReadyThreshold as the applier takes it: nil is 100 percent.
func readyThreshold(threshold *int32) int32 {
	if threshold == nil {
		return 100
	}
	return *threshold
}

// weights reads the split the Canary's router routes, and with
// analysis.mirror whether it copies requests to the canary; nil when the
// routing objects do not exist yet, and for provider kubernetes, whose
// blue/green switch has no weights to compare with the status's.
func (r *Reconciler) weights(ctx context.Context, canary *v1alpha1.Canary) (*planner.Weights, error) {
	if canary.Spec.Provider == providerKubernetes {
		return nil, nil
	}
	router, err := r.applier.Router(canary.Spec.Provider)
	if err != nil {
		return nil, err
	}
	primary, canaryWeight, err := router.Weights(ctx, canary)
	switch {
	case apierrors.IsNotFound(err) || apierrors.IsNotFound(errors.Unwrap(err)):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("canary %s/%s: read weights: %w", canary.Namespace, canary.Name, err)
	}
	w := &planner.Weights{Primary: primary, Canary: canaryWeight}
	if canary.Spec.Analysis.Mirror {
		if w.Mirror, err = router.Mirrored(ctx, canary); err != nil {
			return nil, fmt.Errorf("canary %s/%s: read mirror: %w", canary.Namespace, canary.Name, err)
		}
	}
	return w, nil
}

// checksAsked returns the RunChecks action of a decision that asks for
// checks (it comes alone).
func checksAsked(decision planner.RolloutDecision) (planner.RunChecks, bool) {
	if len(decision.Actions) != 1 {
		return planner.RunChecks{}, false
	}
	checks, ok := decision.Actions[0].(planner.RunChecks)
	return checks, ok
}
