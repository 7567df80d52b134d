package v1alpha1

import "slices"

// Steps returns the canary weights of a weighted schedule, in percent, in
// the order the rollout takes them: StepWeights as they are, or StepWeight,
// 2×StepWeight, … up to MaxWeight, the last step capped at MaxWeight (10 up
// to 25 gives 10, 20, 25). A zero MaxWeight means DefaultMaxWeight, as
// Default sets it.
//
// Steps returns nil for a schedule without weights (iterations, or
// nothing); the planner then counts Iterations. It is pure and the slice is
// the caller's. On an analysis that Validate rejects, the result is
// unspecified but finite.
func (a CanaryAnalysis) Steps() []int32 {
	if len(a.StepWeights) > 0 {
		return slices.Clone(a.StepWeights)
	}
	if a.StepWeight <= 0 {
		return nil
	}
	maxWeight := a.MaxWeight
	if maxWeight <= 0 || maxWeight > 100 {
		// Zero is the default; above 100 is invalid and would let the loop
		// below run long (or overflow).
		maxWeight = DefaultMaxWeight
	}
	var steps []int32
	for weight := a.StepWeight; weight < maxWeight; weight += a.StepWeight {
		steps = append(steps, weight)
	}
	return append(steps, maxWeight)
}
