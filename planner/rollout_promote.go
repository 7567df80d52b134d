package planner

import (
	"github.com/sluicehq/sluice/api/v1alpha1"
)

// promoteCanary copies the canary to the primary: phase Promoting.
func (r *rollout) promoteCanary() {
	r.info("Copying %s template spec to %s", r.targetID, r.primaryID)
	r.do(PromoteToPrimary{Revision: r.st.LastAppliedRevision, Commit: r.st.LastAppliedCommit})
	r.st.NotReadySince = nil
	r.setPhase(v1alpha1.PhasePromoting)
	r.report(r.st.LastAppliedCommit, CommitPending, "promoting: copying the canary to %s", r.primaryID)
	r.requeue = r.poll()
}

// promote waits for the primary to run the promoted revision, then routes
// all traffic to it: phase Finalising; with stepWeightPromotion, it moves
// the traffic over in steps instead (shiftToPrimary). A primary that does
// not record the revision yet gets the copy again: the phase was saved
// before the copy, which a crash may have cut short, and the copy is
// idempotent.
func (r *rollout) promote() {
	if r.obs.PrimaryRevision != "" && r.obs.PrimaryRevision != r.st.LastAppliedRevision {
		r.info("Copying %s template spec to %s", r.targetID, r.primaryID)
		r.do(PromoteToPrimary{Revision: r.st.LastAppliedRevision, Commit: r.st.LastAppliedCommit})
		r.requeue = r.poll()
		return
	}
	if !r.ready(false) {
		return
	}
	r.st.NotReadySince = nil
	if r.gradual() {
		r.shiftToPrimary()
		return
	}
	r.info("Routing all traffic to primary")
	r.do(SetWeights{Primary: 100})
	r.st.CanaryWeight = 0
	r.setPhase(v1alpha1.PhaseFinalising)
	r.requeue = r.poll()
}

// gradual reports whether the promotion moves the traffic to the primary
// in steps: with stepWeightPromotion, while the canary has traffic to give
// back. A blue/green switch (provider kubernetes) and an analysis by
// iterations leave the canary none, and switch at once.
func (r *rollout) gradual() bool {
	return r.obs.Spec.Analysis.StepWeightPromotion > 0 && r.st.CanaryWeight > 0 &&
		r.obs.Spec.Provider != v1alpha1.ProviderKubernetes
}

// shiftToPrimary moves stepWeightPromotion percent of the traffic from the
// canary to the primary, as Flagger does ("Advance detail.flagger primary
// weight 30"), one interval after the step before (the first one an
// interval after the analysis step that promoted). Once the primary has
// all of it: phase Finalising. Between shifts, a route that drifted from
// the status is set back.
func (r *rollout) shiftToPrimary() {
	split := Weights{Primary: 100 - r.st.CanaryWeight, Canary: r.st.CanaryWeight}
	if !r.due() {
		if w := r.obs.Weights; w != nil && *w != split {
			r.do(SetWeights(split))
		}
		r.requeue = r.untilDue()
		return
	}
	canary := max(r.st.CanaryWeight-r.obs.Spec.Analysis.StepWeightPromotion, 0)
	r.st.CanaryWeight, r.st.LastStepTime = canary, r.now()
	r.do(SetWeights{Primary: 100 - canary, Canary: canary})
	r.info("Advance %s primary weight %d", r.canaryID, 100-canary)
	if canary > 0 {
		r.report(r.st.LastAppliedCommit, CommitPending, "promoting: primary weight %d%%", 100-canary)
		r.requeue = r.interval
		return
	}
	r.setPhase(v1alpha1.PhaseFinalising)
	r.requeue = r.poll()
}

// finalise scales the canary down once the route reads all-primary, and
// records the promotion: phase Succeeded.
func (r *rollout) finalise() {
	if w := r.obs.Weights; w != nil && (w.Canary != 0 || w.Mirror) {
		r.do(SetWeights{Primary: 100})
		r.requeue = r.poll()
		return
	}
	r.do(ScaleDownCanary{})
	r.callPostRollout()
	st := &r.st
	st.LastPromotedRevision, st.LastPromotedCommit = st.LastAppliedRevision, st.LastAppliedCommit
	st.LastStepTime, st.NotReadySince, st.AnalysisErrors = nil, nil, 0
	r.setPhase(v1alpha1.PhaseSucceeded)
	r.info("Promotion completed! Scaling down %s", r.targetID)
	r.report(st.LastAppliedCommit, CommitSuccess, "promoted to %s", r.primaryID)
	r.requeueIfGitMovedOn()
}

// rollback routes all traffic to the primary, puts the primary back on the
// last promoted revision if the promotion had begun, and scales the canary
// down: phase Failed. reason is the commit status's description; the
// caller says why in a message first.
func (r *rollout) rollback(reason string) {
	r.do(RecordFailure{Revision: r.st.LastAppliedRevision, Commit: r.st.LastAppliedCommit, Reason: reason})
	if r.st.Phase == v1alpha1.PhasePromoting {
		r.do(RestorePrimary{Revision: r.st.LastPromotedRevision, Commit: r.st.LastPromotedCommit})
	}
	r.do(SetWeights{Primary: 100}, ScaleDownCanary{})
	r.callPostRollout()
	r.warn("Canary failed! Scaling down %s", r.targetID)
	st := &r.st
	st.FailedWeight, st.FailureReason = st.CanaryWeight, reason
	st.CanaryWeight, st.LastFailedRevision, st.LastFailedCommit = 0, st.LastAppliedRevision, st.LastAppliedCommit
	st.LastStepTime, st.NotReadySince = nil, nil
	r.setPhase(v1alpha1.PhaseFailed)
	r.report(st.LastAppliedCommit, CommitFailure, "%s — rolled back", reason)
	r.requeueIfGitMovedOn()
}

// callPostRollout calls the post-rollout webhooks, if any.
func (r *rollout) callPostRollout() {
	if len(r.hooks(v1alpha1.WebhookPostRollout)) > 0 {
		r.do(CallWebhooks{Type: v1alpha1.WebhookPostRollout})
	}
}

// requeueIfGitMovedOn asks to be called again soon when Git already asks
// for another revision than the one that just finished; otherwise nothing
// is scheduled.
func (r *rollout) requeueIfGitMovedOn() {
	r.requeue = 0
	if r.obs.Revision != r.st.LastAppliedRevision {
		r.requeue = r.poll()
	}
}
