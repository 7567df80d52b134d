package reconciler

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

// revertDraft is what choosing a revert needs of a gitsync.RevertDraft.
type revertDraft interface {
	Hunks() []gitsync.Hunk
	Tree(choice []int) (string, error)
}

// revertPlan is the revert chosen for a failed target, with its proof.
type revertPlan struct {
	// choice are the hunks of the draft to revert.
	choice []int
	// proof is what rendering the choice next to the head showed.
	proof planner.RevertProof
}

// renderFunc renders a checkout as sync does.
type renderFunc func(dir string) (*manifests.Rendering, error)

// chooseRevert picks, among the hunks of a draft, those whose reversal
// moves the failed target and nothing else, and proves the choice: it
// renders the head, then tries each hunk on top of those chosen so far,
// rendering the tree each time and asking planner.JudgeRevertHunk, in
// passes until one chooses nothing more (a hunk may need another first:
// a file and the line that lists it). Last it renders the whole choice
// and compares it with the head: the proof.
//
// canary names the failed Canary; goodRevision is the revision its
// primary runs. A head that does not render, or that no longer has the
// Canary, is an error: there is nothing to prove against.
func chooseRevert(draft revertDraft, render renderFunc, canary types.NamespacedName, goodRevision string) (revertPlan, error) {
	headDir, err := draft.Tree(nil)
	if err != nil {
		return revertPlan{}, err
	}
	head, err := render(headDir)
	if err != nil {
		return revertPlan{}, fmt.Errorf("the branch head does not render: %w", err)
	}
	if _, ok := head.Target(canary); !ok {
		return revertPlan{}, fmt.Errorf("the branch head no longer has canary %s", canary)
	}
	c := chooser{draft: draft, render: render, canary: canary, head: head, current: head, owned: ownedFiles(head, canary)}
	hunks := draft.Hunks()
	outcomes := make([]hunkOutcome, len(hunks))
	for i, h := range hunks {
		if h.Conflict != "" {
			outcomes[i] = hunkOutcome{verdict: planner.HunkShared, why: h.Conflict, conflict: true}
		}
	}
	for progress := true; progress; {
		progress = false
		for i, h := range hunks {
			if outcomes[i].verdict == planner.HunkRevert || outcomes[i].conflict {
				continue
			}
			outcomes[i] = c.try(i, h)
			progress = progress || outcomes[i].verdict == planner.HunkRevert
		}
	}
	return c.prove(hunks, outcomes, goodRevision)
}

// chooser holds the state of chooseRevert.
type chooser struct {
	draft  revertDraft
	render renderFunc
	canary types.NamespacedName
	// head is the rendering of the branch head; current that of the
	// choice so far.
	head, current *manifests.Rendering
	choice        []int
	// owned are the files that feed the failed target and no other.
	owned map[string]bool
}

// hunkOutcome is what chooseRevert made of one hunk.
type hunkOutcome struct {
	verdict planner.HunkVerdict
	// why a hunk is left out, for the pull request and the condition.
	why string
	// conflict: the branch changed the same lines since the failed commit.
	conflict bool
}

// try judges reverting hunk i on top of the choice, and takes it when
// the verdict is HunkRevert.
func (c *chooser) try(i int, h gitsync.Hunk) hunkOutcome {
	candidate := append(slices.Clone(c.choice), i)
	dir, err := c.draft.Tree(candidate)
	var conflict *gitsync.ConflictError
	if errors.As(err, &conflict) {
		return hunkOutcome{verdict: planner.HunkShared, why: conflict.Reason, conflict: true}
	}
	effect := planner.RevertEffect{Renders: err == nil, Owned: c.owned[h.Path]}
	var rendering *manifests.Rendering
	if effect.Renders {
		rendering, err = c.render(dir)
		effect.Renders = err == nil
	}
	if effect.Renders {
		effect.InScope, effect.Outside = c.split(c.current, rendering)
	}
	outcome := hunkOutcome{verdict: planner.JudgeRevertHunk(effect)}
	switch outcome.verdict {
	case planner.HunkRevert:
		c.choice, c.current = candidate, rendering
	case planner.HunkShared:
		outcome.why = "also changes " + strings.Join(effect.Outside, ", ")
	case planner.HunkLater:
		outcome.why = "does not render unless other changes are reverted with it"
	}
	return outcome
}

// split returns the objects that differ between two renderings, those in
// the failed target's scope in either (or in the head's) and the others,
// described.
func (c *chooser) split(from, to *manifests.Rendering) (inScope, outside []string) {
	scope := c.head.Scope(c.canary)
	for _, r := range []*manifests.Rendering{from, to} {
		for key := range r.Scope(c.canary) {
			scope[key] = true
		}
	}
	for _, key := range manifests.Differences(from, to) {
		if scope[key] {
			inScope = append(inScope, key.String())
			continue
		}
		described := c.head.Describe(key)
		if described == key.String() {
			described = to.Describe(key)
		}
		outside = append(outside, described)
	}
	return inScope, outside
}

// prove renders the choice against the head and gathers the proof.
func (c *chooser) prove(hunks []gitsync.Hunk, outcomes []hunkOutcome, goodRevision string) (revertPlan, error) {
	plan := revertPlan{choice: c.choice, proof: planner.RevertProof{Chosen: len(c.choice), GoodRevision: goodRevision}}
	for i, h := range hunks {
		if o := outcomes[i]; o.verdict == planner.HunkShared || o.verdict == planner.HunkLater {
			plan.proof.Left = append(plan.proof.Left, planner.LeftHunk{Path: h.Path, Where: h.Where(), Why: o.why, Conflict: o.conflict})
		}
	}
	slices.SortStableFunc(plan.proof.Left, func(a, b planner.LeftHunk) int {
		switch {
		case a.Conflict == b.Conflict:
			return 0
		case a.Conflict:
			return -1
		}
		return 1
	})
	if len(c.choice) == 0 {
		return plan, nil
	}
	dir, err := c.draft.Tree(c.choice)
	if err != nil {
		return revertPlan{}, err
	}
	final, err := c.render(dir)
	if err != nil {
		return revertPlan{}, fmt.Errorf("the revert does not render: %w", err)
	}
	if target, ok := final.Target(c.canary); ok {
		plan.proof.Revision = target.Revision
	}
	_, plan.proof.Outside = c.split(c.head, final)
	return plan, nil
}

// ownedFiles returns the source files of a Canary's target that no other
// target of the rendering reads.
func ownedFiles(rendering *manifests.Rendering, canary types.NamespacedName) map[string]bool {
	owned := map[string]bool{}
	target, ok := rendering.Target(canary)
	if !ok {
		return owned
	}
	for _, file := range target.SourceFiles {
		owned[file] = true
	}
	for _, other := range rendering.Targets {
		if other.Canary == canary {
			continue
		}
		for _, file := range other.SourceFiles {
			delete(owned, file)
		}
	}
	return owned
}
