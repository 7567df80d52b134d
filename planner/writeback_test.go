package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

func TestDecideWriteBack(t *testing.T) {
	failed := v1alpha1.CanaryStatus{
		Phase:                v1alpha1.PhaseFailed,
		LastPromotedRevision: "rev2bbbbbb", LastPromotedCommit: "c2c2c2c2c2",
		LastAppliedRevision: "rev3cccccc", LastAppliedCommit: "c3c3c3c3c3",
		LastFailedRevision: "rev3cccccc", LastFailedCommit: "c3c3c3c3c3",
		FailureReason: "success rate 23.03% < 99%", FailedChecks: 1, FailedWeight: 5,
	}
	withPR := *failed.DeepCopy()
	withPR.RevertPullRequest = 7
	settled := func(reason, message string) v1alpha1.CanaryStatus {
		st := *failed.DeepCopy()
		st.Conditions = []metav1.Condition{{Type: ConditionRevertPullRequest, Status: metav1.ConditionFalse, Reason: reason, Message: message}}
		return st
	}
	open := &OpenRevert{
		Good: "c2c2c2c2c2", Bad: "c3c3c3c3c3", GoodRevision: "rev2bbbbbb", Branch: "sluice/revert-detail-c3c3c3c",
		Title: "Revert detail.flagger to c2c2c2c: canary failed", Reason: "success rate 23.03% < 99%", FailedChecks: 1, FailedWeight: 5,
	}
	tests := []struct {
		name     string
		status   v1alpha1.CanaryStatus
		revision string
		commit   string
		want     WriteBackDecision
	}{
		{name: "a failure Git still asks for opens a revert", status: failed, revision: "rev3cccccc", commit: "c3c3c3c3c3", want: WriteBackDecision{Open: open}},
		{name: "a later commit with the same failed revision still opens it", status: failed, revision: "rev3cccccc", commit: "c4c4c4c4c4", want: WriteBackDecision{Open: open}},
		{name: "an open revert is not opened twice", status: withPR, revision: "rev3cccccc", commit: "c3c3c3c3c3"},
		{name: "a conflict for this failed commit is not retried", status: settled(RevertConflict, "revert of c3c3c3c3c3: conflict"), revision: "rev3cccccc"},
		{name: "a conflict for an older failure does not stop this one", status: settled(RevertConflict, "revert of c1c1c1c1c1: conflict"), revision: "rev3cccccc", commit: "c3c3c3c3c3", want: WriteBackDecision{Open: open}},
		{name: "a failure Git already left needs no revert", status: failed, revision: "rev4dddddd", commit: "c4c4c4c4c4"},
		{name: "nothing failed, nothing to revert", status: v1alpha1.CanaryStatus{Phase: v1alpha1.PhaseSucceeded, LastPromotedCommit: "c2"}, revision: "rev2bbbbbb"},
		{
			name: "the merged revert is closed with Git back at the promoted revision", status: withPR, revision: "rev2bbbbbb", commit: "c5c5c5c5c5",
			want: WriteBackDecision{Close: &CloseRevert{Number: 7, Comment: "Git is back at revision rev2bbb (commit c5c5c5c5c5), the one detail-primary.flagger runs: nothing is left to revert."}},
		},
		{
			name: "a retry with a new revision closes the superseded revert", status: withPR, revision: "rev4dddddd", commit: "c4c4c4c4c4",
			want: WriteBackDecision{Close: &CloseRevert{Number: 7, Comment: "Superseded by commit c4c4c4c4c4 (revision rev4ddd), whose rollout has started: this revert no longer applies."}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecideWriteBack(WriteBackObservation{Name: "detail", Namespace: "flagger", Status: tt.status, Revision: tt.revision, Commit: tt.commit})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecideWriteBack (-want +got):\n%s", diff)
			}
		})
	}
}
