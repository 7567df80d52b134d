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
// Options.PrometheusURL) the metrics cannot be measured: each is an error
// verdict, which holds the step (fail closed), and a Warning event says
// why; analysis.maxErrors such steps roll back.
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
		why := r.metricsUnavailable()
		r.events.record(ctx, live, corev1.EventTypeWarning, "Synced", fmt.Sprintf("Metrics of %s.%s cannot be checked: %s", canary.Name, canary.Namespace, why))
		verdicts := make([]planner.MetricVerdict, len(canary.Spec.Analysis.Metrics))
		for i, metric := range canary.Spec.Analysis.Metrics {
			verdicts[i] = planner.MetricVerdict{Name: metric.Name, Verdict: planner.VerdictError, Message: "not checked: " + why}
		}
		return verdicts
	}
	results, _ := r.checker.CheckAll(ctx, canary, r.metricTemplate)
	r.metrics.observeChecks(client.ObjectKeyFromObject(canary), results)
	verdicts := make([]planner.MetricVerdict, len(results))
	for i, res := range results {
		measured := res.Verdict == analysis.VerdictPass || res.Verdict == analysis.VerdictFail
		verdicts[i] = planner.MetricVerdict{Name: res.Metric, Verdict: plannerVerdict(res.Verdict), Message: res.Message, Value: res.Value, Measured: measured}
	}
	return verdicts
}

// metricsUnavailable says why no metric can be measured; empty when
// they can.
func (r *Reconciler) metricsUnavailable() string {
	switch {
	case r.checkerErr != nil:
		return r.checkerErr.Error()
	case r.checker == nil:
		return "no Prometheus URL is configured (--prometheus-url)"
	}
	return ""
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
	case analysis.VerdictTooFewSamples:
		// Too little traffic to compare with the primary is no fact about
		// the canary: it holds the step as an error does.
		return planner.VerdictError
	default:
		return planner.VerdictError
	}
}
