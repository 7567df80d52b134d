package reconciler

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/analysis"
	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/planner"
)

// runChecks runs the checks of one analysis step: the webhooks of the
// types asked for, then the metrics. Without a Prometheus (no
// Options.PrometheusURL) the metrics are not measured: a Warning event says
// so and they count as passed, so that only the webhooks gate the step.
func (r *Reconciler) runChecks(ctx context.Context, live, canary *v1alpha1.Canary, obs planner.RolloutObservation, checks planner.RunChecks) *planner.StepChecks {
	step := &planner.StepChecks{}
	// The phase the webhooks are told is the Canary's as it stands.
	phase := live.Status.Phase
	if phase == "" {
		phase = v1alpha1.PhaseProgressing
	}
	for _, hookType := range checks.Webhooks {
		step.Webhooks = append(step.Webhooks, r.callHooks(ctx, canary, hookType, phase, obs.Revision)...)
	}
	if checks.Metrics {
		step.Metrics = r.checkMetrics(ctx, live, canary)
	}
	return step
}

// checkMetrics measures every metric of canary and turns the results into
// the planner's verdicts.
func (r *Reconciler) checkMetrics(ctx context.Context, live, canary *v1alpha1.Canary) []planner.MetricVerdict {
	if r.checker == nil {
		r.events.record(ctx, live, corev1.EventTypeWarning, "Synced", r.metricsSkipped(canary))
		verdicts := make([]planner.MetricVerdict, len(canary.Spec.Analysis.Metrics))
		for i, metric := range canary.Spec.Analysis.Metrics {
			verdicts[i] = planner.MetricVerdict{Name: metric.Name, Verdict: planner.VerdictPass}
		}
		return verdicts
	}
	results, _ := r.checker.CheckAll(ctx, canary)
	r.metrics.observeChecks(client.ObjectKeyFromObject(canary), results)
	verdicts := make([]planner.MetricVerdict, len(results))
	for i, res := range results {
		verdicts[i] = planner.MetricVerdict{Name: res.Metric, Verdict: plannerVerdict(res.Verdict), Message: res.Message}
	}
	return verdicts
}

// metricsSkipped says why the metrics of canary were not measured.
func (r *Reconciler) metricsSkipped(canary *v1alpha1.Canary) string {
	why := "no Prometheus URL is configured (--prometheus-url)"
	if r.checkerErr != nil {
		why = r.checkerErr.Error()
	}
	return fmt.Sprintf("Metrics of %s.%s not checked, counted as passed: %s", canary.Name, canary.Namespace, why)
}

// plannerVerdict is the planner's name of an analysis verdict.
func plannerVerdict(v analysis.Verdict) planner.Verdict {
	switch v {
	case analysis.VerdictPass:
		return planner.VerdictPass
	case analysis.VerdictFail:
		return planner.VerdictFail
	case analysis.VerdictNoData:
		return planner.VerdictNoData
	default:
		return planner.VerdictError
	}
}
