package analysis

import "testing"

func TestSummarize(t *testing.T) {
	tests := []struct {
		name     string
		verdicts []Verdict
		want     Verdict
	}{
		{name: "no checks pass", verdicts: nil, want: VerdictPass},
		{name: "all passing checks pass", verdicts: []Verdict{VerdictPass, VerdictPass}, want: VerdictPass},
		{name: "one failure fails the step", verdicts: []Verdict{VerdictPass, VerdictFail}, want: VerdictFail},
		{name: "no data fails the step as no data", verdicts: []Verdict{VerdictNoData, VerdictPass}, want: VerdictNoData},
		{name: "an error alone holds the step", verdicts: []Verdict{VerdictPass, VerdictError}, want: VerdictError},
		{name: "a failure outranks an error", verdicts: []Verdict{VerdictError, VerdictFail}, want: VerdictFail},
		{name: "no data outranks an error", verdicts: []Verdict{VerdictError, VerdictNoData}, want: VerdictNoData},
		{name: "a failure outranks no data", verdicts: []Verdict{VerdictNoData, VerdictFail, VerdictNoData}, want: VerdictFail},
		{name: "too few samples to compare holds the step like an error", verdicts: []Verdict{VerdictPass, VerdictTooFewSamples}, want: VerdictTooFewSamples},
		{name: "a failure outranks too few samples", verdicts: []Verdict{VerdictTooFewSamples, VerdictFail}, want: VerdictFail},
		{name: "an unknown verdict holds the step rather than pass it", verdicts: []Verdict{VerdictPass, ""}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := make([]Result, len(tt.verdicts))
			for i, v := range tt.verdicts {
				results[i].Verdict = v
			}
			if got := Summarize(results); got != tt.want {
				t.Errorf("Summarize(%v) = %q, want %q", tt.verdicts, got, tt.want)
			}
		})
	}
}

func TestFailedCheck(t *testing.T) {
	want := map[Verdict]bool{VerdictPass: false, VerdictFail: true, VerdictNoData: true, VerdictError: false, VerdictTooFewSamples: false}
	for verdict, failed := range want {
		if got := verdict.FailedCheck(); got != failed {
			t.Errorf("%s.FailedCheck() = %v, want %v", verdict, got, failed)
		}
	}
}
