package planner

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConditionSuspended is the condition DecideRollout keeps on a Canary
// whose spec.suspend was set: True while it is (no rollout step, no sync
// of its target), False with reason Resumed once Git sets it back to
// false. A Canary never suspended has none.
const ConditionSuspended = "Suspended"

// suspended reports whether the Canary is suspended: then nothing is
// decided but the Suspended condition and, once, "Canary detail.flagger is
// suspended: no rollout steps until spec.suspend is false". The status
// keeps where the rollout stood, so that it resumes there: "Canary
// detail.flagger resumed: spec.suspend is false", and the decision goes on
// as if it had never stopped — but for a wait on a Deployment, which
// starts again (the time suspended is no part of the progress deadline).
func (r *rollout) suspended() bool {
	held := meta.IsStatusConditionTrue(r.st.Conditions, ConditionSuspended)
	switch {
	case r.obs.Spec.Suspend:
		if !held {
			r.info("Canary %s is suspended: no rollout steps until spec.suspend is false", r.canaryID)
			r.setSuspended(metav1.ConditionTrue, "Suspended", "spec.suspend is true: no rollout step and no sync of the target until it is false.")
		}
		return true
	case held:
		r.info("Canary %s resumed: spec.suspend is false", r.canaryID)
		r.setSuspended(metav1.ConditionFalse, "Resumed", "spec.suspend is false: the rollout goes on where it stopped.")
		r.st.NotReadySince = nil
	}
	return false
}

func (r *rollout) setSuspended(status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&r.st.Conditions, metav1.Condition{
		Type: ConditionSuspended, Status: status, Reason: reason, Message: message,
		LastTransitionTime: metav1.NewTime(r.obs.Now), ObservedGeneration: r.st.ObservedGeneration,
	})
}
