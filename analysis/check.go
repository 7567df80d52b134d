package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Check measures one metric of a Canary with an instant query at
// Prometheus's current time and judges the value against the metric's
// thresholdRange (see the Verdict constants). A metric with a compare is
// also, or instead when it has no thresholdRange, measured for the canary
// and the primary over its interval and judged by a Mann-Whitney U test
// (see compare); with both, the worse verdict is the result's, and the
// comparison is not made when the threshold check is an error. It never
// returns an error: a
// check that cannot be made is a Result with VerdictError and Err set. It
// does not retry: the next analysis step is the retry.
//
// A metric with a templateRef runs the query of that MetricTemplate,
// which templates resolves, in the template's Source; any other metric
// runs in the Canary's spec.metricsServer when it names one. A template that
// cannot be resolved (or a nil templates) is a VerdictError with a
// *TemplateError.
func (c *Checker) Check(ctx context.Context, canary *v1alpha1.Canary, metric v1alpha1.CanaryMetric, templates TemplateLookup) Result {
	result := Result{Metric: metric.Name}
	tmpl, err := resolveTemplate(ctx, canary, metric, templates)
	if err != nil {
		return result.failedWith(err)
	}
	var text string
	if tmpl != nil {
		text = tmpl.Query
	} else if text, err = queryTemplate(canary, metric, c.mesh); err != nil {
		return result.failedWith(fmt.Errorf("metric %s: %w", metric.Name, err))
	}
	source := Source{Address: canary.Spec.MetricsServer}
	if tmpl != nil {
		source = tmpl.Source
	}
	prometheus := c.prometheus
	if !source.isDefault() {
		if prometheus, err = c.sources.client(source.withDefault(c.address)); err != nil {
			return result.failedWith(&QueryError{Metric: metric.Name, Err: err})
		}
	}
	if metric.ThresholdRange == nil && metric.Compare != nil {
		return c.compare(ctx, prometheus, canary, metric, text)
	}
	result = c.checkThreshold(ctx, prometheus, canary, metric, text)
	if metric.Compare == nil || result.Verdict == VerdictError {
		return result
	}
	return combine(result, c.compare(ctx, prometheus, canary, metric, text))
}

// checkThreshold runs the instant query of a metric and judges its value
// against the metric's thresholdRange.
func (c *Checker) checkThreshold(ctx context.Context, prometheus promv1.API, canary *v1alpha1.Canary, metric v1alpha1.CanaryMetric, text string) Result {
	result := Result{Metric: metric.Name}
	query, err := render(canary, metric, text)
	if err != nil {
		return result.failedWith(err)
	}
	result.Query = query
	value, found, err := c.query(ctx, prometheus, query)
	if err != nil {
		return result.failedWith(&QueryError{Metric: metric.Name, Err: err})
	}
	if !found || math.IsNaN(value) || math.IsInf(value, 0) {
		result.Verdict = VerdictNoData
		result.Message = noDataMessage(canary, metric.Name, found, value)
		return result
	}
	result.Value = value
	result.Verdict, result.Message, err = judge(metric, value)
	if err != nil {
		return result.failedWith(err)
	}
	return result
}

// combine returns the result of a metric judged both by its thresholdRange
// and by a comparison: the worse verdict (see Summarize) with its message
// and value, both messages when the verdicts are equal.
func combine(threshold, comparison Result) Result {
	switch {
	case severity(comparison.Verdict) > severity(threshold.Verdict):
		return comparison
	case severity(comparison.Verdict) < severity(threshold.Verdict):
		return threshold
	}
	threshold.Message += "; " + comparison.Message
	return threshold
}

// failedWith returns r as a VerdictError caused by err.
func (r Result) failedWith(err error) Result {
	r.Verdict, r.Value, r.Message, r.Err = VerdictError, 0, err.Error(), err
	return r
}

// query runs an instant query and returns its single value, or found false
// when the result is an empty vector.
func (c *Checker) query(ctx context.Context, prometheus promv1.API, query string) (value float64, found bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	result, _, _, err := prometheus.Query(ctx, query, time.Time{}, promv1.WithTimeout(c.timeout))
	if err != nil {
		return 0, false, err
	}
	switch v := result.(type) {
	case *model.Scalar:
		return float64(v.Value), true, nil
	case model.Vector:
		switch len(v) {
		case 0:
			return 0, false, nil
		case 1:
			return float64(v[0].Value), true, nil
		}
		return 0, false, fmt.Errorf("the query returned %d series, want one: aggregate them, e.g. with sum()", len(v))
	case nil:
		return 0, false, errors.New("the query returned nothing")
	}
	return 0, false, fmt.Errorf("the query returned a %s, want a scalar or an instant vector", result.Type())
}
