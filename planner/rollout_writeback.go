package planner

import (
	"fmt"
	"slices"
)

// CommitState is the state of a commit status, as GitHub names them.
type CommitState string

// The states of a commit status.
const (
	// CommitPending: the revision of the commit is being rolled out.
	CommitPending CommitState = "pending"
	// CommitSuccess: the revision was promoted.
	CommitSuccess CommitState = "success"
	// CommitFailure: the revision was rolled back.
	CommitFailure CommitState = "failure"
	// CommitError: the rollout of the revision stopped for another reason
	// than its own health (superseded by a newer commit, withdrawn from Git).
	// Commit statuses have no neutral state; the description says it is
	// not a verdict on the commit (see supersededBy).
	CommitError CommitState = "error"
)

// supersededBy is the description of the final status of a commit whose
// revision a newer commit replaced before its analysis ended: "superseded
// by 1a2b3c4; not analysed". It is an error status, the only final state
// left that is not a verdict, and says so.
func supersededBy(commit string) string {
	return fmt.Sprintf("superseded by %s; not analysed", short(commit))
}

// CommitStatus is a commit status to write on Commit, in the context
// sluice/<namespace>/<canary>. Description is for people and may be longer
// than a forge accepts: the forge shortens it.
type CommitStatus struct {
	Commit      string
	State       CommitState
	Description string
	// Superseded marks the error status of a commit whose rollout a newer
	// commit replaced: not a verdict (a Check Run says "cancelled").
	Superseded bool
}

// report adds a commit status on the commit being rolled out; nothing
// without a commit.
func (r *rollout) report(commit string, state CommitState, format string, args ...any) {
	if commit == "" {
		return
	}
	r.commitStatuses = append(r.commitStatuses, CommitStatus{Commit: commit, State: state, Description: fmt.Sprintf(format, args...)})
}

// superseded adds the error status of a commit whose rollout the observed
// commit replaced before its analysis ended.
func (r *rollout) superseded(commit string) {
	if commit == "" {
		return
	}
	r.commitStatuses = append(r.commitStatuses, CommitStatus{Commit: commit, State: CommitError, Description: supersededBy(r.obs.Commit), Superseded: true})
}

// progress describes where the analysis is, e.g. "canary weight 10% — step
// 2/3" or "iteration 2/10".
func (r *rollout) progress() string {
	if r.iterations() {
		return fmt.Sprintf("iteration %d/%d", r.st.Iterations, r.obs.Spec.Analysis.Iterations)
	}
	step := slices.Index(r.steps, r.st.CanaryWeight) + 1
	if step == 0 && r.mirroring() {
		return fmt.Sprintf("canary weight 0%%, mirroring — step 0/%d", len(r.steps))
	}
	if step == 0 {
		return fmt.Sprintf("canary starting — step 0/%d", len(r.steps))
	}
	return fmt.Sprintf("canary weight %d%% — step %d/%d", r.st.CanaryWeight, step, len(r.steps))
}

// MaxUndelivered bounds the commit statuses kept for a forge that does not
// take them: the oldest go first.
const MaxUndelivered = 50

// Deliverable reports whether a queued commit status is still to be
// written: a pending status for a commit whose final status (success,
// failure, error) was written is not, since a status never goes
// backwards.
func Deliverable(state CommitState, finalWritten bool) bool {
	return state != CommitPending || !finalWritten
}

// IsFinal reports whether a status state ends a commit's story.
func IsFinal(state CommitState) bool { return state != CommitPending }
