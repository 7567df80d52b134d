package planner

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// TestDecideRolloutPromotesInStepsWithStepWeightPromotion: once the
// primary runs the new revision, stepWeightPromotion moves that much of
// the traffic from the canary to the primary per interval, in Flagger's
// words, until the primary has it all (Finalising).
func TestDecideRolloutPromotesInStepsWithStepWeightPromotion(t *testing.T) {
	gradually := withSpec(func(s *v1alpha1.CanarySpec) {
		s.Analysis.StepWeight, s.Analysis.MaxWeight, s.Analysis.StepWeightPromotion = 25, 50, 20
	})
	// promoting is the promotion of rev2 with the canary at weight, the
	// last step (the copy, or a shift) lastStep ago.
	promoting := func(weight int32, lastStep time.Duration) v1alpha1.CanaryStatus {
		st := in(v1alpha1.PhasePromoting, progressing(weight, 2))
		st.LastStepTime = at(-lastStep)
		return st
	}
	runRolloutCases(t, []rolloutCase{
		{
			name: "an interval after the copy, a ready primary gets stepWeightPromotion more of the traffic",
			obs:  observe(promoting(50, time.Minute), gradually),
			want: decided{
				actions:  []Action{SetWeights{Primary: 70, Canary: 30}},
				messages: []Message{normal("Advance detail.flagger primary weight 70")},
				status:   func(st *v1alpha1.CanaryStatus) { st.CanaryWeight, st.LastStepTime = 30, at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "the next shift waits for the interval to pass",
			obs:  observe(promoting(30, 20*time.Second), gradually),
			want: decided{requeue: 40 * time.Second},
		},
		{
			name: "a route that drifted between shifts is set back to the status's split",
			obs: observe(promoting(30, 20*time.Second), gradually,
				func(obs *RolloutObservation) { obs.Weights = &Weights{Primary: 50, Canary: 50} }),
			want: decided{actions: []Action{SetWeights{Primary: 70, Canary: 30}}, requeue: 40 * time.Second},
		},
		{
			name: "the shift that gives the primary everything finalises, without overshooting",
			obs:  observe(promoting(10, time.Minute), gradually),
			want: decided{
				actions:  []Action{SetWeights{Primary: 100}},
				messages: []Message{normal("Advance detail.flagger primary weight 100")},
				status: func(st *v1alpha1.CanaryStatus) {
					moved(st, v1alpha1.PhaseFinalising)
					st.CanaryWeight, st.LastStepTime = 0, at(0)
				},
				requeue: PollInterval,
			},
		},
		{
			name: "no shift before the primary is ready",
			obs:  observe(promoting(50, time.Minute), gradually, primaryNotReady),
			want: decided{
				messages: []Message{warning("detail-primary.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available")},
				status:   func(st *v1alpha1.CanaryStatus) { st.NotReadySince = at(0) },
				requeue:  PollInterval,
			},
		},
		{
			name: "a canary without traffic (an analysis by iterations) gives it all back at once",
			obs: observe(promoting(0, time.Minute), gradually, withSpec(func(s *v1alpha1.CanarySpec) {
				s.Analysis.StepWeight, s.Analysis.MaxWeight, s.Analysis.Iterations = 0, 0, 3
			})),
			want: decided{
				actions:  []Action{SetWeights{Primary: 100}},
				messages: []Message{normal("Routing all traffic to primary")},
				status:   func(st *v1alpha1.CanaryStatus) { moved(st, v1alpha1.PhaseFinalising) },
				requeue:  PollInterval,
			},
		},
		{
			name: "a blue/green switch (provider kubernetes) switches back at once",
			obs: observe(promoting(50, time.Minute), gradually,
				withSpec(func(s *v1alpha1.CanarySpec) { s.Provider = v1alpha1.ProviderKubernetes })),
			want: decided{
				actions:  []Action{SetWeights{Primary: 100}},
				messages: []Message{normal("Routing all traffic to primary")},
				status:   func(st *v1alpha1.CanaryStatus) { moved(st, v1alpha1.PhaseFinalising); st.CanaryWeight = 0 },
				requeue:  PollInterval,
			},
		},
		{
			name: "without stepWeightPromotion the primary takes all the traffic as soon as it is ready",
			obs:  observe(promoting(50, 0)),
			want: decided{
				actions:  []Action{SetWeights{Primary: 100}},
				messages: []Message{normal("Routing all traffic to primary")},
				status:   func(st *v1alpha1.CanaryStatus) { moved(st, v1alpha1.PhaseFinalising); st.CanaryWeight = 0 },
				requeue:  PollInterval,
			},
		},
	})
}

func TestAPromotionStepIsPendingWithThePrimarysWeight(t *testing.T) {
	st := in(v1alpha1.PhasePromoting, progressing(50, 2))
	got := DecideRollout(observe(st, withSpec(func(s *v1alpha1.CanarySpec) { s.Analysis.StepWeightPromotion = 20 }))).CommitStatuses
	want := []CommitStatus{{Commit: "c2c2c2c2c2", State: CommitPending, Description: "promoting: primary weight 70%"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CommitStatuses (-want +got):\n%s", diff)
	}
}
