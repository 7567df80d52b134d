package planner

import "fmt"

// mirroring reports whether the route copies requests to the canary now,
// as the status says: with analysis.mirror, from the first analysis step
// while the canary has no weight of its own — the whole analysis of a
// blue/green schedule (iterations), the one step at weight 0 of a
// weighted one. The primary answers every request meanwhile; the copies
// give the canary's metrics something to judge. Promotion and rollback
// route everything to the primary and stop it.
func (r *rollout) mirroring() bool {
	return r.obs.Spec.Analysis.Mirror && r.analysing() && r.started() && r.st.CanaryWeight == 0
}

// mirrorSplit is the split of the route while mirroring.
func mirrorSplit() Weights { return Weights{Primary: 100, Mirror: true} }

// startMirroring starts the mirror at the first passing step of an
// analysis with analysis.mirror, as Flagger does. A blue/green schedule
// mirrors from its first iteration on (it reports false: the iteration
// advances as usual); a weighted one spends this step mirroring at
// weight 0 and takes its first weight at the next (it reports true: the
// step is done).
func (r *rollout) startMirroring() bool {
	if !r.obs.Spec.Analysis.Mirror || r.started() {
		return false
	}
	r.do(SetWeights(mirrorSplit()))
	if r.iterations() {
		r.info("Start traffic mirroring for %s: %s copied to the canary", r.canaryID, r.mirrorShare())
		return false
	}
	r.st.Iterations++
	r.info("Advance %s canary weight 0 with traffic mirroring: %s copied to the canary", r.canaryID, r.mirrorShare())
	r.report(r.st.LastAppliedCommit, CommitPending, "%s", r.progress())
	return true
}

// mirrorShare says how many of the requests are copied.
func (r *rollout) mirrorShare() string {
	if w := r.obs.Spec.Analysis.MirrorWeight; w > 0 {
		return fmt.Sprintf("%d%% of the requests", w)
	}
	return "every request"
}
