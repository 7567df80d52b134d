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
	// Primary is what <target>-primary records of the Canary's history:
	// the cluster's memory, which outlives the Canary's status.
	Primary PrimaryRecord
	// Suspended is the Canary's spec.suspend, as Git has it.
	Suspended bool
	// Now is the time of the decision.
	Now time.Time
}

// PrimaryRecord is what a primary Deployment records in its annotations:
// whether it exists, the revision and commit it runs, and the last
// revision that failed its analysis.
type PrimaryRecord struct {
	Exists                                     bool
	Revision, Commit                           string
	FailedRevision, FailedCommit, FailedReason string
}

// unrecordedRevision stands for the revision of a primary that records
// none (one sluice did not make): it equals no rendered revision, so
// whatever Git asks for is analysed before it reaches that primary.
const unrecordedRevision = "unrecorded"

// SyncDecision is what to do with one Canary target.
type SyncDecision struct {
	// Install means: apply the rendered target scaled to zero, its primary
	// and its Services from this rendering. False leaves the live target
	// and primary as they are (a pending rollout must not be applied
	// blindly).
	Install bool
	// Suspended means: leave everything generated for the Canary as it is,
	// its Services and routing too, not only its target and primary
	// (Install is false). The Canary itself is applied, so that Git can
	// set spec.suspend back to false.
	Suspended bool
	// Status is the Canary status to persist.
	Status v1alpha1.CanaryStatus
	// Messages are logged and recorded as events, in order.
	Messages []string
	// CommitStatuses are written back to the forge, in order.
	CommitStatuses []CommitStatus
}

// DecideSync decides what syncing a commit does to one Canary target:
//   - suspended (spec.suspend): nothing, whatever the revision, and the
//     status stays as it is; a revision that came meanwhile is seen once
//     the Canary is no longer suspended;
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
	case obs.Suspended:
		return SyncDecision{Suspended: true, Status: st}
	case st.LastPromotedRevision == "" && obs.Primary.Exists && (st.Phase != v1alpha1.PhaseInitializing || obs.Primary.Revision != obs.Revision):
		return adopt(obs)
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
				statuses = append(statuses, CommitStatus{Commit: st.PendingCommit, State: CommitError, Description: supersededBy(obs.Commit), Superseded: true})
			}
			msgs = append(msgs, fmt.Sprintf("New revision %s of %s detected in commit %s: waiting for rollout", short(obs.Revision), id, short(obs.Commit)))
			report(CommitPending, "revision %s detected: the canary analysis starts shortly", short(obs.Revision))
		}
		st.PendingRevision, st.PendingCommit = obs.Revision, obs.Commit
		setPhase(v1alpha1.PhaseWaiting)
		return SyncDecision{Install: false, Status: st, Messages: msgs, CommitStatuses: statuses}
	}
}

// adopt decides for a Canary whose status does not know its primary as
// promoted while the primary exists: the status was lost (the Canary
// deleted and re-applied from Git, a restore without status), or a newer
// revision came while the first install was still rolling out. The
// primary runs what it records, and nothing else reaches it without an
// analysis:
//   - while it is not ready, a first install goes on (Initializing) and a
//     newer revision waits for it as pending;
//   - once it is, the status takes what the primary records (the revision
//     it runs, the last that failed) and the sync is decided again from
//     there: the revision it runs is kept, the failed one stays failed,
//     any other waits for its analysis.
//
// A primary that records no revision (not made by sluice) runs a revision
// equal to none Git renders: whatever Git asks for is analysed.
func adopt(obs SyncObservation) SyncDecision {
	st := *obs.Status.DeepCopy()
	id := obs.Name + "." + obs.Namespace
	running := obs.Primary.Revision
	if running == "" {
		running = unrecordedRevision
	}
	if !obs.PrimaryReady {
		var decision SyncDecision
		if st.PendingRevision != obs.Revision {
			decision.Messages = append(decision.Messages, fmt.Sprintf("New revision %s of %s detected in commit %s while %s-primary is not ready: it will be analysed once it is", short(obs.Revision), id, short(obs.Commit), obs.Name))
			if st.PendingCommit != "" && st.PendingCommit != obs.Commit {
				decision.CommitStatuses = append(decision.CommitStatuses, CommitStatus{Commit: st.PendingCommit, State: CommitError, Description: supersededBy(obs.Commit), Superseded: true})
			}
			decision.CommitStatuses = append(decision.CommitStatuses, CommitStatus{Commit: obs.Commit, State: CommitPending, Description: fmt.Sprintf("revision %s detected: the canary analysis starts once %s-primary is ready", short(obs.Revision), obs.Name)})
		}
		st.PendingRevision, st.PendingCommit = obs.Revision, obs.Commit
		if st.Phase == "" {
			st.Phase = v1alpha1.PhaseInitializing
			t := metav1.NewTime(obs.Now)
			st.LastTransitionTime = &t
		}
		decision.Status = st
		return decision
	}
	var msgs []string
	var statuses []CommitStatus
	if st.Phase == v1alpha1.PhaseInitializing && st.LastAppliedRevision == running {
		// The first install finished while a newer revision waited.
		msgs = append(msgs, fmt.Sprintf("Initialization done! %s", id))
		statuses = append(statuses, CommitStatus{Commit: st.LastAppliedCommit, State: CommitSuccess,
			Description: fmt.Sprintf("installed as %s-primary.%s (first revision: no analysis)", obs.Name, obs.Namespace)})
		st.LastPromotedRevision, st.LastPromotedCommit = running, st.LastAppliedCommit
	} else {
		msgs = append(msgs, fmt.Sprintf("Adopting %s-primary.%s: it runs revision %s (commit %s)", obs.Name, obs.Namespace, short(running), orElse(short(obs.Primary.Commit), "unknown")))
		st.LastPromotedRevision, st.LastPromotedCommit = running, obs.Primary.Commit
		st.LastAppliedRevision, st.LastAppliedCommit, st.LastAppliedCommitShort = running, obs.Primary.Commit, short(obs.Primary.Commit)
	}
	if st.LastFailedRevision == "" && obs.Primary.FailedRevision != "" {
		st.LastFailedRevision, st.LastFailedCommit, st.FailureReason = obs.Primary.FailedRevision, obs.Primary.FailedCommit, obs.Primary.FailedReason
	}
	phase := v1alpha1.PhaseInitialized
	if obs.Revision == st.LastFailedRevision {
		phase = v1alpha1.PhaseFailed
	}
	if st.Phase != phase && (st.Phase == "" || st.Phase == v1alpha1.PhaseInitializing || phase == v1alpha1.PhaseFailed) {
		st.Phase = phase
		t := metav1.NewTime(obs.Now)
		st.LastTransitionTime = &t
	}
	next := obs
	next.Status = st
	decision := DecideSync(next)
	decision.Messages = append(msgs, decision.Messages...)
	decision.CommitStatuses = append(statuses, decision.CommitStatuses...)
	return decision
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
