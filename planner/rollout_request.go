package planner

import (
	"cmp"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// ConditionPaused is the condition DecideRollout keeps on a Canary that
// `sluice pause` paused: True while it is, False with reason Resumed once
// `sluice resume` (or a promote or an abort) ended the pause. A Canary
// never paused has none.
const ConditionPaused = "Paused"

// manual carries out the manual request of the observation, if any, and
// reports whether the decision ends there: the Canary is paused, or the
// request took the step (an abort rolled back, a promote began the
// promotion). A request is handled once it was carried out or found with
// nothing to do (the decision says so: RequestHandled); one that waits
// (a promote while the canary is not ready yet) stays.
//
// Carrying a request out twice is harmless (a restart between the status
// write and the clearing of the request): the second time finds its work
// done — the Canary already paused, the rollback or the promotion already
// under way — and does nothing but clear it.
func (r *rollout) manual() bool {
	req := r.obs.Request
	if req == nil {
		return r.paused()
	}
	by := cmp.Or(req.By, "an unknown user")
	switch req.Action {
	case v1alpha1.RequestPause:
		r.requestHandled = true
		if !r.paused() {
			r.warn("Canary %s paused by %s: no rollout steps until sluice resume", r.canaryID, by)
			r.setPaused(metav1.ConditionTrue, "Paused", "paused by "+by+": no rollout step until sluice resume.")
			if r.analysing() {
				r.report(r.st.LastAppliedCommit, CommitPending, "paused by %s at %s", by, r.progress())
			}
		}
		r.requeue = r.poll()
		return true
	case v1alpha1.RequestResume:
		r.requestHandled = true
		if !r.paused() {
			r.info("Canary %s is not paused: resume by %s has nothing to do", r.canaryID, by)
			return false
		}
		r.resume("resumed by " + by)
		return false
	case v1alpha1.RequestAbort:
		return r.abortRequested(by)
	case v1alpha1.RequestPromote:
		return r.promoteRequested(by)
	default:
		r.requestHandled = true
		r.warn("Canary %s: request %q by %s is unknown and ignored: want promote, abort, pause or resume", r.canaryID, req.Action, by)
		return r.paused()
	}
}

// abortRequested rolls back an analysis or a promotion in flight, for the
// reason "aborted by <user>"; with none in flight there is nothing to
// abort. Once the primary took all the traffic (Finalising), it is too
// late: the promotion ends.
func (r *rollout) abortRequested(by string) bool {
	r.requestHandled = true
	if !r.analysing() && r.st.Phase != v1alpha1.PhasePromoting {
		r.info("Canary %s has no analysis in flight: abort by %s has nothing to do", r.canaryID, by)
		return r.paused()
	}
	r.unpause("aborted by " + by)
	r.warn("Rolling back %s aborted by %s", r.canaryID, by)
	r.rollback("aborted by " + by)
	return true
}

// promoteRequested skips the rest of an analysis in flight and promotes,
// once the canary is ready (the request waits until it is, the progress
// deadline counting as usual); without an analysis in flight there is
// nothing to promote.
func (r *rollout) promoteRequested(by string) bool {
	if !r.analysing() {
		r.requestHandled = true
		r.info("Canary %s has no analysis in flight: promote by %s has nothing to do", r.canaryID, by)
		return r.paused()
	}
	r.unpause("promoted by " + by)
	if r.obs.Revision != r.st.LastAppliedRevision {
		// Git moved on: the revision under analysis is not the one to
		// promote; the usual decision restarts or stops the analysis.
		r.requestHandled = true
		r.info("Canary %s: promote by %s dropped: Git asks for another revision than the one under analysis", r.canaryID, by)
		return false
	}
	defer r.keepWeights()
	if !r.ready(true) {
		return true
	}
	r.requestHandled = true
	r.info("Promotion of %s requested by %s: skipping the rest of the analysis", r.canaryID, by)
	r.promoteCanary()
	return true
}

// paused reports whether `sluice pause` holds the Canary. A paused Canary
// decides nothing — no weight change, no check, no promotion — but to look
// again a poll interval later for a request.
func (r *rollout) paused() bool {
	if !meta.IsStatusConditionTrue(r.st.Conditions, ConditionPaused) {
		return false
	}
	r.requeue = r.poll()
	return true
}

// unpause ends a pause, if any, for a request that acts.
func (r *rollout) unpause(why string) {
	if meta.IsStatusConditionTrue(r.st.Conditions, ConditionPaused) {
		r.resume(why)
	}
}

// resume ends a pause: the rollout goes on where it stood, but for a wait
// on a Deployment, which starts again (the time paused is no part of the
// progress deadline).
func (r *rollout) resume(why string) {
	r.info("Canary %s %s", r.canaryID, why)
	r.setPaused(metav1.ConditionFalse, "Resumed", why+": the rollout goes on where it stopped.")
	r.st.NotReadySince = nil
	r.requeue = 0
}

func (r *rollout) setPaused(status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&r.st.Conditions, metav1.Condition{
		Type: ConditionPaused, Status: status, Reason: reason, Message: message,
		LastTransitionTime: metav1.NewTime(r.obs.Now), ObservedGeneration: r.st.ObservedGeneration,
	})
}
