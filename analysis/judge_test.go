package analysis

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

func TestJudge(t *testing.T) {
	successRate := func(min, max *float64) v1alpha1.CanaryMetric {
		return v1alpha1.CanaryMetric{Name: v1alpha1.MetricRequestSuccessRate, ThresholdRange: &v1alpha1.ThresholdRange{Min: min, Max: max}}
	}
	duration := func(max float64) v1alpha1.CanaryMetric {
		return v1alpha1.CanaryMetric{Name: v1alpha1.MetricRequestDuration, ThresholdRange: &v1alpha1.ThresholdRange{Max: &max}}
	}
	custom := func(name string, min, max *float64) v1alpha1.CanaryMetric {
		return v1alpha1.CanaryMetric{Name: name, Query: "vector(1)", ThresholdRange: &v1alpha1.ThresholdRange{Min: min, Max: max}}
	}
	type want struct {
		Verdict Verdict
		Message string
	}
	tests := []struct {
		name   string
		metric v1alpha1.CanaryMetric
		value  float64
		want   want
	}{
		{
			name: "a success rate below the minimum fails, in Flagger's words", metric: successRate(ptr(99), nil), value: 23.0312,
			want: want{VerdictFail, "success rate 23.03% < 99%"},
		},
		{
			name: "a success rate equal to the minimum passes", metric: successRate(ptr(99), nil), value: 99,
			want: want{VerdictPass, "success rate 99.00% >= 99%"},
		},
		{
			name: "a success rate above the minimum passes", metric: successRate(ptr(99), nil), value: 100,
			want: want{VerdictPass, "success rate 100.00% >= 99%"},
		},
		{
			name: "a fractional minimum is written as it is", metric: successRate(ptr(99.5), nil), value: 99.25,
			want: want{VerdictFail, "success rate 99.25% < 99.5%"},
		},
		{
			name: "a value that rounds up to the minimum is written in full rather than contradict itself", metric: successRate(ptr(99), nil), value: 98.999,
			want: want{VerdictFail, "success rate 98.999% < 99%"},
		},
		{
			name: "a request duration above the maximum fails, in whole milliseconds", metric: duration(500), value: 612.4,
			want: want{VerdictFail, "request duration 612ms > 500ms"},
		},
		{
			name: "a request duration equal to the maximum passes", metric: duration(500), value: 500,
			want: want{VerdictPass, "request duration 500ms <= 500ms"},
		},
		{
			name: "a request duration just above the maximum is written in full", metric: duration(500), value: 500.3,
			want: want{VerdictFail, "request duration 500.3ms > 500ms"},
		},
		{
			name: "a custom metric above its maximum fails with its name", metric: custom("error-budget", nil, ptr(0.01)), value: 0.02,
			want: want{VerdictFail, "error-budget 0.02 > 0.01"},
		},
		{
			name: "a custom value has six significant digits", metric: custom("error-budget", nil, ptr(0.01)), value: 0.0123456789,
			want: want{VerdictFail, "error-budget 0.0123457 > 0.01"},
		},
		{
			name: "a large custom value is written with an exponent", metric: custom("queue", nil, ptr(1000)), value: 12345678,
			want: want{VerdictFail, "queue 1.23457e+07 > 1000"},
		},
		{
			name: "a custom value inside both bounds passes", metric: custom("cpu", ptr(0.1), ptr(0.9)), value: 0.5,
			want: want{VerdictPass, "cpu 0.5 in [0.1, 0.9]"},
		},
		{
			name: "a custom value below both bounds fails on the minimum", metric: custom("cpu", ptr(0.1), ptr(0.9)), value: 0,
			want: want{VerdictFail, "cpu 0 < 0.1"},
		},
		{
			name: "a built-in name with a query is a custom metric", metric: v1alpha1.CanaryMetric{Name: "request-success-rate", Query: "vector(1)", ThresholdRange: &v1alpha1.ThresholdRange{Min: ptr(0.99)}}, value: 0.5,
			want: want{VerdictFail, "request-success-rate 0.5 < 0.99"},
		},
		{
			name: "a negative value is compared like any other", metric: custom("drift", ptr(-1), ptr(1)), value: -1.5,
			want: want{VerdictFail, "drift -1.5 < -1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verdict, message, err := judge(tt.metric, tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, want{verdict, message}); diff != "" {
				t.Errorf("judge(%v) (-want +got):\n%s", tt.value, diff)
			}
		})
	}
}

func TestJudgeWithoutBoundIsAnError(t *testing.T) {
	for _, r := range []*v1alpha1.ThresholdRange{nil, {}} {
		verdict, _, err := judge(v1alpha1.CanaryMetric{Name: "m", ThresholdRange: r}, 1)
		want := "metric m: thresholdRange needs min, max or both"
		if verdict != VerdictError || err == nil || err.Error() != want {
			t.Errorf("judge with range %v = %s, %v; want error, %s", r, verdict, err, want)
		}
	}
}

func TestJudgeInfiniteBoundsAreOpen(t *testing.T) {
	metric := v1alpha1.CanaryMetric{Name: "m", Query: "x", ThresholdRange: &v1alpha1.ThresholdRange{Min: ptr(math.Inf(-1)), Max: ptr(math.Inf(1))}}
	if verdict, message, _ := judge(metric, 1e300); verdict != VerdictPass {
		t.Errorf("judge = %s %q, want pass", verdict, message)
	}
}

func ptr(v float64) *float64 { return &v }
