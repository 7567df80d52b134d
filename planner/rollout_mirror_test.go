package planner

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// canaryTrafficOnly answers a metric check as a canary's metrics would:
// no data unless the route sends the canary requests, a share or copies.
// A planner that forgot to mirror would roll back on it.
func canaryTrafficOnly(w *world, name string) MetricVerdict {
	if w.weights.Canary == 0 && !w.weights.Mirror {
		return MetricVerdict{Name: name, Verdict: VerdictNoData, Message: "no values found for " + name}
	}
	return MetricVerdict{Name: name, Verdict: VerdictPass}
}

// TestMirrorGolden pins where the mirror starts and stops (analysis.mirror,
// Flagger's), in testdata/rollout-mirror-*.golden: a blue/green analysis
// (iterations) mirrors from its first step to the promotion; a weighted
// one mirrors for one step at weight 0, then shifts weights without it. In
// both, the canary's metrics have data at every step only thanks to the
// copies.
func TestMirrorGolden(t *testing.T) {
	tests := []struct {
		scenario
		wantMessages []string
		// wantSplits are the SetWeights actions, in order.
		wantSplits []string
	}{
		{
			scenario: scenario{
				name: "mirror-blue-green",
				spec: func(s *v1alpha1.CanarySpec) {
					s.Analysis.StepWeight, s.Analysis.MaxWeight, s.Analysis.Iterations = 0, 0, 3
					s.Analysis.Mirror, s.Analysis.MirrorWeight = true, 40
				},
				git:           []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				canaryStartup: 20 * time.Second, primaryStartup: 5 * time.Second,
				metric: canaryTrafficOnly,
			},
			wantMessages: []string{
				"New revision detected! Scaling up detail.flagger",
				"Starting canary analysis for detail.flagger",
				"Pre-rollout check acceptance-test passed",
				"Start traffic mirroring for detail.flagger: 40% of the requests copied to the canary",
				"Advance detail.flagger canary iteration 1/3",
				"Advance detail.flagger canary iteration 2/3",
				"Advance detail.flagger canary iteration 3/3",
				"Copying detail.flagger template spec to detail-primary.flagger",
				"Routing all traffic to primary",
				"Promotion completed! Scaling down detail.flagger",
			},
			wantSplits: []string{
				"SetWeights primary 100 canary 0 mirror",
				"SetWeights primary 100 canary 0",
			},
		},
		{
			scenario: scenario{
				name: "mirror-weighted",
				spec: func(s *v1alpha1.CanarySpec) {
					s.Analysis.Mirror = true
				},
				git:           []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				canaryStartup: 20 * time.Second, primaryStartup: 5 * time.Second,
				metric: canaryTrafficOnly,
			},
			wantMessages: []string{
				"New revision detected! Scaling up detail.flagger",
				"Starting canary analysis for detail.flagger",
				"Pre-rollout check acceptance-test passed",
				"Advance detail.flagger canary weight 0 with traffic mirroring: every request copied to the canary",
				"Advance detail.flagger canary weight 5",
				"Advance detail.flagger canary weight 10",
				"Advance detail.flagger canary weight 15",
				"Copying detail.flagger template spec to detail-primary.flagger",
				"Routing all traffic to primary",
				"Promotion completed! Scaling down detail.flagger",
			},
			wantSplits: []string{
				"SetWeights primary 100 canary 0 mirror",
				"SetWeights primary 95 canary 5",
				"SetWeights primary 90 canary 10",
				"SetWeights primary 85 canary 15",
				"SetWeights primary 100 canary 0",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := simulate(t, tt.scenario)
			golden(t, "rollout-"+tt.name, sim.transcript)
			if diff := cmp.Diff(tt.wantMessages, sim.messages); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
			wantPromoted(t, sim, "rev2bbbbbb", "c2c2c2c2c2")
			if diff := cmp.Diff(tt.wantSplits, setWeightsOf(sim.transcript)); diff != "" {
				t.Errorf("splits set (-want +got):\n%s", diff)
			}
		})
	}
}

// A mirror that drifted away mid-analysis (a hand edit, a lost write) is
// put back, and one left on a route once no analysis runs is taken off.
func TestMirrorIsKeptOnlyDuringTheAnalysis(t *testing.T) {
	spec := seedSpec()
	spec.Analysis.StepWeight, spec.Analysis.MaxWeight, spec.Analysis.Iterations = 0, 0, 3
	spec.Analysis.Mirror = true
	mirroringStatus := progressing(0, 2)
	mirroringStatus.LastStepTime = at(-10 * time.Second) // no step due
	tests := []struct {
		name     string
		status   v1alpha1.CanaryStatus
		observed Weights
		want     []Action
	}{
		{"a mirror lost mid-analysis is set again", mirroringStatus, Weights{Primary: 100}, []Action{SetWeights{Primary: 100, Mirror: true}}},
		{"a mirror in place mid-analysis is left alone", mirroringStatus, Weights{Primary: 100, Mirror: true}, nil},
		{"a mirror left once the canary succeeded is taken off", initialized(), Weights{Primary: 100, Mirror: true}, []Action{SetWeights{Primary: 100}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := observe(tt.status, func(o *RolloutObservation) {
				o.Spec, o.Weights = spec, &tt.observed
				if tt.status.Phase == v1alpha1.PhaseInitialized {
					o.Revision, o.Commit = "rev1aaaaaa", "c1c1c1c1c1" // Git asks for what runs
				}
			})
			var got []Action
			for _, a := range DecideRollout(obs).Actions {
				if _, ok := a.(SetWeights); ok {
					got = append(got, a)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetWeights (-want +got):\n%s", diff)
			}
		})
	}
}

// setWeightsOf lists the SetWeights actions of a transcript, in order.
func setWeightsOf(transcript string) []string {
	var out []string
	for _, line := range strings.Split(transcript, "\n") {
		if i := strings.Index(line, "SetWeights"); i >= 0 {
			out = append(out, strings.TrimSpace(line[i:]))
		}
	}
	return out
}
