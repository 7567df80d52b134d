package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJudgeRevertHunk(t *testing.T) {
	cases := []struct {
		name   string
		effect RevertEffect
		want   HunkVerdict
	}{
		{"a hunk that moves the failed target alone is reverted",
			RevertEffect{Renders: true, InScope: []string{"Deployment.apps detail.shop"}}, HunkRevert},
		{"a hunk that moves the target and another app is left and listed",
			RevertEffect{Renders: true, InScope: []string{"Deployment.apps detail.shop"}, Outside: []string{"Deployment.apps frontend.shop"}}, HunkShared},
		{"a hunk that moves only other objects is not the failed change",
			RevertEffect{Renders: true, Outside: []string{"Canary.sluice.dev search.shop"}}, HunkKeep},
		{"a hunk that moves nothing in the target's own file is reverted",
			RevertEffect{Renders: true, Owned: true}, HunkRevert},
		{"a hunk that moves nothing in a shared file is left",
			RevertEffect{Renders: true}, HunkKeep},
		{"a hunk that does not render alone waits for the others",
			RevertEffect{Renders: false, Owned: true}, HunkLater},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if got := JudgeRevertHunk(tt.effect); got != tt.want {
				t.Errorf("JudgeRevertHunk(%+v) = %s, want %s", tt.effect, got, tt.want)
			}
		})
	}
}

func TestDecideRevertPullRequest(t *testing.T) {
	const bad = "b2d584c0000000000000000000000000000000000"
	conflict := LeftHunk{Path: "detail/deployment.yaml", Where: "detail/deployment.yaml line 20", Why: "the branch changed the same lines since b2d584c", Conflict: true}
	shared := LeftHunk{Path: "common/kustomization.yaml", Where: "common/kustomization.yaml line 11", Why: "also changes Deployment.apps frontend.shop (canary frontend.shop)"}
	cases := []struct {
		name  string
		proof RevertProof
		want  RevertPullRequestDecision
	}{
		{"a revert that brings the target back is opened and restores",
			RevertProof{Chosen: 1, Revision: "good", GoodRevision: "good"},
			RevertPullRequestDecision{Open: true, Restores: true}},
		{"a revert that leaves a shared change is opened but does not restore",
			RevertProof{Chosen: 1, Revision: "between", GoodRevision: "good", Left: []LeftHunk{shared}},
			RevertPullRequestDecision{Open: true}},
		{"a revert whose rendering changes another app is never opened",
			RevertProof{Chosen: 2, Revision: "good", GoodRevision: "good", Outside: []string{"Deployment.apps frontend.shop (canary frontend.shop)"}},
			RevertPullRequestDecision{Reason: RevertProofFailed, Message: "revert of " + bad + " not opened: rendered, it would also change Deployment.apps frontend.shop (canary frontend.shop)"}},
		{"nothing chosen for a conflict names the file",
			RevertProof{Left: []LeftHunk{shared, conflict}},
			RevertPullRequestDecision{Reason: RevertConflict, Message: "revert of " + bad + " not opened: revert detail/deployment.yaml: the branch changed the same lines since b2d584c"}},
		{"nothing chosen for a shared change says what else it moves",
			RevertProof{Left: []LeftHunk{shared}},
			RevertPullRequestDecision{Reason: RevertShared, Message: "revert of " + bad + " not opened: every change that moves it moves other objects too: common/kustomization.yaml line 11 also changes Deployment.apps frontend.shop (canary frontend.shop)"}},
		{"nothing at all",
			RevertProof{},
			RevertPullRequestDecision{Reason: RevertNothingToRevert, Message: "revert of " + bad + " not opened: no change left moves it"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, DecideRevertPullRequest(bad, tt.proof)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
