package analysis

import (
	"fmt"
	"strconv"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// judge compares a measured value with the metric's thresholdRange: it
// passes when min <= value <= max, a nil bound being open. The message
// states the comparison ("success rate 23.03% < 99%"). A metric without a
// bound is an error: validation requires one, and passing it silently would
// hide the mistake.
func judge(metric v1alpha1.CanaryMetric, value float64) (Verdict, string, error) {
	r := metric.ThresholdRange
	if r == nil || r.Min == nil && r.Max == nil {
		return VerdictError, "", fmt.Errorf("metric %s: thresholdRange needs min, max or both", metric.Name)
	}
	f := formatOf(metric)
	switch {
	case r.Min != nil && value < *r.Min:
		return VerdictFail, f.compare(value, "<", *r.Min), nil
	case r.Max != nil && value > *r.Max:
		return VerdictFail, f.compare(value, ">", *r.Max), nil
	case r.Max == nil:
		return VerdictPass, f.compare(value, ">=", *r.Min), nil
	case r.Min == nil:
		return VerdictPass, f.compare(value, "<=", *r.Max), nil
	}
	return VerdictPass, fmt.Sprintf("%s %s in [%s, %s]", f.label, f.value(value, func(float64) bool { return true }),
		f.bound(*r.Min), f.bound(*r.Max)), nil
}

// valueFormat writes the values and bounds of one kind of metric:
//
//   - request-success-rate: "success rate 23.03% < 99%", the value with two
//     decimals, the bound as written;
//   - request-duration: "request duration 612ms > 500ms", the value in whole
//     milliseconds, the bound as written;
//   - custom metrics: "error-budget 0.02 > 0.01", the value with six
//     significant digits (%g-like: no trailing zeros, an exponent for very
//     large or small values), the bound as written.
//
// When rounding would make the message contradict itself ("500ms > 500ms"
// for 500.3), the value is written in full instead ("500.3ms > 500ms").
type valueFormat struct {
	label  string // what is measured: "success rate", or the metric's name
	unit   string // appended to values and bounds: "%", "ms" or ""
	verb   byte   // strconv.FormatFloat's format
	digits int    // strconv.FormatFloat's precision for the value
}

// formatOf returns the format of a metric's values; a metric with a query is
// custom whatever its name.
func formatOf(metric v1alpha1.CanaryMetric) valueFormat {
	switch {
	case metric.Query == "" && metric.Name == v1alpha1.MetricRequestSuccessRate:
		return valueFormat{label: "success rate", unit: "%", verb: 'f', digits: 2}
	case metric.Query == "" && metric.Name == v1alpha1.MetricRequestDuration:
		return valueFormat{label: "request duration", unit: "ms", verb: 'f', digits: 0}
	}
	return valueFormat{label: metric.Name, verb: 'g', digits: 6}
}

// compare writes "label value op bound".
func (f valueFormat) compare(value float64, op string, bound float64) string {
	holds := map[string]func(float64) bool{
		"<":  func(v float64) bool { return v < bound },
		">":  func(v float64) bool { return v > bound },
		">=": func(v float64) bool { return v >= bound },
		"<=": func(v float64) bool { return v <= bound },
	}[op]
	return fmt.Sprintf("%s %s %s %s", f.label, f.value(value, holds), op, f.bound(bound))
}

// value writes a measured value at the format's precision, or in full when
// the rounded number would not satisfy holds, the comparison the message
// states.
func (f valueFormat) value(v float64, holds func(float64) bool) string {
	rounded := strconv.FormatFloat(v, f.verb, f.digits, 64)
	if parsed, err := strconv.ParseFloat(rounded, 64); err != nil || !holds(parsed) {
		rounded = strconv.FormatFloat(v, f.verb, -1, 64)
	}
	return rounded + f.unit
}

// bound writes a bound of the threshold range as short as it reads exactly.
func (f valueFormat) bound(b float64) string {
	return strconv.FormatFloat(b, f.verb, -1, 64) + f.unit
}
