package analysis

// Verdict is the outcome of one metric check.
type Verdict string

// The verdicts of a metric check.
const (
	// VerdictPass: the value is inside the threshold range.
	VerdictPass Verdict = "pass"
	// VerdictFail: the value is outside the threshold range; a failed check.
	VerdictFail Verdict = "fail"
	// VerdictNoData: the query returned no sample, NaN or ±Inf, so the canary
	// may not be receiving traffic; a failed check.
	VerdictNoData Verdict = "no-data"
	// VerdictError: the check could not be made (Prometheus unreachable, an
	// HTTP or query error, a query that does not render); not a failed check:
	// the step holds until the errors stop or reach analysis.maxErrors.
	VerdictError Verdict = "error"
	// VerdictTooFewSamples: a comparison with the primary had fewer than
	// MinComparisonSamples samples of the canary or of the primary (too
	// little traffic to tell them apart); not a failed check: like
	// VerdictError, it holds the step, and the planner counts it as an
	// error.
	VerdictTooFewSamples Verdict = "too-few-samples"
)

// FailedCheck reports whether the verdict counts as a failed check:
// VerdictFail and VerdictNoData do, VerdictPass and VerdictError do not.
func (v Verdict) FailedCheck() bool { return v == VerdictFail || v == VerdictNoData }

// Summarize returns the verdict of a step from the verdicts of its checks:
// VerdictFail when any check failed, else VerdictNoData when any had no data,
// else VerdictError when any could not be made, else VerdictPass. A definite
// failure outranks an error because it is a fact about the canary, where an
// error is only a fact about the measurement. No results pass.
func Summarize(results []Result) Verdict {
	worst := VerdictPass
	for _, r := range results {
		if severity(r.Verdict) > severity(worst) {
			worst = r.Verdict
		}
	}
	return worst
}

// severity orders the verdicts for Summarize; an unknown verdict ranks as an
// error, so that it holds the step rather than passing it.
func severity(v Verdict) int {
	switch v {
	case VerdictPass:
		return 0
	case VerdictFail:
		return 3
	case VerdictNoData:
		return 2
	default:
		return 1
	}
}
