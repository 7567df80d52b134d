package v1alpha1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSteps(t *testing.T) {
	tests := []struct {
		name     string
		analysis CanaryAnalysis
		want     []int32
	}{{
		name:     "stepWeight climbs to maxWeight",
		analysis: CanaryAnalysis{StepWeight: 5, MaxWeight: 15},
		want:     []int32{5, 10, 15},
	}, {
		name:     "the last step is capped at maxWeight",
		analysis: CanaryAnalysis{StepWeight: 10, MaxWeight: 25},
		want:     []int32{10, 20, 25},
	}, {
		name:     "stepWeight equal to maxWeight is one step",
		analysis: CanaryAnalysis{StepWeight: 50, MaxWeight: 50},
		want:     []int32{50},
	}, {
		name:     "a zero maxWeight means 100, as Default sets it",
		analysis: CanaryAnalysis{StepWeight: 30},
		want:     []int32{30, 60, 90, 100},
	}, {
		name:     "stepWeights are taken as they are",
		analysis: CanaryAnalysis{StepWeights: []int32{1, 2, 10, 80}},
		want:     []int32{1, 2, 10, 80},
	}, {
		name:     "iterations have no weights",
		analysis: CanaryAnalysis{Iterations: 10},
	}, {
		name:     "an empty schedule has no weights",
		analysis: CanaryAnalysis{},
	}, {
		name:     "a stepWeight above maxWeight still ends, at maxWeight",
		analysis: CanaryAnalysis{StepWeight: 30, MaxWeight: 15},
		want:     []int32{15},
	}, {
		name:     "a maxWeight above 100 still ends, at 100",
		analysis: CanaryAnalysis{StepWeight: 1 << 30, MaxWeight: 1<<31 - 1},
		want:     []int32{100},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.analysis.Steps()); diff != "" {
				t.Errorf("Steps() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStepsReturnsTheCallersSlice(t *testing.T) {
	analysis := CanaryAnalysis{StepWeights: []int32{5, 10}}
	analysis.Steps()[0] = 99
	if got := analysis.StepWeights[0]; got != 5 {
		t.Errorf("changing the result of Steps() changed StepWeights[0] to %d", got)
	}
}
