package reconciler

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/planner"
)

// ConditionReady is True when the last commit was applied, False with the
// reason when it was refused.
const ConditionReady = "Ready"

// ConditionMetrics is on a Canary whose analysis has metrics: True when
// they can be measured, False with the reason (no Prometheus configured)
// when every metric check would be an error that holds the analysis.
const ConditionMetrics = "Metrics"

// persist writes the decided status of canary, with Ready=True for commit,
// then records the decision's messages.
func (r *Reconciler) persist(ctx context.Context, canary *v1alpha1.Canary, decision planner.SyncDecision, commit string) error {
	live, err := r.writeStatus(ctx, client.ObjectKeyFromObject(canary), func(st *v1alpha1.CanaryStatus, generation int64) {
		conditions := st.Conditions
		*st = *decision.Status.DeepCopy()
		st.Conditions = conditions
		st.ObservedGeneration = generation
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: ConditionReady, Status: metav1.ConditionTrue, Reason: "Synced",
			Message: fmt.Sprintf("Applied commit %s", commit), ObservedGeneration: generation,
		})
		r.setMetricsCondition(canary, st, generation)
		r.setForgeCondition(st, generation)
	})
	if err != nil {
		return err
	}
	for _, msg := range decision.Messages {
		r.events.record(ctx, live, corev1.EventTypeNormal, "Synced", msg)
	}
	return nil
}

// setMetricsCondition sets ConditionMetrics on the status of a Canary
// whose analysis has metrics, and removes it from one without. The first
// time a Canary's metrics cannot be measured, it logs an error.
func (r *Reconciler) setMetricsCondition(canary *v1alpha1.Canary, st *v1alpha1.CanaryStatus, generation int64) {
	if len(canary.Spec.Analysis.Metrics) == 0 || canary.Spec.SkipAnalysis {
		meta.RemoveStatusCondition(&st.Conditions, ConditionMetrics)
		return
	}
	why := r.metricsUnavailable()
	if why == "" {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: ConditionMetrics, Status: metav1.ConditionTrue,
			Reason: "Prometheus", Message: "The metrics of the analysis are measured in Prometheus.", ObservedGeneration: generation})
		return
	}
	key := client.ObjectKeyFromObject(canary)
	if !r.metricsWarned[key] {
		r.metricsWarned[key] = true
		r.opts.Log.Error(fmt.Sprintf("Metrics of %s.%s cannot be checked: %s; its analysis will hold, then roll back", canary.Name, canary.Namespace, why),
			"canary", canary.Name+"."+canary.Namespace)
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: ConditionMetrics, Status: metav1.ConditionFalse,
		Reason: "NoPrometheus", Message: "The metrics of the analysis cannot be measured: " + why + "; every metric check is an error, which holds the analysis.",
		ObservedGeneration: generation})
}

// writeStatus reads the live Canary, lets mutate change its status and
// writes it back through the status subresource, retrying on conflicts. It
// writes nothing when mutate changed nothing.
func (r *Reconciler) writeStatus(ctx context.Context, key client.ObjectKey, mutate func(*v1alpha1.CanaryStatus, int64)) (*v1alpha1.Canary, error) {
	var live v1alpha1.Canary
	var before *v1alpha1.CanaryStatus
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := r.client.Get(ctx, key, &live); err != nil {
			return err
		}
		before = live.Status.DeepCopy()
		mutate(&live.Status, live.Generation)
		if equalStatus(before, &live.Status) {
			return nil
		}
		return r.client.Status().Update(ctx, &live)
	})
	if err != nil {
		return nil, fmt.Errorf("canary %s: write status: %w", key, err)
	}
	r.metrics.observeCanary(key, before, &live.Status)
	return &live, nil
}

// equalStatus reports whether two statuses are semantically equal.
func equalStatus(a, b *v1alpha1.CanaryStatus) bool {
	return equality.Semantic.DeepEqual(a, b)
}
