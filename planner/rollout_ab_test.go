package planner

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// TestAnABTestKeepsTheMatchingRequestsOnTheCanaryBetweenSteps pins what
// the route of an A/B test holds between its steps: 0/100 once the first
// iteration ran (the router's A/B rule takes the matching requests only),
// 100/0 before it. A route that drifted (a lost write, a hand edit) is
// set back; status.canaryWeight stays 0. The bug it guards against: the
// route was kept at 100/0, so the analysis ran on no canary traffic.
func TestAnABTestKeepsTheMatchingRequestsOnTheCanaryBetweenSteps(t *testing.T) {
	ab := withSpec(abTestingSpec)
	notDue := func(obs *RolloutObservation) { obs.Status.LastStepTime = at(-10 * time.Second) }
	route := func(w Weights) func(*RolloutObservation) {
		return func(obs *RolloutObservation) { obs.Weights = &w }
	}
	tests := []struct {
		name string
		obs  RolloutObservation
		want []Action
	}{
		{
			name: "a route that drifted to 100/0 after the first iteration is set back to 0/100",
			obs:  observe(progressing(0, 1), ab, notDue, route(Weights{Primary: 100})),
			want: []Action{SetWeights{Primary: 0, Canary: 100}},
		},
		{
			name: "a route at 0/100 after the first iteration is left as it is",
			obs:  observe(progressing(0, 2), ab, notDue, route(Weights{Canary: 100})),
		},
		{
			name: "before the first iteration the route stays all on the primary",
			obs:  observe(progressing(0, 0), ab, notDue, route(Weights{Primary: 100})),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DecideRollout(tt.obs)
			if diff := cmp.Diff(tt.want, d.Actions); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if d.Status.CanaryWeight != 0 || d.Status.Phase != v1alpha1.PhaseProgressing {
				t.Errorf("status: phase %s weight %d, want Progressing at weight 0", d.Status.Phase, d.Status.CanaryWeight)
			}
		})
	}
}
