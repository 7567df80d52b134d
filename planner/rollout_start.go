package planner

import (
	"github.com/sluicehq/sluice/api/v1alpha1"
)

// idle decides for a Canary with no analysis in flight what the revision
// in Git means: the primary's (nothing to roll out), the last failed one
// (stays failed) or a new one (start).
func (r *rollout) idle() {
	switch r.obs.Revision {
	case r.st.LastPromotedRevision:
		r.withdraw()
		r.repair()
	case r.st.LastFailedRevision:
		r.stayFailed()
		r.repair()
	default:
		r.start()
	}
}

// repair puts back what no analysis in flight may leave: all the traffic
// on the primary, the canary scaled down, and the primary on the last
// promoted revision. A rollback or a promotion saves its phase before it
// acts, so a crash between the two, or a hand edit, leaves the cluster
// behind the status; this finishes the job from what the status says.
func (r *rollout) repair() {
	if w := r.obs.Weights; w != nil && (w.Primary != 100 || w.Canary != 0 || w.Mirror) {
		r.info("Routing all traffic to primary")
		r.do(SetWeights{Primary: 100})
	}
	if n := r.obs.CanaryReplicas; n != nil && *n > 0 {
		r.info("Scaling down %s: no analysis runs", r.targetID)
		r.do(ScaleDownCanary{})
	}
	if r.st.Phase == v1alpha1.PhaseFailed && r.st.LastFailedRevision != "" && r.obs.PrimaryRevision != "" &&
		r.obs.PrimaryFailedRevision != r.st.LastFailedRevision {
		r.do(RecordFailure{Revision: r.st.LastFailedRevision, Commit: r.st.LastFailedCommit, Reason: r.st.FailureReason})
	}
	restorable := r.st.LastPromotedCommit != "" && r.st.LastPromotedRevision != unrecordedRevision
	switch rev := r.obs.PrimaryRevision; {
	case !restorable:
	case r.obs.PrimaryMissing:
		r.warn("%s is missing: making it again from revision %s (commit %s)", r.primaryID, short(r.st.LastPromotedRevision), short(r.st.LastPromotedCommit))
		r.do(RestorePrimary{Revision: r.st.LastPromotedRevision, Commit: r.st.LastPromotedCommit})
	case rev != "" && rev != r.st.LastPromotedRevision:
		r.info("Restoring %s to revision %s: it runs %s", r.primaryID, short(r.st.LastPromotedRevision), short(rev))
		r.do(RestorePrimary{Revision: r.st.LastPromotedRevision, Commit: r.st.LastPromotedCommit})
	}
	if len(r.actions) > 0 && r.requeue == 0 {
		r.requeue = r.poll()
	}
}

// withdraw forgets a revision that waited to start (for the sync or for
// confirm-rollout) now that Git is back at the primary's.
func (r *rollout) withdraw() {
	if r.st.Phase != v1alpha1.PhaseWaiting && r.st.PendingRevision == "" {
		return
	}
	if r.st.PendingRevision != "" {
		r.info("Pending revision %s of %s withdrawn: Git is back at the revision the primary runs", short(r.st.PendingRevision), r.canaryID)
		r.report(r.st.PendingCommit, CommitError, "withdrawn: Git is back at revision %s, the one the primary runs", short(r.obs.Revision))
	}
	r.st.PendingRevision, r.st.PendingCommit, r.st.LastStepTime = "", "", nil
	if r.st.Phase == v1alpha1.PhaseWaiting {
		r.setPhase(v1alpha1.PhaseInitialized)
	}
}

// stayFailed keeps a revision that failed from starting again, whatever
// phase the sync recorded for it: a retry needs a new revision.
func (r *rollout) stayFailed() {
	r.st.PendingRevision, r.st.PendingCommit, r.st.LastStepTime = "", "", nil
	r.setPhase(v1alpha1.PhaseFailed)
}

// start applies a new revision to the canary and scales it up, once
// confirm-rollout approved it. The first analysis step is due an interval
// later, which gives the canary that long to become ready.
func (r *rollout) start() {
	if !r.confirmRollout() {
		return
	}
	r.info("New revision detected! Scaling up %s", r.targetID)
	r.do(ApplyCanary{Revision: r.obs.Revision, Commit: r.obs.Commit}, ScaleUpCanary{})
	r.begin()
}

// confirmRollout asks the confirm-rollout webhooks, once per interval, and
// reports whether they all approved. While one does not, the revision waits
// in phase Waiting.
func (r *rollout) confirmRollout() bool {
	hooks := r.hooks(v1alpha1.WebhookConfirmRollout)
	if len(hooks) == 0 {
		return true
	}
	if !r.due() {
		r.requeue = r.untilDue()
		return false
	}
	if r.obs.Checks == nil {
		r.asked = &RunChecks{Webhooks: []string{v1alpha1.WebhookConfirmRollout}}
		return false
	}
	asked := r.st.LastStepTime != nil
	if name, ok := r.gate(v1alpha1.WebhookConfirmRollout); !ok {
		if !asked {
			r.halt("waiting for approval " + name)
			r.report(r.obs.Commit, CommitPending, "waiting for approval (confirm-rollout webhook %s)", name)
		}
		r.st.LastStepTime = r.now()
		r.st.PendingRevision, r.st.PendingCommit = r.obs.Revision, r.obs.Commit
		r.setPhase(v1alpha1.PhaseWaiting)
		r.requeue = r.interval
		return false
	}
	if asked {
		for _, hook := range hooks {
			r.info("Confirm-rollout check %s passed", hook.Name)
		}
	}
	return true
}

// inFlight decides for an analysis in flight what the revision in Git
// means: its own (go on), the primary's or the last failed one (stop), or
// a newer one (restart).
func (r *rollout) inFlight() {
	switch r.obs.Revision {
	case r.st.LastAppliedRevision:
		r.analyse()
	case r.st.LastPromotedRevision:
		r.abort(v1alpha1.PhaseInitialized, "the one the primary runs")
	case r.st.LastFailedRevision:
		r.abort(v1alpha1.PhaseFailed, "which failed before")
	default:
		r.restart()
	}
}

// restart starts the analysis again, from weight 0, for a newer revision.
func (r *rollout) restart() {
	r.info("New revision detected! Restarting analysis for %s", r.targetID)
	if r.st.LastAppliedCommit != r.obs.Commit {
		r.superseded(r.st.LastAppliedCommit)
	}
	r.do(SetWeights{Primary: 100}, ApplyCanary{Revision: r.obs.Revision, Commit: r.obs.Commit}, ScaleUpCanary{})
	r.begin()
}

// begin resets the status for a rollout of the observed revision.
func (r *rollout) begin() {
	st := &r.st
	st.CanaryWeight, st.FailedChecks, st.Iterations, st.AnalysisErrors = 0, 0, 0, 0
	st.LastChecks = nil
	st.LastStepTime, st.NotReadySince = r.now(), nil
	st.PendingRevision, st.PendingCommit = "", ""
	r.setApplied()
	r.setPhase(v1alpha1.PhaseProgressing)
	r.requeue = r.interval
	if r.obs.Spec.SkipAnalysis {
		r.requeue = r.poll()
		r.report(r.obs.Commit, CommitPending, "promoting without analysis (skipAnalysis)")
		return
	}
	r.report(r.obs.Commit, CommitPending, "%s", r.progress())
}

// abort stops the analysis because Git went back to a revision that does
// not roll out, routes everything to the primary and puts that revision on
// the scaled-down canary. phase is where the Canary ends.
func (r *rollout) abort(phase v1alpha1.CanaryPhase, which string) {
	r.info("Stopping canary analysis for %s: Git is back at revision %s, %s", r.targetID, short(r.obs.Revision), which)
	r.report(r.st.LastAppliedCommit, CommitError, "withdrawn: Git is back at revision %s, %s", short(r.obs.Revision), which)
	r.do(SetWeights{Primary: 100}, ScaleDownCanary{}, ApplyCanary{Revision: r.obs.Revision, Commit: r.obs.Commit})
	st := &r.st
	st.CanaryWeight, st.FailedChecks, st.Iterations, st.AnalysisErrors = 0, 0, 0, 0
	// The checks were those of the stopped rollout, not of the revision
	// now on the canary.
	st.LastChecks = nil
	st.LastStepTime, st.NotReadySince = nil, nil
	st.PendingRevision, st.PendingCommit = "", ""
	r.setApplied()
	r.setPhase(phase)
}

// setApplied records the observed revision as the one on the canary.
func (r *rollout) setApplied() {
	r.st.LastAppliedRevision, r.st.LastAppliedCommit = r.obs.Revision, r.obs.Commit
	r.st.LastAppliedCommitShort = short(r.obs.Commit)
}
