package planner

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// SyncObservation is what the reconciler knows about one Canary target when
// it syncs a commit.
type SyncObservation struct {
	// Name and Namespace of the Canary.
	Name, Namespace string
	// Status is the live Canary status; zero for a Canary not yet in the
	// cluster.
	Status v1alpha1.CanaryStatus
	// Revision is the target's revision rendered from Commit.
	Revision string
	// Commit is the Git commit being synced.
	Commit string
	// PrimaryReady reports whether <target>-primary has finished rolling out
	// (only meaningful once it exists).
	PrimaryReady bool
	// Now is the time of the decision.
	Now time.Time
}

// SyncDecision is what to do with one Canary target.
type SyncDecision struct {
	// Install means: apply the rendered target scaled to zero, its primary
	// and its Services from this rendering. False leaves the live target
	// and primary as they are (a pending rollout must not be applied
	// blindly).
	Install bool
	// Status is the Canary status to persist.
	Status v1alpha1.CanaryStatus
	// Messages are logged and recorded as events, in order.
	Messages []string
	// CommitStatuses are written back to the forge, in order.
	CommitStatuses []CommitStatus
}

// DecideSync decides what syncing a commit does to one Canary target:
//   - first sight: install the primary from this revision (no analysis),
//     phase Initializing, then Initialized once the primary is ready;
//   - a rollout owns the Canary (phase Progressing, WaitingPromotion,
//     Promoting or Finalising): leave target, primary and status alone,
//     whatever the revision, since DecideRollout decides what it means (a
//     re-sync of the same head must not clobber a live rollout);
//   - the revision the primary already runs: keep it installed, clear any
//     pending revision (Git was reverted);
//   - the last applied or the last failed revision: leave everything alone
//     (the canary holds it, or it failed and a retry needs a new revision);
//   - another revision: leave target and primary alone and record the
//     revision and commit as pending, phase Waiting.
func DecideSync(obs SyncObservation) SyncDecision {
	st := *obs.Status.DeepCopy()
	id := obs.Name + "." + obs.Namespace
	var msgs []string
	var statuses []CommitStatus
	reportOn := func(commit string, state CommitState, format string, args ...any) {
		if commit != "" {
			statuses = append(statuses, CommitStatus{Commit: commit, State: state, Description: fmt.Sprintf(format, args...)})
		}
	}
	report := func(state CommitState, format string, args ...any) { reportOn(obs.Commit, state, format, args...) }
	setPhase := func(phase v1alpha1.CanaryPhase) {
		if st.Phase != phase {
			st.Phase = phase
			t := metav1.NewTime(obs.Now)
			st.LastTransitionTime = &t
		}
	}

	switch {
	case st.LastPromotedRevision == "":
		if st.Phase != v1alpha1.PhaseInitializing || st.LastAppliedRevision != obs.Revision {
			msgs = append(msgs, fmt.Sprintf("Installing %s: creating %s-primary from revision %s (commit %s)", id, obs.Name, short(obs.Revision), short(obs.Commit)))
		}
		setApplied(&st, obs)
		setPhase(v1alpha1.PhaseInitializing)
		if obs.PrimaryReady {
			st.LastPromotedRevision, st.LastPromotedCommit = obs.Revision, obs.Commit
			setPhase(v1alpha1.PhaseInitialized)
			msgs = append(msgs, fmt.Sprintf("Initialization done! %s", id))
			report(CommitSuccess, "installed as %s-primary.%s (first revision: no analysis)", obs.Name, obs.Namespace)
		}
		return SyncDecision{Install: true, Status: st, Messages: msgs, CommitStatuses: statuses}

	case RolloutOwns(st.Phase):
		return SyncDecision{Install: false, Status: st}

	case obs.Revision == st.LastPromotedRevision:
		if st.PendingRevision != "" {
			msgs = append(msgs, fmt.Sprintf("Pending revision %s of %s withdrawn: Git is back at the revision the primary runs", short(st.PendingRevision), id))
			if st.PendingCommit != obs.Commit {
				reportOn(st.PendingCommit, CommitError, "withdrawn: Git is back at revision %s, the one the primary runs", short(obs.Revision))
			}
			st.PendingRevision, st.PendingCommit = "", ""
			setPhase(v1alpha1.PhaseInitialized)
		}
		if st.LastAppliedRevision != obs.Revision {
			// Git came back (a merged revert): its commit is what runs.
			setApplied(&st, obs)
			report(CommitSuccess, "primary already runs this revision (%s)", short(obs.Revision))
		}
		return SyncDecision{Install: true, Status: st, Messages: msgs, CommitStatuses: statuses}

	case obs.Revision == st.LastAppliedRevision || obs.Revision == st.LastFailedRevision:
		return SyncDecision{Install: false, Status: st}

	default:
		if st.PendingRevision != obs.Revision {
			if st.PendingCommit != "" && st.PendingCommit != obs.Commit {
				reportOn(st.PendingCommit, CommitError, "%s", supersededBy(obs.Commit))
			}
			msgs = append(msgs, fmt.Sprintf("New revision %s of %s detected in commit %s: waiting for rollout", short(obs.Revision), id, short(obs.Commit)))
			report(CommitPending, "revision %s detected: the canary analysis starts shortly", short(obs.Revision))
		}
		st.PendingRevision, st.PendingCommit = obs.Revision, obs.Commit
		setPhase(v1alpha1.PhaseWaiting)
		return SyncDecision{Install: false, Status: st, Messages: msgs, CommitStatuses: statuses}
	}
}

// RolloutOwns reports whether phase belongs to a rollout in flight, whose
// status only DecideRollout may change.
func RolloutOwns(phase v1alpha1.CanaryPhase) bool {
	switch phase {
	case v1alpha1.PhaseProgressing, v1alpha1.PhaseWaitingPromotion, v1alpha1.PhasePromoting, v1alpha1.PhaseFinalising:
		return true
	}
	return false
}

// setApplied records the revision and commit being applied.
func setApplied(st *v1alpha1.CanaryStatus, obs SyncObservation) {
	st.LastAppliedRevision, st.LastAppliedCommit = obs.Revision, obs.Commit
	st.LastAppliedCommitShort = short(obs.Commit)
}

// short abbreviates a commit SHA or revision hash to 7 characters.
func short(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}
