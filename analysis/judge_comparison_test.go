package analysis

import (
	"math/rand/v2"
	"slices"
	"testing"
	"testing/quick"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

func TestJudgeComparison(t *testing.T) {
	duration := func(c v1alpha1.MetricComparison) v1alpha1.CanaryMetric {
		return v1alpha1.CanaryMetric{Name: v1alpha1.MetricRequestDuration, Compare: &c}
	}
	successRate := func(c v1alpha1.MetricComparison) v1alpha1.CanaryMetric {
		return v1alpha1.CanaryMetric{Name: v1alpha1.MetricRequestSuccessRate, Compare: &c}
	}
	// The samples of TestMannWhitneyU: p = 3.6e-05 and p = 0.672 (SciPy).
	slow := []float64{312, 305, 298, 330, 290, 315, 320, 301, 299, 310, 308, 325}
	fast := []float64{81, 79, 85, 80, 82, 90, 78, 83, 81, 84, 86, 80}
	canaryRate := []float64{95.1, 94.8, 95.3, 94.9, 95.0, 95.2, 94.7, 95.4}
	primaryRate := []float64{95.0, 94.9, 95.2, 95.1, 94.8, 95.3, 95.0, 94.6}
	type want struct {
		Verdict Verdict
		Message string
		Value   float64
	}
	tests := []struct {
		name            string
		metric          v1alpha1.CanaryMetric
		canary, primary []float64
		want            want
	}{
		{
			name:   "a canary significantly slower than its primary fails, saying by how much",
			metric: duration(v1alpha1.MetricComparison{Direction: v1alpha1.CompareIncrease, Tolerance: 0.2}),
			canary: slow, primary: fast,
			want: want{VerdictFail, "p99 latency of canary 309 ms vs primary 82 ms (+279 %, p<0.001)", 309},
		},
		{
			name:   "a slower canary passes when only a decrease is worse",
			metric: duration(v1alpha1.MetricComparison{Direction: v1alpha1.CompareDecrease}),
			canary: slow, primary: fast,
			want: want{VerdictPass, "p99 latency of canary 309 ms vs primary 82 ms (+279 %, p<0.001)", 309},
		},
		{
			name:   "a slower canary within the tolerance passes",
			metric: duration(v1alpha1.MetricComparison{Direction: v1alpha1.CompareEither, Tolerance: 3}),
			canary: slow, primary: fast,
			want: want{VerdictPass, "p99 latency of canary 309 ms vs primary 82 ms (+279 %, p<0.001)", 309},
		},
		{
			name:   "a faster canary fails when either change is worse",
			metric: duration(v1alpha1.MetricComparison{Direction: v1alpha1.CompareEither}),
			canary: fast, primary: slow,
			want: want{VerdictFail, "p99 latency of canary 82 ms vs primary 309 ms (-74 %, p<0.001)", 81.5},
		},
		{
			name:   "a shared fault is no difference: both success rates near 95 % pass",
			metric: successRate(v1alpha1.MetricComparison{Direction: v1alpha1.CompareDecrease}),
			canary: canaryRate, primary: primaryRate,
			want: want{VerdictPass, "success rate of canary 95.05 % vs primary 95.00 % (+0.05 %, p=0.672)", 95.05},
		},
		{
			name:   "a difference that is not significant at the confidence passes",
			metric: duration(v1alpha1.MetricComparison{Direction: v1alpha1.CompareIncrease, Confidence: 0.9999999}),
			canary: slow, primary: fast,
			want: want{VerdictPass, "p99 latency of canary 309 ms vs primary 82 ms (+279 %, p<0.001)", 309},
		},
		{
			name:   "a custom metric from a primary of zero is an infinite change",
			metric: v1alpha1.CanaryMetric{Name: "errors", Query: "vector(1)", Compare: &v1alpha1.MetricComparison{Direction: v1alpha1.CompareIncrease, Tolerance: 10}},
			canary: []float64{1, 2, 1, 3, 2, 1, 2, 2}, primary: []float64{0, 0, 0, 0, 0, 0, 0, 0},
			want: want{VerdictFail, "errors of canary 2 vs primary 0 (+inf %, p<0.001)", 2},
		},
		{
			name:   "fewer than MinComparisonSamples on a side is too few samples, not a failure",
			metric: duration(v1alpha1.MetricComparison{Direction: v1alpha1.CompareIncrease}),
			canary: slow[:7], primary: fast,
			want: want{VerdictTooFewSamples, "too few samples to compare p99 latency: canary 7, primary 12, 8 each needed", 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verdict, message, value := judgeComparison(tt.metric, tt.canary, tt.primary)
			if diff := cmp.Diff(tt.want, want{verdict, message, value}); diff != "" {
				t.Errorf("judgeComparison() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatChange(t *testing.T) {
	for change, want := range map[float64]string{2.85: "+285 %", -0.042: "-4.2 %", 0.0004: "+0.04 %", 0: "+0.00 %"} {
		if got := formatChange(change); got != want {
			t.Errorf("formatChange(%v) = %q, want %q", change, got, want)
		}
	}
}

// TestJudgeComparisonProperties checks what holds for any samples of at
// least MinComparisonSamples: a canary that is its primary's copy passes
// whatever the direction, and one shifted above every value of the primary
// fails an increase at the default confidence and passes a decrease.
func TestJudgeComparisonProperties(t *testing.T) {
	property := func(seed uint64) bool {
		r := rand.New(rand.NewPCG(seed, 16))
		primary := make([]float64, MinComparisonSamples+r.IntN(20))
		for i := range primary {
			primary[i] = float64(r.IntN(50)) // many ties
		}
		shifted := make([]float64, len(primary))
		for i, v := range primary {
			shifted[i] = v + 100
		}
		metric := func(direction string) v1alpha1.CanaryMetric {
			return v1alpha1.CanaryMetric{Name: "m", Query: "vector(1)", Compare: &v1alpha1.MetricComparison{Direction: direction}}
		}
		for _, direction := range []string{v1alpha1.CompareIncrease, v1alpha1.CompareDecrease, v1alpha1.CompareEither} {
			if verdict, _, _ := judgeComparison(metric(direction), slices.Clone(primary), primary); verdict != VerdictPass {
				return false
			}
		}
		increase, _, _ := judgeComparison(metric(v1alpha1.CompareIncrease), shifted, primary)
		decrease, _, _ := judgeComparison(metric(v1alpha1.CompareDecrease), shifted, primary)
		return increase == VerdictFail && decrease == VerdictPass
	}
	if err := quick.Check(property, &quick.Config{MaxCount: 300}); err != nil {
		t.Error(err)
	}
}
