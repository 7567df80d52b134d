package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
	"testing/quick"
)

// TestMannWhitneyU checks U and the two-sided p-value of the normal
// approximation against values computed once with an independent
// implementation, SciPy 1.10.1 (Debian's python3-scipy):
//
//	scipy.stats.mannwhitneyu(x, y, alternative="two-sided",
//	                         method="asymptotic", use_continuity=True)
//
// whose statistic is U of x. The exact p-values in the comments are SciPy's
// method="exact", for scale.
func TestMannWhitneyU(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		u, p float64
	}{
		{
			// The example of R's wilcox.test help page (Hollander & Wolfe
			// 1973, p. 69): W = 35, exact p = 0.2544.
			name: "the Hollander and Wolfe example of R's wilcox.test",
			x:    []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46},
			y:    []float64{1.15, 0.88, 0.90, 0.74, 1.21},
			u:    35, p: 0.24462360512698333,
		},
		{
			name: "samples with many ties use the tie-corrected variance",
			x:    []float64{1, 2, 2, 3, 3, 3, 4, 5},
			y:    []float64{3, 3, 4, 4, 5, 5, 6, 7, 7},
			u:    11, p: 0.01630200829707017, // exact 0.01522
		},
		{
			name: "a canary four times as slow as its primary is a significant difference",
			x:    []float64{312, 305, 298, 330, 290, 315, 320, 301, 299, 310, 308, 325},
			y:    []float64{81, 79, 85, 80, 82, 90, 78, 83, 81, 84, 86, 80},
			u:    144, p: 3.629993584104522e-05, // exact 7.4e-07
		},
		{
			name: "two samples of one success rate, overlapping, are no difference",
			x:    []float64{95.1, 94.8, 95.3, 94.9, 95.0, 95.2, 94.7, 95.4},
			y:    []float64{95.0, 94.9, 95.2, 95.1, 94.8, 95.3, 95.0, 94.6},
			u:    36.5, p: 0.6723741356165197, // exact 0.7209
		},
		{
			name: "samples that are all one value cannot be told apart",
			x:    []float64{1, 1, 1},
			y:    []float64{1, 1, 1, 1},
			u:    6, p: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MannWhitneyU(tt.x, tt.y)
			if got.U != tt.u || !closeTo(got.P, tt.p, 1e-9) {
				t.Errorf("MannWhitneyU() = U %v p %v, want U %v p %v", got.U, got.P, tt.u, tt.p)
			}
			if want := tt.u / float64(len(tt.x)*len(tt.y)); got.Effect != want {
				t.Errorf("Effect = %v, want U/(nx·ny) = %v", got.Effect, want)
			}
		})
	}
}

// TestMannWhitneyUAtTheCriticalValueOfThePublishedTable checks the
// approximation at the edge of the published table of critical values of U
// (e.g. Zar, Biostatistical Analysis, table B.11): for n1 = n2 = 10 and a
// two-sided α = 0.05 the critical value is 23, U <= 23 rejecting. The
// exact p-values, from SciPy, are 0.0433 for U = 23 and 0.0524 for U = 24;
// the approximation must fall on the same sides of 0.05 (SciPy's
// asymptotic values: 0.04515456962427901 and 0.053902557169387175).
func TestMannWhitneyUAtTheCriticalValueOfThePublishedTable(t *testing.T) {
	tests := []struct {
		x, y []float64
		u, p float64
	}{
		{
			x: []float64{1, 2, 3, 4, 5, 6, 7, 11, 19, 20},
			y: []float64{8, 9, 10, 12, 13, 14, 15, 16, 17, 18},
			u: 23, p: 0.04515456962427901,
		},
		{
			x: []float64{1, 2, 3, 4, 5, 6, 7, 12, 19, 20},
			y: []float64{8, 9, 10, 11, 13, 14, 15, 16, 17, 18},
			u: 24, p: 0.053902557169387175,
		},
	}
	for _, tt := range tests {
		got := MannWhitneyU(tt.x, tt.y)
		if got.U != tt.u || !closeTo(got.P, tt.p, 1e-9) {
			t.Errorf("MannWhitneyU() = U %v p %v, want U %v p %v", got.U, got.P, tt.u, tt.p)
		}
		if rejects, want := got.P < 0.05, tt.u <= 23; rejects != want {
			t.Errorf("U %v: p %v rejects at 0.05 = %v, the table says %v", tt.u, got.P, rejects, want)
		}
	}
}

// TestMannWhitneyUProperties checks what holds for any samples: U counts
// the pairs x > y (a tie one half), U of x and of y sum to nx·ny, the
// p-value does not depend on the order of the samples, and it is in (0, 1].
func TestMannWhitneyUProperties(t *testing.T) {
	property := func(seed uint64) bool {
		r := rand.New(rand.NewPCG(seed, 16))
		x, y := make([]float64, 1+r.IntN(30)), make([]float64, 1+r.IntN(30))
		for i := range x {
			x[i] = float64(r.IntN(12)) // small integers: many ties
		}
		for i := range y {
			y[i] = float64(r.IntN(12))
		}
		var pairs float64
		for _, a := range x {
			for _, b := range y {
				switch {
				case a > b:
					pairs++
				case a == b:
					pairs += 0.5
				}
			}
		}
		xy, yx := MannWhitneyU(x, y), MannWhitneyU(y, x)
		return xy.U == pairs && xy.U+yx.U == float64(len(x)*len(y)) &&
			closeTo(xy.P, yx.P, 1e-12) && xy.Z == -yx.Z && xy.P > 0 && xy.P <= 1
	}
	if err := quick.Check(property, &quick.Config{MaxCount: 500}); err != nil {
		t.Error(err)
	}
}

func TestMannWhitneyUOfAnEmptySampleIsNoEvidence(t *testing.T) {
	got := MannWhitneyU(nil, []float64{1, 2})
	if got.P != 1 || got.Effect != 0.5 || got.U != 0 {
		t.Errorf("MannWhitneyU(nil, …) = %+v, want p 1, effect 0.5, U 0", got)
	}
}

// closeTo reports whether got is within a relative tolerance of want.
func closeTo(got, want, tolerance float64) bool {
	return math.Abs(got-want) <= tolerance*math.Max(math.Abs(want), 1e-300)
}
