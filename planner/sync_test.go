package planner

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

func TestDecideSync(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	earlier := metav1.NewTime(now.Add(-time.Hour))
	at := metav1.NewTime(now)
	initialized := v1alpha1.CanaryStatus{
		Phase: v1alpha1.PhaseInitialized, LastTransitionTime: &earlier,
		LastAppliedRevision: "rev1aaaaaa", LastAppliedCommit: "c1c1c1c1c1", LastAppliedCommitShort: "c1c1c1c",
		LastPromotedRevision: "rev1aaaaaa", LastPromotedCommit: "c1c1c1c1c1",
	}
	waiting := *initialized.DeepCopy()
	waiting.Phase, waiting.LastTransitionTime = v1alpha1.PhaseWaiting, &earlier
	waiting.PendingRevision, waiting.PendingCommit = "rev2bbbbbb", "c2c2c2c2c2"

	progressing := *initialized.DeepCopy()
	progressing.Phase, progressing.CanaryWeight = v1alpha1.PhaseProgressing, 10
	progressing.LastAppliedRevision, progressing.LastAppliedCommit, progressing.LastAppliedCommitShort = "rev2bbbbbb", "c2c2c2c2c2", "c2c2c2c"
	inPhase := func(phase v1alpha1.CanaryPhase) v1alpha1.CanaryStatus {
		st := *progressing.DeepCopy()
		st.Phase = phase
		return st
	}
	installing := v1alpha1.CanaryStatus{
		Phase: v1alpha1.PhaseInitializing, LastTransitionTime: &earlier,
		LastAppliedRevision: "rev1aaaaaa", LastAppliedCommit: "c1c1c1c1c1", LastAppliedCommitShort: "c1c1c1c",
	}
	failed := *progressing.DeepCopy()
	failed.Phase, failed.CanaryWeight, failed.LastFailedRevision = v1alpha1.PhaseFailed, 0, "rev2bbbbbb"

	tests := []struct {
		name string
		obs  SyncObservation
		want SyncDecision
	}{
		{
			name: "a Canary seen for the first time installs its primary and waits for it",
			obs:  SyncObservation{Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1"},
			want: SyncDecision{Install: true, Status: v1alpha1.CanaryStatus{
				Phase: v1alpha1.PhaseInitializing, LastTransitionTime: &at,
				LastAppliedRevision: "rev1aaaaaa", LastAppliedCommit: "c1c1c1c1c1", LastAppliedCommitShort: "c1c1c1c",
			}, Messages: []string{"Installing detail.flagger: creating detail-primary from revision rev1aaa (commit c1c1c1c)"}},
		},
		{
			name: "a ready primary finishes the initialization without analysis",
			obs: SyncObservation{Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1", PrimaryReady: true, Status: v1alpha1.CanaryStatus{
				Phase: v1alpha1.PhaseInitializing, LastTransitionTime: &earlier,
				LastAppliedRevision: "rev1aaaaaa", LastAppliedCommit: "c1c1c1c1c1", LastAppliedCommitShort: "c1c1c1c",
			}},
			want: SyncDecision{Install: true, Status: func() v1alpha1.CanaryStatus {
				st := *initialized.DeepCopy()
				st.LastTransitionTime = &at
				return st
			}(), Messages: []string{"Initialization done! detail.flagger"},
				CommitStatuses: []CommitStatus{{Commit: "c1c1c1c1c1", State: CommitSuccess, Description: "installed as detail-primary.flagger (first revision: no analysis)"}}},
		},
		{
			name: "the revision the primary runs changes nothing",
			obs:  SyncObservation{Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1", PrimaryReady: true, Status: initialized},
			want: SyncDecision{Install: true, Status: initialized},
		},
		{
			name: "a new revision is recorded as pending and not applied",
			obs:  SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: true, Status: initialized},
			want: SyncDecision{Install: false, Status: func() v1alpha1.CanaryStatus {
				st := *waiting.DeepCopy()
				st.LastTransitionTime = &at
				return st
			}(), Messages: []string{"New revision rev2bbb of detail.flagger detected in commit c2c2c2c: waiting for rollout"},
				CommitStatuses: []CommitStatus{{Commit: "c2c2c2c2c2", State: CommitPending, Description: "revision rev2bbb detected: the canary analysis starts shortly"}}},
		},
		{
			name: "the same pending revision seen again says nothing new",
			obs:  SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: true, Status: waiting},
			want: SyncDecision{Install: false, Status: waiting},
		},
		{
			name: "a Canary that lost its status adopts its primary, and the revision that failed stays failed",
			obs: SyncObservation{Revision: "rev3cccccc", Commit: "c4c4c4c4c4", PrimaryReady: true,
				Primary: PrimaryRecord{Exists: true, Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", FailedRevision: "rev3cccccc", FailedCommit: "c3c3c3c3c3", FailedReason: "success rate 23.03% < 99%"}},
			want: SyncDecision{Install: false, Status: v1alpha1.CanaryStatus{
				Phase: v1alpha1.PhaseFailed, LastTransitionTime: &at,
				LastAppliedRevision: "rev2bbbbbb", LastAppliedCommit: "c2c2c2c2c2", LastAppliedCommitShort: "c2c2c2c",
				LastPromotedRevision: "rev2bbbbbb", LastPromotedCommit: "c2c2c2c2c2",
				LastFailedRevision: "rev3cccccc", LastFailedCommit: "c3c3c3c3c3", FailureReason: "success rate 23.03% < 99%",
			}, Messages: []string{"Adopting detail-primary.flagger: it runs revision rev2bbb (commit c2c2c2c)"}},
		},
		{
			name: "a Canary that lost its status while Git asks for another revision waits for its analysis",
			obs: SyncObservation{Revision: "rev4dddddd", Commit: "c4c4c4c4c4", PrimaryReady: true,
				Primary: PrimaryRecord{Exists: true, Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2"}},
			want: SyncDecision{Install: false, Status: v1alpha1.CanaryStatus{
				Phase: v1alpha1.PhaseWaiting, LastTransitionTime: &at,
				LastAppliedRevision: "rev2bbbbbb", LastAppliedCommit: "c2c2c2c2c2", LastAppliedCommitShort: "c2c2c2c",
				LastPromotedRevision: "rev2bbbbbb", LastPromotedCommit: "c2c2c2c2c2",
				PendingRevision: "rev4dddddd", PendingCommit: "c4c4c4c4c4",
			}, Messages: []string{"Adopting detail-primary.flagger: it runs revision rev2bbb (commit c2c2c2c)", "New revision rev4ddd of detail.flagger detected in commit c4c4c4c: waiting for rollout"},
				CommitStatuses: []CommitStatus{{Commit: "c4c4c4c4c4", State: CommitPending, Description: "revision rev4ddd detected: the canary analysis starts shortly"}}},
		},
		{
			name: "a primary sluice did not make runs no revision Git renders: Git's is analysed",
			obs:  SyncObservation{Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1", PrimaryReady: true, Primary: PrimaryRecord{Exists: true}},
			want: SyncDecision{Install: false, Status: v1alpha1.CanaryStatus{
				Phase: v1alpha1.PhaseWaiting, LastTransitionTime: &at,
				LastAppliedRevision: "unrecorded", LastPromotedRevision: "unrecorded",
				PendingRevision: "rev1aaaaaa", PendingCommit: "c1c1c1c1c1",
			}, Messages: []string{"Adopting detail-primary.flagger: it runs revision unrecor (commit unknown)", "New revision rev1aaa of detail.flagger detected in commit c1c1c1c: waiting for rollout"},
				CommitStatuses: []CommitStatus{{Commit: "c1c1c1c1c1", State: CommitPending, Description: "revision rev1aaa detected: the canary analysis starts shortly"}}},
		},
		{
			name: "a newer revision while the first install is not ready waits for it, never reaching the primary",
			obs: SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: false, Status: installing,
				Primary: PrimaryRecord{Exists: true, Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1"}},
			want: SyncDecision{Install: false, Status: func() v1alpha1.CanaryStatus {
				st := *installing.DeepCopy()
				st.PendingRevision, st.PendingCommit = "rev2bbbbbb", "c2c2c2c2c2"
				return st
			}(), Messages: []string{"New revision rev2bbb of detail.flagger detected in commit c2c2c2c while detail-primary is not ready: it will be analysed once it is"},
				CommitStatuses: []CommitStatus{{Commit: "c2c2c2c2c2", State: CommitPending, Description: "revision rev2bbb detected: the canary analysis starts once detail-primary is ready"}}},
		},
		{
			name: "once the first install is ready, it is done and the newer revision waits for its analysis",
			obs: SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: true, Status: func() v1alpha1.CanaryStatus {
				st := *installing.DeepCopy()
				st.PendingRevision, st.PendingCommit = "rev2bbbbbb", "c2c2c2c2c2"
				return st
			}(), Primary: PrimaryRecord{Exists: true, Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1"}},
			want: SyncDecision{Install: false, Status: func() v1alpha1.CanaryStatus {
				st := *installing.DeepCopy()
				st.Phase, st.LastTransitionTime = v1alpha1.PhaseWaiting, &at
				st.LastPromotedRevision, st.LastPromotedCommit = "rev1aaaaaa", "c1c1c1c1c1"
				st.PendingRevision, st.PendingCommit = "rev2bbbbbb", "c2c2c2c2c2"
				return st
			}(), Messages: []string{"Initialization done! detail.flagger"},
				CommitStatuses: []CommitStatus{{Commit: "c1c1c1c1c1", State: CommitSuccess, Description: "installed as detail-primary.flagger (first revision: no analysis)"}}},
		},
		{
			name: "a newer revision while one waits supersedes it, and its commit hears so",
			obs:  SyncObservation{Revision: "rev3cccccc", Commit: "c3c3c3c3c3", PrimaryReady: true, Status: waiting},
			want: SyncDecision{Install: false, Status: func() v1alpha1.CanaryStatus {
				st := *waiting.DeepCopy()
				st.PendingRevision, st.PendingCommit = "rev3cccccc", "c3c3c3c3c3"
				return st
			}(), Messages: []string{"New revision rev3ccc of detail.flagger detected in commit c3c3c3c: waiting for rollout"},
				CommitStatuses: []CommitStatus{
					{Commit: "c2c2c2c2c2", State: CommitError, Description: "superseded by c3c3c3c; not analysed", Superseded: true},
					{Commit: "c3c3c3c3c3", State: CommitPending, Description: "revision rev3ccc detected: the canary analysis starts shortly"},
				}},
		},
		{
			name: "Git reverted to the primary's revision withdraws the pending one",
			obs:  SyncObservation{Revision: "rev1aaaaaa", Commit: "c3c3c3c3c3", PrimaryReady: true, Status: waiting},
			want: SyncDecision{Install: true, Status: func() v1alpha1.CanaryStatus {
				st := *initialized.DeepCopy()
				st.LastTransitionTime = &at
				st.LastAppliedCommit, st.LastAppliedCommitShort = "c1c1c1c1c1", "c1c1c1c"
				return st
			}(), Messages: []string{"Pending revision rev2bbb of detail.flagger withdrawn: Git is back at the revision the primary runs"},
				CommitStatuses: []CommitStatus{{Commit: "c2c2c2c2c2", State: CommitError, Description: "withdrawn: Git is back at revision rev1aaa, the one the primary runs"}}},
		},
		{
			// Regression: Sync re-syncs the same head every interval, and
			// used to set Waiting over a live rollout.
			name: "a re-sync of the head under rollout leaves a Progressing rollout alone",
			obs:  SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: true, Status: inPhase(v1alpha1.PhaseProgressing)},
			want: SyncDecision{Install: false, Status: inPhase(v1alpha1.PhaseProgressing)},
		},
		{
			// Regression: Sync re-syncs the same head every interval, and
			// used to set Waiting over a live rollout.
			name: "a re-sync of the head under rollout leaves a WaitingPromotion rollout alone",
			obs:  SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: true, Status: inPhase(v1alpha1.PhaseWaitingPromotion)},
			want: SyncDecision{Install: false, Status: inPhase(v1alpha1.PhaseWaitingPromotion)},
		},
		{
			// Regression: Sync re-syncs the same head every interval, and
			// used to set Waiting over a live rollout.
			name: "a re-sync of the head under rollout leaves a Promoting rollout alone",
			obs:  SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: true, Status: inPhase(v1alpha1.PhasePromoting)},
			want: SyncDecision{Install: false, Status: inPhase(v1alpha1.PhasePromoting)},
		},
		{
			// Regression: Sync re-syncs the same head every interval, and
			// used to set Waiting over a live rollout.
			name: "a re-sync of the head under rollout leaves a Finalising rollout alone",
			obs:  SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: true, Status: inPhase(v1alpha1.PhaseFinalising)},
			want: SyncDecision{Install: false, Status: inPhase(v1alpha1.PhaseFinalising)},
		},
		{
			name: "a newer revision mid-rollout is left to the rollout, which restarts the analysis",
			obs:  SyncObservation{Revision: "rev3cccccc", Commit: "c3c3c3c3c3", PrimaryReady: true, Status: progressing},
			want: SyncDecision{Install: false, Status: progressing},
		},
		{
			name: "a revert to the primary's revision mid-rollout is left to the rollout, which stops it",
			obs:  SyncObservation{Revision: "rev1aaaaaa", Commit: "c1c1c1c1c1", PrimaryReady: true, Status: progressing},
			want: SyncDecision{Install: false, Status: progressing},
		},
		{
			name: "the last failed revision stays failed and is not pending again",
			obs:  SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: true, Status: failed},
			want: SyncDecision{Install: false, Status: failed},
		},
		{
			name: "the last failed revision seen in a later commit stays failed",
			obs:  SyncObservation{Revision: "rev2bbbbbb", Commit: "c4c4c4c4c4", PrimaryReady: true, Status: failed},
			want: SyncDecision{Install: false, Status: failed},
		},
		{
			name: "the last applied revision after a rollout ended is not pending again",
			obs:  SyncObservation{Revision: "rev2bbbbbb", Commit: "c2c2c2c2c2", PrimaryReady: true, Status: inPhase(v1alpha1.PhaseInitialized)},
			want: SyncDecision{Install: false, Status: inPhase(v1alpha1.PhaseInitialized)},
		},
		{
			name: "a new revision after a failed one is pending",
			obs:  SyncObservation{Revision: "rev3cccccc", Commit: "c3c3c3c3c3", PrimaryReady: true, Status: failed},
			want: SyncDecision{Install: false, Status: func() v1alpha1.CanaryStatus {
				st := *failed.DeepCopy()
				st.Phase, st.LastTransitionTime = v1alpha1.PhaseWaiting, &at
				st.PendingRevision, st.PendingCommit = "rev3cccccc", "c3c3c3c3c3"
				return st
			}(), Messages: []string{"New revision rev3ccc of detail.flagger detected in commit c3c3c3c: waiting for rollout"},
				CommitStatuses: []CommitStatus{{Commit: "c3c3c3c3c3", State: CommitPending, Description: "revision rev3ccc detected: the canary analysis starts shortly"}}},
		},
		{
			name: "a merged revert of a failed revision is what runs: success on its commit, no rollout",
			obs:  SyncObservation{Revision: "rev1aaaaaa", Commit: "c5c5c5c5c5", PrimaryReady: true, Status: failed},
			want: SyncDecision{Install: true, Status: func() v1alpha1.CanaryStatus {
				st := *failed.DeepCopy()
				st.LastAppliedRevision, st.LastAppliedCommit, st.LastAppliedCommitShort = "rev1aaaaaa", "c5c5c5c5c5", "c5c5c5c"
				return st
			}(), CommitStatuses: []CommitStatus{{Commit: "c5c5c5c5c5", State: CommitSuccess, Description: "primary already runs this revision (rev1aaa)"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.obs.Name, tt.obs.Namespace, tt.obs.Now = "detail", "flagger", now
			got := DecideSync(tt.obs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecideSync (-want +got):\n%s", diff)
			}
		})
	}
}
