package analysis

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// MinComparisonSamples is the fewest samples a comparison needs of each
// workload, canary and primary: fewer is VerdictTooFewSamples, which holds
// the step. Eight on each side is where the normal approximation of the
// Mann-Whitney U test starts to be trusted; a comparison takes
// ComparisonWindows samples of each, so it tolerates a few windows without
// traffic.
const MinComparisonSamples = 8

// judgeComparison judges the samples of the canary against those of the
// primary with a two-sided Mann-Whitney U test: the check fails when the
// difference is significant at the comparison's confidence, in its
// direction, and the canary's median is worse than the primary's by more
// than its tolerance (relative to the primary's median); it passes
// otherwise. Too few samples on a side is VerdictTooFewSamples. The
// message says what was compared: "p99 latency of canary 312 ms vs primary
// 81 ms (+285 %, p=0.001)". value is the canary's median. NaN samples must
// be removed by the caller.
func judgeComparison(metric v1alpha1.CanaryMetric, canary, primary []float64) (verdict Verdict, message string, value float64) {
	f := comparisonFormatOf(metric)
	if len(canary) < MinComparisonSamples || len(primary) < MinComparisonSamples {
		return VerdictTooFewSamples, fmt.Sprintf("too few samples to compare %s: canary %d, primary %d, %d each needed",
			f.label, len(canary), len(primary), MinComparisonSamples), 0
	}
	compare := metric.Compare
	confidence := compare.Confidence
	if confidence == 0 {
		confidence = v1alpha1.DefaultCompareConfidence
	}
	test := MannWhitneyU(canary, primary)
	canaryMedian, primaryMedian := median(canary), median(primary)
	change := relativeChange(canaryMedian, primaryMedian)
	message = fmt.Sprintf("%s of canary %s vs primary %s (%s, %s)", f.label, f.value(canaryMedian), f.value(primaryMedian),
		formatChange(change), formatP(test.P))
	significant := test.P < 1-confidence
	higher, lower := test.Effect > 0.5 && change > compare.Tolerance, test.Effect < 0.5 && -change > compare.Tolerance
	var worse bool
	switch compare.Direction {
	case v1alpha1.CompareIncrease:
		worse = higher
	case v1alpha1.CompareDecrease:
		worse = lower
	case v1alpha1.CompareEither:
		worse = higher || lower
	default:
		return VerdictError, fmt.Sprintf("metric %s: unknown compare direction %q", metric.Name, compare.Direction), 0
	}
	if significant && worse {
		return VerdictFail, message, canaryMedian
	}
	return VerdictPass, message, canaryMedian
}

// relativeChange is (canary − primary) / |primary|: 2.85 for 312 against
// 81. From a primary of zero, any change is infinite.
func relativeChange(canary, primary float64) float64 {
	switch {
	case canary == primary:
		return 0
	case primary == 0:
		return math.Copysign(math.Inf(1), canary)
	}
	return (canary - primary) / math.Abs(primary)
}

// median returns the median of values, which must not be empty; it does
// not modify them.
func median(values []float64) float64 {
	sorted := slices.Sorted(slices.Values(values))
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return (sorted[mid-1] + sorted[mid]) / 2
}

// formatChange writes a relative change in percent with a sign: "+285 %",
// "-4.2 %", "+0.04 %", "+inf %" from zero.
func formatChange(change float64) string {
	percent := 100 * change
	if math.IsInf(percent, 0) {
		return map[bool]string{true: "+inf %", false: "-inf %"}[percent > 0]
	}
	digits := 2
	switch a := math.Abs(percent); {
	case a >= 10:
		digits = 0
	case a >= 1:
		digits = 1
	}
	text := strconv.FormatFloat(percent, 'f', digits, 64)
	if percent >= 0 {
		text = "+" + text
	}
	return text + " %"
}

// formatP writes a p-value with three decimals, "p<0.001" below them.
func formatP(p float64) string {
	if p < 0.001 {
		return "p<0.001"
	}
	return "p=" + strconv.FormatFloat(p, 'f', 3, 64)
}

// comparisonFormat writes the values of a compared metric.
type comparisonFormat struct {
	label  string // "p99 latency", "success rate" or the metric's name
	unit   string // " ms", " %" or ""
	verb   byte
	digits int
}

// comparisonFormatOf returns the format of a metric's compared values; a
// metric with a query is custom whatever its name.
func comparisonFormatOf(metric v1alpha1.CanaryMetric) comparisonFormat {
	switch {
	case metric.Query == "" && metric.Name == v1alpha1.MetricRequestSuccessRate:
		return comparisonFormat{label: "success rate", unit: " %", verb: 'f', digits: 2}
	case metric.Query == "" && metric.Name == v1alpha1.MetricRequestDuration:
		return comparisonFormat{label: "p99 latency", unit: " ms", verb: 'f', digits: 0}
	}
	return comparisonFormat{label: metric.Name, verb: 'g', digits: 6}
}

// value writes a median at the format's precision.
func (f comparisonFormat) value(v float64) string {
	return strconv.FormatFloat(v, f.verb, f.digits, 64) + f.unit
}
