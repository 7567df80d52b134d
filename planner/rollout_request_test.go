package planner

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// asked is the edit of an observation that finds a manual request by
// alice on the Canary.
func asked(action v1alpha1.RequestAction) func(*RolloutObservation) {
	return func(obs *RolloutObservation) {
		obs.Request = &v1alpha1.ManualRequest{Action: action, By: "alice", At: metav1.NewTime(now.Add(-time.Second))}
	}
}

// pausedAlready is st with the Paused condition a pause left.
func pausedAlready(st v1alpha1.CanaryStatus) v1alpha1.CanaryStatus {
	st.Conditions = append(st.Conditions, metav1.Condition{Type: ConditionPaused, Status: metav1.ConditionTrue, Reason: "Paused"})
	return st
}

func TestDecideRolloutCarriesOutManualRequests(t *testing.T) {
	promoting := decided{
		actions: []Action{PromoteToPrimary{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2"}},
		messages: []Message{
			normal("Promotion of detail.flagger requested by alice: skipping the rest of the analysis"),
			normal("Copying detail.flagger template spec to detail-primary.flagger"),
		},
		status:  func(st *v1alpha1.CanaryStatus) { moved(st, v1alpha1.PhasePromoting) },
		requeue: PollInterval,
	}
	abortedRollback := rollingBack(0, warning("Rolling back detail.flagger aborted by alice"))
	runRolloutCases(t, []rolloutCase{
		{
			name: "abort rolls an analysis back at once, its step not due yet, naming who aborted",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := progressing(5, 1)
				st.LastStepTime = at(-10 * time.Second)
				return st
			}(), asked(v1alpha1.RequestAbort)),
			want: abortedRollback,
		},
		{
			name: "abort rolls back an analysis that waits for promotion approval",
			obs:  observe(in(v1alpha1.PhaseWaitingPromotion, progressing(15, 3)), asked(v1alpha1.RequestAbort)),
			want: rollingBack(0, warning("Rolling back detail.flagger aborted by alice")),
		},
		{
			name: "abort during the promotion puts the primary back",
			obs:  observe(in(v1alpha1.PhasePromoting, progressing(15, 3)), asked(v1alpha1.RequestAbort)),
			want: decided{
				actions:  []Action{RestorePrimary{Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1"}, SetWeights{Primary: 100}, ScaleDownCanary{}},
				messages: []Message{warning("Rolling back detail.flagger aborted by alice"), warning("Canary failed! Scaling down detail.flagger")},
				status:   failed,
			},
		},
		{
			name: "abort of a paused analysis rolls it back",
			obs:  observe(pausedAlready(progressing(5, 1)), asked(v1alpha1.RequestAbort)),
			want: decided{
				actions:  abortedRollback.actions,
				messages: append([]Message{normal("Canary detail.flagger aborted by alice")}, abortedRollback.messages...),
				status:   abortedRollback.status,
			},
		},
		{
			name: "abort with no analysis in flight does nothing but say so",
			obs:  observe(initialized(), asked(v1alpha1.RequestAbort), revision("rev1aaaaaa", "c1c1c1c1c1")),
			want: decided{messages: []Message{normal("Canary detail.flagger has no analysis in flight: abort by alice has nothing to do")}},
		},
		{
			name: "abort carried out before a restart finds the rollback done and does nothing again",
			obs:  observe(func() v1alpha1.CanaryStatus { st := progressing(5, 1); failed(&st); return st }(), asked(v1alpha1.RequestAbort)),
			want: decided{messages: []Message{normal("Canary detail.flagger has no analysis in flight: abort by alice has nothing to do")}},
		},
		{
			name: "promote skips the remaining weights and checks, its step not due yet",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := progressing(5, 1)
				st.LastStepTime = at(-10 * time.Second)
				return st
			}(), asked(v1alpha1.RequestPromote)),
			want: promoting,
		},
		{
			name: "promote opens a closed confirm-promotion gate",
			obs:  observe(in(v1alpha1.PhaseWaitingPromotion, progressing(15, 3)), withHook("gate", v1alpha1.WebhookConfirmPromotion), asked(v1alpha1.RequestPromote)),
			want: promoting,
		},
		{
			name: "promote waits for a canary that is not ready, keeping the request",
			obs:  observe(progressing(5, 1), asked(v1alpha1.RequestPromote), canaryNotReady),
			want: decided{
				messages: []Message{warning("detail.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available")},
				status:   func(st *v1alpha1.CanaryStatus) { st.NotReadySince = at(0) },
				requeue:  PollInterval,
			},
		},
		{
			name: "promote of a revision Git no longer asks for is dropped, the analysis restarting for the new one",
			obs:  observe(progressing(5, 1), asked(v1alpha1.RequestPromote), revision("rev3cccccc", "c3c3c3c3c3")),
			want: decided{
				actions: []Action{SetWeights{Primary: 100}, ApplyCanary{Revision: "rev3cccccc", Commit: "c3c3c3c3c3"}, ScaleUpCanary{}},
				messages: []Message{
					normal("Canary detail.flagger: promote by alice dropped: Git asks for another revision than the one under analysis"),
					normal("New revision detected! Restarting analysis for detail.flagger"),
				},
				status: func(st *v1alpha1.CanaryStatus) {
					applied(st, "rev3cccccc", "c3c3c3c3c3")
					st.CanaryWeight, st.Iterations, st.LastStepTime = 0, 0, at(0)
				},
				requeue: time.Minute,
			},
		},
		{
			name: "promote with no analysis in flight does nothing but say so",
			obs:  observe(func() v1alpha1.CanaryStatus { st := progressing(5, 1); failed(&st); return st }(), asked(v1alpha1.RequestPromote)),
			want: decided{messages: []Message{normal("Canary detail.flagger has no analysis in flight: promote by alice has nothing to do")}},
		},
		{
			name: "pause holds a due step: no checks, no weight, a look again soon",
			obs:  observe(progressing(5, 1), asked(v1alpha1.RequestPause)),
			want: decided{
				messages: []Message{warning("Canary detail.flagger paused by alice: no rollout steps until sluice resume")},
				requeue:  PollInterval,
			},
		},
		{
			name: "a paused Canary does not start a new revision",
			obs:  observe(pausedAlready(initialized())),
			want: decided{requeue: PollInterval},
		},
		{
			name: "a paused analysis does not set a drifted route back",
			obs: observe(pausedAlready(progressing(5, 1)), func(obs *RolloutObservation) {
				obs.Weights = &Weights{Primary: 100}
			}),
			want: decided{requeue: PollInterval},
		},
		{
			name: "a paused canary not ready past its deadline is not rolled back",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := pausedAlready(progressing(5, 1))
				st.NotReadySince = at(-time.Hour)
				return st
			}(), canaryNotReady),
			want: decided{requeue: PollInterval},
		},
		{
			name: "pause of a paused Canary says nothing again",
			obs:  observe(pausedAlready(progressing(5, 1)), asked(v1alpha1.RequestPause)),
			want: decided{requeue: PollInterval},
		},
		{
			name: "resume takes the due step where the analysis stood",
			obs:  observe(pausedAlready(progressing(5, 1)), asked(v1alpha1.RequestResume), stepChecked()),
			want: decided{
				actions:  []Action{SetWeights{Primary: 90, Canary: 10}},
				messages: []Message{normal("Canary detail.flagger resumed by alice"), normal("Advance detail.flagger canary weight 10")},
				status:   func(st *v1alpha1.CanaryStatus) { st.CanaryWeight, st.Iterations, st.LastStepTime = 10, 2, at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "resume starts a wait on a Deployment again: the time paused is no part of the deadline",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := pausedAlready(progressing(5, 1))
				st.NotReadySince = at(-time.Hour)
				return st
			}(), asked(v1alpha1.RequestResume), canaryNotReady),
			want: decided{
				messages: []Message{normal("Canary detail.flagger resumed by alice"), warning("detail.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available")},
				status:   func(st *v1alpha1.CanaryStatus) { st.NotReadySince = at(0) },
				requeue:  PollInterval,
			},
		},
		{
			name: "resume of a Canary not paused says so and goes on",
			obs:  observe(initialized(), asked(v1alpha1.RequestResume), revision("rev1aaaaaa", "c1c1c1c1c1")),
			want: decided{messages: []Message{normal("Canary detail.flagger is not paused: resume by alice has nothing to do")}},
		},
		{
			name: "an unknown request is refused and the rollout goes on",
			obs:  observe(initialized(), asked("skip"), revision("rev1aaaaaa", "c1c1c1c1c1")),
			want: decided{messages: []Message{warning(`Canary detail.flagger: request "skip" by alice is unknown and ignored: want promote, abort, pause or resume`)}},
		},
		{
			name: "spec.suspend wins over a request, which waits",
			obs:  observe(suspendedAlready(progressing(5, 1)), suspend, asked(v1alpha1.RequestAbort)),
			want: decided{},
		},
	})
}

// A request is cleared once carried out or found with nothing to do, and
// kept while it waits; the decision that asks for checks never clears it
// (the call with the checks decides).
func TestDecideRolloutSaysWhenARequestIsHandled(t *testing.T) {
	tests := []struct {
		name string
		obs  RolloutObservation
		want bool
	}{
		{"abort carried out", observe(progressing(5, 1), asked(v1alpha1.RequestAbort)), true},
		{"abort with nothing to do", observe(initialized(), asked(v1alpha1.RequestAbort)), true},
		{"promote carried out", observe(progressing(5, 1), asked(v1alpha1.RequestPromote)), true},
		{"promote waiting for a ready canary", observe(progressing(5, 1), asked(v1alpha1.RequestPromote), canaryNotReady), false},
		{"pause", observe(progressing(5, 1), asked(v1alpha1.RequestPause)), true},
		{"resume asking for the step's checks", observe(pausedAlready(progressing(5, 1)), asked(v1alpha1.RequestResume)), false},
		{"resume with the step's checks", observe(pausedAlready(progressing(5, 1)), asked(v1alpha1.RequestResume), stepChecked()), true},
		{"unknown", observe(initialized(), asked("skip")), true},
		{"suspended", observe(progressing(5, 1), suspend, asked(v1alpha1.RequestPause)), false},
		{"no request", observe(progressing(5, 1), stepChecked()), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecideRollout(tt.obs).RequestHandled; got != tt.want {
				t.Errorf("RequestHandled = %t, want %t", got, tt.want)
			}
		})
	}
}

// The status says a Canary is paused: condition Paused, True while it is,
// False (Resumed) after; the pause of an analysis is in its commit status.
func TestDecideRolloutKeepsThePausedCondition(t *testing.T) {
	tests := []struct {
		name string
		obs  RolloutObservation
		want *metav1.Condition
	}{
		{"paused", observe(progressing(5, 1), asked(v1alpha1.RequestPause)), &metav1.Condition{Type: ConditionPaused, Status: metav1.ConditionTrue, Reason: "Paused",
			Message: "paused by alice: no rollout step until sluice resume."}},
		{"resumed", observe(pausedAlready(progressing(5, 1)), asked(v1alpha1.RequestResume), stepChecked()), &metav1.Condition{Type: ConditionPaused, Status: metav1.ConditionFalse, Reason: "Resumed",
			Message: "resumed by alice: the rollout goes on where it stopped."}},
		{"aborted", observe(pausedAlready(progressing(5, 1)), asked(v1alpha1.RequestAbort)), &metav1.Condition{Type: ConditionPaused, Status: metav1.ConditionFalse, Reason: "Resumed",
			Message: "aborted by alice: the rollout goes on where it stopped."}},
		{"never paused", observe(progressing(5, 1), stepChecked()), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := meta.FindStatusCondition(DecideRollout(tt.obs).Status.Conditions, ConditionPaused)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")); diff != "" {
				t.Errorf("Paused condition (-want +got):\n%s", diff)
			}
		})
	}
	got := DecideRollout(observe(progressing(5, 1), asked(v1alpha1.RequestPause))).CommitStatuses
	want := []CommitStatus{{Commit: "c2c2c2c2c2", State: CommitPending, Description: "paused by alice at canary weight 5% — step 1/3"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commit statuses of a pause (-want +got):\n%s", diff)
	}
}
