package analysis

import (
	"math"
	"slices"
)

// MannWhitney is the outcome of a two-sided Mann-Whitney U test of sample
// X against sample Y (the canary against the primary, for a comparison).
type MannWhitney struct {
	// U is the U statistic of X: the number of pairs (x, y) with x > y, a
	// tie counting one half. U of Y is NX·NY − U.
	U float64
	// NX and NY are the sizes of the samples.
	NX, NY int
	// Z is the standardized U with the tie correction and the continuity
	// correction of 0.5 towards the mean; zero when every value is tied.
	Z float64
	// P is the two-sided p-value of the normal approximation: the
	// probability, when both samples come from one distribution, of a U at
	// least as far from its mean. One when every value is tied (the samples
	// cannot be told apart) or a sample is empty.
	P float64
	// Effect is the common-language effect size U / (NX·NY): the
	// probability that a value of X exceeds a value of Y, a tie counting
	// one half. One half means no shift; above it X is larger. One half when
	// a sample is empty.
	Effect float64
}

// MannWhitneyU tests whether x and y come from one distribution, with
// average ranks for ties, the tie-corrected variance and the normal
// approximation with a continuity correction, as scipy.stats.mannwhitneyu
// (method="asymptotic", use_continuity=True) and R's wilcox.test(correct =
// TRUE, exact = FALSE) do. The approximation is good from about eight
// values on each side; MinComparisonSamples asks for more. NaN values must
// be removed by the caller. It does not modify x or y.
func MannWhitneyU(x, y []float64) MannWhitney {
	nx, ny := len(x), len(y)
	result := MannWhitney{NX: nx, NY: ny, P: 1, Effect: 0.5}
	if nx == 0 || ny == 0 {
		return result
	}
	rankSumX, tieTerm := rankSum(x, y)
	n1, n2 := float64(nx), float64(ny)
	n := n1 + n2
	result.U = rankSumX - n1*(n1+1)/2
	result.Effect = result.U / (n1 * n2)
	mean := n1 * n2 / 2
	variance := n1 * n2 / 12 * ((n + 1) - tieTerm/(n*(n-1)))
	if variance <= 0 {
		return result
	}
	deviation := result.U - mean
	// The continuity correction moves U half a step towards the mean, never
	// past it.
	corrected := math.Max(math.Abs(deviation)-0.5, 0)
	result.Z = math.Copysign(corrected/math.Sqrt(variance), deviation)
	result.P = math.Min(1, math.Erfc(math.Abs(result.Z)/math.Sqrt2))
	return result
}

// rankSum ranks the values of x and y together, tied values sharing the
// average of their ranks, and returns the sum of the ranks of x and the tie
// term Σ(t³ − t) over the groups of t tied values.
func rankSum(x, y []float64) (rankSumX, tieTerm float64) {
	type value struct {
		v   float64
		inX bool
	}
	all := make([]value, 0, len(x)+len(y))
	for _, v := range x {
		all = append(all, value{v, true})
	}
	for _, v := range y {
		all = append(all, value{v, false})
	}
	slices.SortFunc(all, func(a, b value) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		// Ranks i+1 … j share their average.
		rank := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			if all[k].inX {
				rankSumX += rank
			}
		}
		t := float64(j - i)
		tieTerm += t*t*t - t
		i = j
	}
	return rankSumX, tieTerm
}
