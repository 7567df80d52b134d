package planner

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// ConditionRevertPullRequest is the condition that tells what became of
// the revert pull request of the last failure: True with reason Opened,
// False with reason Conflict, NothingToRevert or NotPossible (then its
// message names the failed commit, and no second attempt is made for it).
const ConditionRevertPullRequest = "RevertPullRequest"

// The reasons of ConditionRevertPullRequest.
const (
	RevertOpened          = "Opened"
	RevertConflict        = "Conflict"
	RevertNothingToRevert = "NothingToRevert"
	RevertNotPossible     = "NotPossible"
	RevertClosed          = "Closed"
)

// WriteBackObservation is what DecideWriteBack needs about one Canary once
// its sync or rollout step is persisted.
type WriteBackObservation struct {
	// Name and Namespace of the Canary.
	Name, Namespace string
	// Status is the Canary's persisted status.
	Status v1alpha1.CanaryStatus
	// Revision and Commit are what Git renders now for the target.
	Revision, Commit string
}

// OpenRevert asks for a branch with one commit that reverts, on top of the
// watched branch's head, the changes from Good to Bad to the target's
// files, and a pull request of it.
type OpenRevert struct {
	// Good is the last promoted commit; Bad the failed one.
	Good, Bad string
	// GoodRevision is the target's revision at Good: the one its primary
	// runs, which the revert must bring Git back to.
	GoodRevision string
	// Branch is sluice/revert-<canary>-<short Bad>.
	Branch string
	// Title of the pull request.
	Title string
	// Reason is why Bad failed; FailedChecks how many checks failed;
	// FailedWeight the canary weight it reached.
	Reason       string
	FailedChecks int32
	FailedWeight int32
}

// CloseRevert asks to close the revert pull request Number, if it is still
// open, with Comment.
type CloseRevert struct {
	Number  int
	Comment string
}

// WriteBackDecision is at most one pull request to open or close.
type WriteBackDecision struct {
	Open  *OpenRevert
	Close *CloseRevert
}

// DecideWriteBack decides the revert pull request of one Canary:
//   - a Canary that failed, whose failed revision Git still asks for, and
//     that has no revert pull request yet nor a settled attempt for this
//     failed commit (see ConditionRevertPullRequest): open one;
//   - an open revert pull request once Git no longer asks for the failed
//     revision: close it, saying whether Git came back to the promoted
//     revision (the pull request was merged, or Git was reverted by other
//     means) or a newer revision superseded it.
//
// It is idempotent: the reconciler records what it did in the status, and
// opening is itself idempotent on the forge and the remote, so a restart
// between the two never opens a second pull request.
func DecideWriteBack(obs WriteBackObservation) WriteBackDecision {
	st := obs.Status
	canaryID := obs.Name + "." + obs.Namespace
	switch {
	case st.RevertPullRequest != 0 && obs.Revision != "" && obs.Revision != st.LastFailedRevision:
		comment := fmt.Sprintf("Superseded by commit %s (revision %s), whose rollout has started: this revert no longer applies.", obs.Commit, short(obs.Revision))
		if obs.Revision == st.LastPromotedRevision {
			comment = fmt.Sprintf("Git is back at revision %s (commit %s), the one %s-primary.%s runs: nothing is left to revert.", short(obs.Revision), obs.Commit, obs.Name, obs.Namespace)
		}
		return WriteBackDecision{Close: &CloseRevert{Number: st.RevertPullRequest, Comment: comment}}
	case st.Phase == v1alpha1.PhaseFailed && st.RevertPullRequest == 0 &&
		obs.Revision == st.LastFailedRevision && st.LastFailedCommit != "" && st.LastPromotedCommit != "" &&
		!revertSettled(st):
		return WriteBackDecision{Open: &OpenRevert{
			Good: st.LastPromotedCommit, Bad: st.LastFailedCommit, GoodRevision: st.LastPromotedRevision,
			Branch:       "sluice/revert-" + obs.Name + "-" + short(st.LastFailedCommit),
			Title:        fmt.Sprintf("Revert %s to %s: canary failed", canaryID, short(st.LastPromotedCommit)),
			Reason:       st.FailureReason,
			FailedChecks: st.FailedChecks,
			FailedWeight: st.FailedWeight,
		}}
	}
	return WriteBackDecision{}
}

// revertSettled reports whether an attempt to open the revert pull
// request of the last failed commit ended in a way a retry cannot change.
func revertSettled(st v1alpha1.CanaryStatus) bool {
	for _, c := range st.Conditions {
		if c.Type == ConditionRevertPullRequest && c.Status == metav1.ConditionFalse &&
			c.Reason != RevertClosed && strings.Contains(c.Message, st.LastFailedCommit) {
			return true
		}
	}
	return false
}
