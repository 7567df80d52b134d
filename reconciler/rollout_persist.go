package reconciler

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/planner"
)

// persistRollout writes the status a rollout decision set, keeping the
// live conditions it does not set (Ready is the sync's), then records the
// decision's messages as log lines and Events, in order.
func (r *Reconciler) persistRollout(ctx context.Context, canary *v1alpha1.Canary, decision planner.RolloutDecision) error {
	live, err := r.writeStatus(ctx, client.ObjectKeyFromObject(canary), func(st *v1alpha1.CanaryStatus, generation int64) {
		conditions := st.Conditions
		*st = *decision.Status.DeepCopy()
		for _, cond := range st.Conditions {
			if cond.Type != ConditionReady {
				meta.SetStatusCondition(&conditions, cond)
			}
		}
		st.Conditions = conditions
	})
	if err != nil {
		return err
	}
	for _, msg := range decision.Messages {
		r.recordMessage(ctx, live, msg)
	}
	return nil
}

// recordMessage records a planner message: a Warning Event (and log line)
// when it warns, a Normal one otherwise, with Flagger's reason Synced.
func (r *Reconciler) recordMessage(ctx context.Context, live *v1alpha1.Canary, msg planner.Message) {
	eventType := corev1.EventTypeNormal
	if msg.Warning {
		eventType = corev1.EventTypeWarning
	}
	r.events.record(ctx, live, eventType, "Synced", msg.Text)
	r.sendAlerts(ctx, live, msg)
}
