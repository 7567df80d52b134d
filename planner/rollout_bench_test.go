package planner

import (
	"testing"
)

// BenchmarkDecideRolloutStep measures one analysis step as the reconciler
// makes it: the call that asks for the checks, then the call that judges
// them and advances the weight (the seed Canary: two metrics, two
// webhooks).
func BenchmarkDecideRolloutStep(b *testing.B) {
	ask := observe(progressing(5, 1))
	judge := observe(progressing(5, 1), stepChecked())
	b.ReportAllocs()
	for b.Loop() {
		if d := DecideRollout(ask); len(d.Actions) != 1 {
			b.Fatalf("asking for checks: %v", d.Actions)
		}
		if d := DecideRollout(judge); d.Status.CanaryWeight != 10 {
			b.Fatalf("judging: weight %d, want 10", d.Status.CanaryWeight)
		}
	}
}
