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

var suspend = withSpec(func(s *v1alpha1.CanarySpec) { s.Suspend = true })

// suspendedAlready is st with the Suspended condition a suspension left.
func suspendedAlready(st v1alpha1.CanaryStatus) v1alpha1.CanaryStatus {
	st.Conditions = append(st.Conditions, metav1.Condition{Type: ConditionSuspended, Status: metav1.ConditionTrue, Reason: "Suspended"})
	return st
}

func TestDecideRolloutTakesNoStepWhileSuspended(t *testing.T) {
	suspendedNow := normal("Canary detail.flagger is suspended: no rollout steps until spec.suspend is false")
	resumed := normal("Canary detail.flagger resumed: spec.suspend is false")
	runRolloutCases(t, []rolloutCase{
		{
			name: "a new revision in Git does not start: the Canary says once that it is suspended",
			obs:  observe(initialized(), suspend),
			want: decided{messages: []Message{suspendedNow}},
		},
		{
			name: "a Canary still suspended says nothing again",
			obs:  observe(suspendedAlready(initialized()), suspend),
			want: decided{},
		},
		{
			name: "an analysis whose step is due takes none and asks for no checks",
			obs:  observe(progressing(5, 1), suspend),
			want: decided{messages: []Message{suspendedNow}},
		},
		{
			name: "a promotion goes no further",
			obs:  observe(suspendedAlready(in(v1alpha1.PhasePromoting, progressing(15, 3))), suspend),
			want: decided{},
		},
		{
			name: "a canary not ready past its deadline is not rolled back",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := suspendedAlready(progressing(5, 1))
				st.NotReadySince = at(-time.Hour)
				return st
			}(), suspend, canaryNotReady),
			want: decided{},
		},
		{
			name: "a settled Canary whose route drifted is not repaired",
			obs: observe(suspendedAlready(initialized()), suspend, revision("rev1aaaaaa", "c1c1c1c1c1"),
				func(obs *RolloutObservation) { obs.Weights = &Weights{Primary: 90, Canary: 10} }),
			want: decided{},
		},
		{
			name: "once resumed, a revision that came meanwhile starts",
			obs:  observe(suspendedAlready(initialized())),
			want: decided{
				actions:  newRevisionScalesUp.actions,
				messages: append([]Message{resumed}, newRevisionScalesUp.messages...),
				status:   newRevisionScalesUp.status,
				requeue:  newRevisionScalesUp.requeue,
			},
		},
		{
			name: "once resumed, an analysis takes its due step where it stopped",
			obs:  observe(suspendedAlready(progressing(5, 1)), stepChecked()),
			want: decided{
				actions:  []Action{SetWeights{Primary: 90, Canary: 10}},
				messages: []Message{resumed, normal("Advance detail.flagger canary weight 10")},
				status:   func(st *v1alpha1.CanaryStatus) { st.CanaryWeight, st.Iterations, st.LastStepTime = 10, 2, at(0) },
				requeue:  time.Minute,
			},
		},
		{
			name: "once resumed, a wait on a Deployment starts again: the time suspended is no part of the deadline",
			obs: observe(func() v1alpha1.CanaryStatus {
				st := suspendedAlready(progressing(5, 1))
				st.NotReadySince = at(-time.Hour)
				return st
			}(), canaryNotReady),
			want: decided{
				messages: []Message{resumed, warning("detail.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available")},
				status:   func(st *v1alpha1.CanaryStatus) { st.NotReadySince = at(0) },
				requeue:  PollInterval,
			},
		},
	})
}

// The status says a Canary is suspended: condition Suspended, True while
// it is, False (Resumed) after; a Canary never suspended has none.
func TestDecideRolloutKeepsTheSuspendedCondition(t *testing.T) {
	tests := []struct {
		name string
		obs  RolloutObservation
		want *metav1.Condition
	}{
		{"suspended", observe(initialized(), suspend), &metav1.Condition{Type: ConditionSuspended, Status: metav1.ConditionTrue, Reason: "Suspended",
			Message: "spec.suspend is true: no rollout step and no sync of the target until it is false."}},
		{"resumed", observe(suspendedAlready(initialized())), &metav1.Condition{Type: ConditionSuspended, Status: metav1.ConditionFalse, Reason: "Resumed",
			Message: "spec.suspend is false: the rollout goes on where it stopped."}},
		{"never suspended", observe(initialized()), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := meta.FindStatusCondition(DecideRollout(tt.obs).Status.Conditions, ConditionSuspended)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")); diff != "" {
				t.Errorf("Suspended condition (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecideSyncLeavesASuspendedCanaryAlone(t *testing.T) {
	initialized := initialized()
	tests := []struct {
		name string
		obs  SyncObservation
	}{
		{"first sight installs nothing", SyncObservation{Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1"}},
		{"a new revision is not recorded as pending", SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: true, Status: initialized}},
		{"the revision the primary runs is not installed again", SyncObservation{Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1", PrimaryReady: true, Status: initialized}},
		{"a primary without status is not adopted", SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: true,
			Primary: PrimaryRecord{Exists: true, Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.obs.Name, tt.obs.Namespace, tt.obs.Now, tt.obs.Suspended = "detail", "flagger", now, true
			want := SyncDecision{Suspended: true, Status: tt.obs.Status}
			if diff := cmp.Diff(want, DecideSync(tt.obs), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("DecideSync (-want +got):\n%s", diff)
			}
		})
	}
}
