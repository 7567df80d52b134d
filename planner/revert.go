package planner

import (
	"fmt"
	"strings"
)

// The revert pull request of a failed target reverts, among the changes
// from the last promoted commit to the failed one in the target's files,
// the hunks that move that target alone. The reconciler tries the hunks
// one at a time on the head of the branch, renders each try and asks
// JudgeRevertHunk; once the choice is made it renders it again and asks
// DecideRevertPullRequest whether what it would open is proven.

// RevertEffect is what reverting one more hunk, on top of the hunks
// chosen so far, does to the rendering of the branch head.
type RevertEffect struct {
	// Renders is false when the tree with the hunk reverted does not
	// render.
	Renders bool
	// InScope are the objects of the failed target's scope (its Canary,
	// its Deployment, the configs it alone uses) whose rendering changes.
	InScope []string
	// Outside are the other objects whose rendering changes, or that
	// appear or disappear, described for people.
	Outside []string
	// Owned is true when the hunk's file feeds the failed target and no
	// other Canary's target.
	Owned bool
}

// HunkVerdict is what becomes of one hunk of a revert.
type HunkVerdict string

// The verdicts of JudgeRevertHunk.
const (
	// HunkRevert: the hunk moves the failed target and nothing else (or
	// moves nothing and its file is the target's alone): reverted.
	HunkRevert HunkVerdict = "revert"
	// HunkKeep: the hunk does not concern the failed target (it moves
	// other objects only, or nothing in a file other targets share): left
	// as the head has it, and not listed.
	HunkKeep HunkVerdict = "keep"
	// HunkShared: the hunk moves the failed target and other objects
	// too (a shared base, a shared config): left as the head has it, and
	// listed under "Not reverted" with what else it would change.
	HunkShared HunkVerdict = "shared"
	// HunkLater: the tree does not render with the hunk alone reverted
	// (a file and the line that lists it, say): tried again once other
	// hunks are chosen.
	HunkLater HunkVerdict = "later"
)

// JudgeRevertHunk decides whether one hunk goes into a revert, from what
// reverting it does on top of the hunks already chosen.
func JudgeRevertHunk(effect RevertEffect) HunkVerdict {
	switch {
	case !effect.Renders:
		return HunkLater
	case len(effect.Outside) > 0 && len(effect.InScope) > 0:
		return HunkShared
	case len(effect.Outside) > 0:
		return HunkKeep
	case len(effect.InScope) > 0, effect.Owned:
		return HunkRevert
	}
	return HunkKeep
}

// LeftHunk is a change of the failed commit that a revert leaves as the
// head has it, and why.
type LeftHunk struct {
	// Path is the file; Where the file and lines, for people.
	Path, Where string
	// Why is the reason, such as "the branch changed the same lines since
	// 1a2b3c4" or "also changes Deployment frontend.shop (canary
	// frontend.shop)".
	Why string
	// Conflict: the branch changed the same lines since the failed commit.
	Conflict bool
}

// RevertProof is what the reconciler found when it rendered the revert
// it chose next to the head of the branch.
type RevertProof struct {
	// Chosen is how many hunks the revert reverts.
	Chosen int
	// Outside are the objects outside the failed target's scope that the
	// revert's rendering has otherwise than the head's (or has and the
	// head has not, or the reverse), described for people.
	Outside []string
	// Revision is the failed target's revision on the revert;
	// GoodRevision the one its primary runs (the last promoted).
	Revision, GoodRevision string
	// Left are the hunks left out, conflicts first.
	Left []LeftHunk
}

// RevertPullRequestDecision says whether to open the revert pull request
// and, when not, the reason and message of ConditionRevertPullRequest.
type RevertPullRequestDecision struct {
	// Open: push the revert and open its pull request.
	Open bool
	// Restores: merging it brings the target back to the revision its
	// primary runs; false means it reverts part of the change only, and
	// merging it starts an analysis of what it leaves.
	Restores bool
	// Reason and Message, when not Open: why no pull request is opened.
	// The message names the failed commit, so the attempt is settled.
	Reason, Message string
}

// The reasons of ConditionRevertPullRequest added by the proof.
const (
	// RevertShared: every change that moves the failed target also moves
	// another one; nothing is reverted automatically.
	RevertShared = "Shared"
	// RevertProofFailed: the revert's rendering differs from the head's
	// outside the failed target; it is not opened.
	RevertProofFailed = "ProofFailed"
)

// DecideRevertPullRequest decides from the proof whether the revert of
// the failed commit bad is opened:
//   - a revert that would change anything outside the failed target's
//     scope is never opened (ProofFailed, naming those objects);
//   - a revert that reverts nothing is not opened: Conflict when a hunk
//     left is a conflict, Shared when the hunks left move other targets
//     too, NothingToRevert otherwise;
//   - any other is opened; it Restores when the target's revision on it
//     is the primary's.
func DecideRevertPullRequest(bad string, proof RevertProof) RevertPullRequestDecision {
	prefix := fmt.Sprintf("revert of %s not opened: ", bad)
	switch {
	case len(proof.Outside) > 0:
		return RevertPullRequestDecision{Reason: RevertProofFailed,
			Message: prefix + "rendered, it would also change " + strings.Join(proof.Outside, ", ")}
	case proof.Chosen > 0:
		return RevertPullRequestDecision{Open: true, Restores: proof.Revision == proof.GoodRevision}
	}
	for _, left := range proof.Left {
		if left.Conflict {
			return RevertPullRequestDecision{Reason: RevertConflict, Message: prefix + "revert " + left.Path + ": " + left.Why}
		}
	}
	if len(proof.Left) > 0 {
		parts := make([]string, len(proof.Left))
		for i, left := range proof.Left {
			parts[i] = left.Where + " " + left.Why
		}
		return RevertPullRequestDecision{Reason: RevertShared,
			Message: prefix + "every change that moves it moves other objects too: " + strings.Join(parts, "; ")}
	}
	return RevertPullRequestDecision{Reason: RevertNothingToRevert, Message: prefix + "no change left moves it"}
}
