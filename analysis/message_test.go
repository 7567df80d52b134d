package analysis

import (
	"math"
	"testing"
)

func TestHaltMessage(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want string
	}{
		{
			name: "a failed success rate reads as in the seed",
			r:    Result{Metric: "request-success-rate", Verdict: VerdictFail, Value: 23.03, Message: "success rate 23.03% < 99%"},
			want: "Halt detail.flagger advancement success rate 23.03% < 99%",
		},
		{
			name: "no data says the canary may not receive traffic",
			r:    Result{Verdict: VerdictNoData, Message: noDataMessage(seedCanary(""), "request-duration", false, 0)},
			want: "Halt detail.flagger advancement no values found for metric request-duration, canary detail.flagger may not be receiving traffic",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HaltMessage("detail", "flagger", tt.r); got != tt.want {
				t.Errorf("HaltMessage = %q\nwant          %q", got, tt.want)
			}
		})
	}
}

func TestNoDataMessage(t *testing.T) {
	tests := []struct {
		name  string
		found bool
		value float64
		want  string
	}{
		{name: "an empty result", want: "no values found for metric request-success-rate, canary detail.flagger may not be receiving traffic"},
		{name: "NaN", found: true, value: math.NaN(), want: "metric request-success-rate is NaN, canary detail.flagger may not be receiving traffic"},
		{name: "infinity", found: true, value: math.Inf(1), want: "metric request-success-rate is +Inf, canary detail.flagger may not be receiving traffic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := noDataMessage(seedCanary(""), "request-success-rate", tt.found, tt.value); got != tt.want {
				t.Errorf("noDataMessage = %q\nwant            %q", got, tt.want)
			}
		})
	}
}
