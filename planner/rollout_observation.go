package planner

import (
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// RolloutObservation is what the reconciler knows about one Canary when it
// asks DecideRollout what to do next. DecideRollout never modifies it.
type RolloutObservation struct {
	// Name and Namespace of the Canary.
	Name, Namespace string
	// Spec is the Canary's spec, defaulted (v1alpha1.Canary.Default); zero
	// fields that have a default are read as that default all the same.
	Spec v1alpha1.CanarySpec
	// Status is the live Canary status: the whole rollout state.
	Status v1alpha1.CanaryStatus
	// Revision is the target's revision that Git asks for, and Commit the
	// Git commit whose rendering produced it. An empty Revision decides
	// nothing.
	Revision, Commit string

	// CanaryReady reports whether the canary Deployment (the target) has
	// finished rolling out; CanaryNotReady is the applier's reason when it
	// has not, e.g. "detail.flagger not ready: waiting for rollout to
	// finish: 0 of 2 updated replicas are available", passed through
	// word for word.
	CanaryReady    bool
	CanaryNotReady string
	// PrimaryReady and PrimaryNotReady are the same for <target>-primary.
	PrimaryReady    bool
	PrimaryNotReady string

	// Weights are the route weights read back from the router; nil when
	// they were not read. Weights that differ from the status during the
	// analysis are set back to the status's, and to all-primary once no
	// analysis runs.
	Weights *Weights

	// PrimaryRevision is the revision <target>-primary records it runs;
	// empty when unknown. A primary that does not run what the status
	// says is put back (a promotion or a rollback cut short by a crash).
	PrimaryRevision string
	// PrimaryFailedRevision is the failed revision <target>-primary
	// records; empty when none or unknown. A failure the status has and
	// the primary does not is recorded again.
	PrimaryFailedRevision string
	// PrimaryMissing is true when <target>-primary does not exist (deleted
	// by hand): once no analysis runs, it is made again from the last
	// promoted commit.
	PrimaryMissing bool
	// CanaryReplicas is the replica count of the canary Deployment's spec;
	// nil when unknown. A canary with replicas once no analysis runs is
	// scaled down.
	CanaryReplicas *int32

	// Request is the manual request written on the Canary (sluice
	// promote, abort, pause, resume); nil when there is none.
	Request *v1alpha1.ManualRequest

	// Checks are the results of the checks a RunChecks action asked for;
	// nil when none ran for this call.
	Checks *StepChecks

	// Now is the time of the decision; DecideRollout reads no clock.
	Now time.Time
}

// Weights split the traffic between primary and canary, in percent; they
// add up to 100. Mirror, with all the traffic on the primary, copies
// requests to the canary too (analysis.mirrorWeight percent of them), whose
// answers are dropped.
type Weights struct {
	Primary, Canary int32
	Mirror          bool
}

// StepChecks are the results of one RunChecks action.
type StepChecks struct {
	// Metrics holds a verdict per metric of the Canary, matched by name.
	Metrics []MetricVerdict
	// Webhooks holds a result per webhook called, matched by name.
	Webhooks []WebhookResult
}

// Verdict is the outcome of one metric check.
type Verdict string

// The verdicts of a metric check.
const (
	// VerdictPass: the value is within the metric's threshold range.
	VerdictPass Verdict = "Pass"
	// VerdictFail: the value is out of range; a failed check.
	VerdictFail Verdict = "Fail"
	// VerdictNoData: the query returned no value (the canary may receive no
	// traffic); a failed check.
	VerdictNoData Verdict = "NoData"
	// VerdictError: the metric could not be measured (Prometheus
	// unreachable, a query error); the step holds, neither advancing nor
	// failing, until analysis.maxErrors consecutive steps had errors.
	VerdictError Verdict = "Error"
)

// MetricVerdict is the outcome of one metric check.
type MetricVerdict struct {
	// Name of the metric, as in the spec.
	Name string
	// Verdict of the check.
	Verdict Verdict
	// Value is the measured value, when Measured: percent for
	// request-success-rate, milliseconds for request-duration, the
	// canary's median for a comparison.
	Value    float64
	Measured bool
	// Message says why, for anything but a pass, in words that follow
	// "Halt detail.flagger advancement ", e.g. "success rate 23.03% < 99%".
	// Empty means a generic message naming the metric.
	Message string
}

// WebhookResult is the outcome of one webhook call.
type WebhookResult struct {
	// Name and Type of the webhook, as in the spec.
	Name, Type string
	// Passed is true when the webhook answered 2xx: a check passed, a gate
	// opened, a rollback asked for.
	Passed bool
	// Message says why the call did not pass, e.g. "answered 500
	// Internal Server Error". It goes into the commit status and the
	// revert pull request, which are public: it never quotes the answer.
	Message string
	// Answer is an excerpt of what a webhook that did not pass answered
	// (metadata values redacted); it goes into the Event and the log
	// only. Empty when it answered nothing.
	Answer string
}
