// Package analysis measures a canary: it checks the metrics of a Canary
// against Prometheus and calls its webhooks, and returns what it found. It
// never acts on the result: the planner decides what a verdict means for the
// rollout and the reconciler records it.
//
// # Metric checks
//
// A Checker runs one instant query per metric (Checker.Check, or
// Checker.CheckAll for every metric of a Canary) and compares the value with
// the metric's thresholdRange. The outcome is one of these verdicts:
//
//   - VerdictPass: min <= value <= max;
//   - VerdictFail: the value is outside the range;
//   - VerdictNoData: the query returned no sample, NaN or ±Inf, which is what
//     a canary that receives no traffic produces; it counts as a failed check;
//   - VerdictError: the check could not be made (Prometheus unreachable, an
//     HTTP or query error, a query template that does not render); the step
//     should hold, neither advancing nor failing.
//
// # Comparisons with the primary
//
// A metric with a compare (a sluice extension) is also, or instead, judged
// against the primary: its query is rendered once with {{ target }} the
// canary's workload and once with the primary's (<target>-primary), each
// run as a range query over the metric's interval cut into
// ComparisonWindows windows ({{ interval }} is one window, so that no two
// samples share a request), and a two-sided Mann-Whitney U test
// (MannWhitneyU) of the two samples decides:
//
//   - VerdictFail: p < 1 − confidence, the canary is worse in the
//     comparison's direction, and its median is worse than the primary's
//     by more than the tolerance (relative to the primary's median);
//   - VerdictPass: otherwise;
//   - VerdictTooFewSamples: fewer than MinComparisonSamples finite samples
//     on a side (too little traffic, or windows shorter than two scrapes);
//     like VerdictError it holds the step and is not a failed check.
//
// The message says what was compared: "p99 latency of canary 312 ms vs
// primary 81 ms (+285 %, p=0.001)".
//
// The built-in metrics request-success-rate (percent of the canary's
// requests that did not answer 5xx, 0..100) and request-duration (99th
// percentile of the canary's request duration, in milliseconds) are measured
// with the query templates of a Mesh, chosen from the Canary's provider (see
// MeshForProvider) unless CheckerOptions.Mesh overrides it. Custom metrics
// bring their own query, a text/template with the variables {{ namespace }},
// {{ target }}, {{ interval }} and {{ variables.NAME }} (see RenderQuery).
//
// # The generic metrics
//
// MeshGeneric, used for the gatewayapi and kubernetes providers and exported
// by the sluice playground gateway, reads two series. Every request served by
// a workload is counted once in each:
//
//	http_requests_total{namespace, workload, code}           counter
//	http_request_duration_seconds_bucket{namespace, workload, le}  histogram
//
// where namespace is the namespace of the Deployment that served the
// request, workload is that Deployment's name (the canary's is the Canary's
// targetRef name, e.g. "detail"; the primary's is "detail-primary"), code is
// the HTTP status code of the response as three digits ("200", "503"), and
// the histogram is a classic Prometheus histogram in seconds (the usual
// _bucket, _sum and _count series). Other labels are allowed and ignored.
//
// # Webhooks
//
// Webhooks.Call posts Flagger's load tester payload (see WebhookPayload) to a
// webhook and reports whether it answered 2xx. What a failure means depends
// on the webhook's type; RoleOf tells the caller which of gate, check,
// rollback signal or notification it is.
package analysis
