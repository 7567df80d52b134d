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

// ComparisonWindows is how many samples of each workload a comparison
// takes: the metric's interval is cut into this many windows of equal
// length, the step of the range query, and the query is evaluated once per
// window with {{ interval }} set to the window, so that no two samples
// share a request. Each window must hold at least two scrapes for a rate():
// with Prometheus scraping every 15s, an interval of 6m or more.
const ComparisonWindows = 12

// compare measures a metric of the canary and of the primary over the
// metric's interval and judges the canary against the primary (see
// judgeComparison). The query template text is rendered once per workload:
// {{ target }} is the canary's workload, then the primary's,
// <target>-primary. Each rendering runs as a range query ending at
// Prometheus's current time with a step of interval / ComparisonWindows;
// NaN and infinite samples (windows without traffic) are dropped. The
// Result's Query is the canary's query.
func (c *Checker) compare(ctx context.Context, prometheus promv1.API, canary *v1alpha1.Canary, metric v1alpha1.CanaryMetric, text string) Result {
	result := Result{Metric: metric.Name}
	interval := metric.Interval
	if interval == "" {
		interval = v1alpha1.DefaultInterval
	}
	length, err := time.ParseDuration(interval)
	if err != nil || length <= 0 {
		return result.failedWith(fmt.Errorf("metric %s: interval %q is not a duration", metric.Name, interval))
	}
	step := (length / ComparisonWindows).Truncate(time.Millisecond)
	if step <= 0 {
		return result.failedWith(fmt.Errorf("metric %s: interval %s is too short to compare in %d windows", metric.Name, interval, ComparisonWindows))
	}
	window := model.Duration(step).String()
	end := time.Now()
	span := promv1.Range{Start: end.Add(-step * (ComparisonWindows - 1)), End: end, Step: step}
	var samples [2][]float64
	for i, workload := range []string{canary.Spec.TargetRef.Name, primaryWorkload(canary)} {
		query, err := renderFor(canary, metric, text, workloadVariables{target: workload, interval: window})
		if err != nil {
			return result.failedWith(err)
		}
		if i == 0 {
			result.Query = query
		}
		if samples[i], err = c.queryRange(ctx, prometheus, query, span); err != nil {
			return result.failedWith(&QueryError{Metric: metric.Name, Err: fmt.Errorf("%s: %w", workload, err)})
		}
	}
	result.Verdict, result.Message, result.Value = judgeComparison(metric, samples[0], samples[1])
	if result.Verdict == VerdictError {
		result.Err = errors.New(result.Message)
	}
	return result
}

// primaryWorkload is the name of the primary's workload, which the
// applier names <target>-primary.
func primaryWorkload(canary *v1alpha1.Canary) string {
	return canary.Spec.TargetRef.Name + "-primary"
}

// queryRange runs a range query and returns the finite values of its single
// series; none when the result is empty.
func (c *Checker) queryRange(ctx context.Context, prometheus promv1.API, query string, span promv1.Range) ([]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	result, _, _, err := prometheus.QueryRange(ctx, query, span, promv1.WithTimeout(c.timeout))
	if err != nil {
		return nil, err
	}
	matrix, ok := result.(model.Matrix)
	switch {
	case !ok && result == nil:
		return nil, errors.New("the query returned nothing")
	case !ok:
		return nil, fmt.Errorf("the query returned a %s, want a range vector", result.Type())
	case len(matrix) > 1:
		return nil, fmt.Errorf("the query returned %d series, want one: aggregate them, e.g. with sum()", len(matrix))
	case len(matrix) == 0:
		return nil, nil
	}
	var values []float64
	for _, sample := range matrix[0].Values {
		if v := float64(sample.Value); !math.IsNaN(v) && !math.IsInf(v, 0) {
			values = append(values, v)
		}
	}
	return values, nil
}
