package planner

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// MaxLastChecks bounds status.lastChecks: a Canary with more metrics and
// webhooks keeps the first ones, in the order of its spec.
const MaxLastChecks = 50

// maxCheckMessage bounds the message of one check record, in bytes.
const maxCheckMessage = 256

// The kinds of a v1alpha1.CheckRecord.
const (
	CheckKindMetric  = "metric"
	CheckKindWebhook = "webhook"
)

// recordChecks keeps the results of the step being judged as
// status.lastChecks, for `sluice status` and the Check Run of the commit:
// the metrics first, then the webhooks, each in the spec's order and as the
// step reads them (the first result of a name counts). A metric asked for
// without a verdict is an Error, as judge holds it. A step that ran no
// checks keeps the records of the step before.
func (r *rollout) recordChecks() {
	if r.obs.Checks == nil {
		return
	}
	var records []v1alpha1.CheckRecord
	metricsAsked := r.started() && len(r.obs.Checks.Metrics) > 0
	for _, metric := range r.obs.Spec.Analysis.Metrics {
		res, ok := r.metricVerdict(metric.Name)
		if !ok && !metricsAsked {
			continue
		}
		if !ok {
			res = MetricVerdict{Name: metric.Name, Verdict: VerdictError, Message: fmt.Sprintf("no verdict for metric %s", metric.Name)}
		}
		records = append(records, metricRecord(res))
	}
	for _, hook := range r.obs.Spec.Analysis.Webhooks {
		if res, ok := r.webhookResult(hook.Name); ok {
			records = append(records, webhookRecord(hook, res)...)
		}
	}
	if len(records) > MaxLastChecks {
		records = records[:MaxLastChecks]
	}
	if len(records) > 0 {
		r.st.LastChecks = records
	}
}

// metricRecord is the record of a metric verdict.
func metricRecord(res MetricVerdict) v1alpha1.CheckRecord {
	rec := v1alpha1.CheckRecord{Name: res.Name, Kind: CheckKindMetric, Verdict: string(res.Verdict)}
	if res.Measured {
		rec.Value = formatValue(res.Value)
	}
	if res.Verdict != VerdictPass {
		rec.Message = cut(verdictText(res), maxCheckMessage)
	}
	return rec
}

// webhookRecord is the record of a webhook result, none for a rollback
// webhook that did not ask for a rollback (its usual answer). A rollback
// webhook that asked for one is a Fail; a gate that did not approve is a
// Fail that says so.
func webhookRecord(hook v1alpha1.CanaryWebhook, res WebhookResult) []v1alpha1.CheckRecord {
	rec := v1alpha1.CheckRecord{Name: res.Name, Kind: CheckKindWebhook, Verdict: string(VerdictPass)}
	switch hook.Type {
	case v1alpha1.WebhookRollback:
		if !res.Passed {
			return nil
		}
		rec.Verdict, rec.Message = string(VerdictFail), "asked for a rollback"
	case v1alpha1.WebhookConfirmTrafficIncrease, v1alpha1.WebhookConfirmPromotion, v1alpha1.WebhookConfirmRollout:
		if !res.Passed {
			rec.Verdict, rec.Message = string(VerdictFail), strings.TrimSpace("not approved "+res.Message)
		}
	default:
		if !res.Passed {
			rec.Verdict, rec.Message = string(VerdictFail), strings.TrimSpace(webhookText(res))
		}
	}
	rec.Message = cut(rec.Message, maxCheckMessage)
	return []v1alpha1.CheckRecord{rec}
}

// formatValue writes a measured value compactly, with at most 4 decimals:
// 99.5234567 is "99.5235", 100 is "100".
func formatValue(v float64) string {
	s := strconv.FormatFloat(v, 'f', 4, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// cut shortens s to at most n bytes, on a rune boundary, ending with "…"
// when it cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	end := n - len(ellipsis)
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + ellipsis
}
