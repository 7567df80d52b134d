package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Message is one line for the log and one Event on the Canary, worded like
// Flagger's (DESIGN.md, "Messages").
type Message struct {
	// Warning marks a Warning event (a halt, a rollback, a wait on a
	// Deployment); false is Normal.
	Warning bool
	// Text is the message, e.g. "Advance detail.flagger canary weight 5".
	Text string
	// Alert is the severity (info, warn, error) with which the message
	// goes to the Canary's alerts (spec.analysis.alerts); empty for a
	// message that is no alert. The milestones are alerts, as Flagger
	// alerts on them: a new revision, a promotion, a rollback, a wait for
	// approval (see alertFormats).
	Alert string
}

// The alert severities of a Message.
const (
	AlertInfo  = "info"
	AlertWarn  = "warn"
	AlertError = "error"
)

// alertFormats are the formats of the messages that are alerts, with
// their severity.
var alertFormats = map[string]string{
	"New revision detected! Scaling up %s":               AlertInfo,
	"New revision detected! Restarting analysis for %s":  AlertInfo,
	"Promotion completed! Scaling down %s":               AlertInfo,
	"Rolling back %s failed checks threshold reached %d": AlertError,
	"Rolling back %s analysis errors reached %d":         AlertError,
	"Rolling back %s progress deadline exceeded %s":      AlertError,
	"Rolling back %s manual webhook invoked":             AlertWarn,
}

// approvalHalts start the halts that wait for a gate's approval: warn
// alerts, as in Flagger, unless the gate's webhook has muteAlert.
var approvalHalts = []string{"waiting for approval ", "waiting for traffic increase approval ", "waiting for promotion approval "}

// PostRolloutMessages words the results of a CallWebhooks action of type
// post-rollout: "Post-rollout check NAME passed", or a warning "Post-rollout
// check NAME failed MESSAGE".
func PostRolloutMessages(results []WebhookResult) []Message {
	var msgs []Message
	for _, res := range results {
		if res.Passed {
			msgs = append(msgs, Message{Text: fmt.Sprintf("Post-rollout check %s passed", res.Name)})
			continue
		}
		msgs = append(msgs, Message{Warning: true, Text: fmt.Sprintf("Post-rollout check %s failed %s", res.Name, res.Message)})
	}
	return msgs
}

// halt says what holds the step, e.g. "Halt detail.flagger advancement
// success rate 23.03% < 99%"; reason is what follows "advancement".
func (r *rollout) halt(reason string) {
	r.warn("Halt %s advancement %s", r.canaryID, reason)
	for _, approval := range approvalHalts {
		gate, waits := strings.CutPrefix(reason, approval)
		muted := slices.ContainsFunc(r.obs.Spec.Analysis.Webhooks, func(h v1alpha1.CanaryWebhook) bool { return h.Name == gate && h.MuteAlert })
		if waits && !muted {
			r.messages[len(r.messages)-1].Alert = AlertWarn
		}
	}
}

// verdictText is what a metric verdict says after "advancement".
func verdictText(v MetricVerdict) string {
	if v.Message != "" {
		return v.Message
	}
	switch v.Verdict {
	case VerdictNoData:
		return fmt.Sprintf("no values found for metric %s", v.Name)
	case VerdictError:
		return fmt.Sprintf("metric %s could not be measured", v.Name)
	default:
		return fmt.Sprintf("metric %s check failed", v.Name)
	}
}

// webhookText is what a failed check webhook says after "advancement", in
// Flagger's words.
func webhookText(res WebhookResult) string {
	kind := "external check"
	if res.Type == v1alpha1.WebhookPreRollout {
		kind = "pre-rollout check"
	}
	return fmt.Sprintf("%s %s failed %s", kind, res.Name, res.Message)
}

// info and warn add a message to the decision.
func (r *rollout) info(format string, args ...any) {
	r.messages = append(r.messages, Message{Text: fmt.Sprintf(format, args...), Alert: alertFormats[format]})
}

func (r *rollout) warn(format string, args ...any) {
	r.messages = append(r.messages, Message{Warning: true, Text: fmt.Sprintf(format, args...), Alert: alertFormats[format]})
}
