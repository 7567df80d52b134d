package planner

import (
	"fmt"
	"strings"
)

// Action is one thing the reconciler carries out for a RolloutDecision, in
// the order the decision lists them. The concrete types are ApplyCanary,
// ScaleUpCanary, SetWeights, RunChecks, PromoteToPrimary, RestorePrimary,
// RecordFailure, ScaleDownCanary and CallWebhooks; a type switch over them
// is exhaustive.
// Every action but CallWebhooks is idempotent: carrying it out twice (after
// a restart that lost the status write) does no harm.
type Action interface {
	// String describes the action in one line, for logs and golden files.
	String() string
	action()
}

// ApplyCanary applies the target rendered from Commit (of Revision) to the
// canary Deployment, leaving its replica count as it is.
type ApplyCanary struct {
	Revision, Commit string
}

// ScaleUpCanary scales the canary Deployment to the replicas of the target
// as rendered (the primary's when the target leaves them to an autoscaler).
type ScaleUpCanary struct{}

// SetWeights routes Primary percent of the traffic to the primary and
// Canary percent to the canary; with Mirror, it also copies requests to
// the canary (without, it stops copying them). A router without weights
// (provider kubernetes) routes everything to the side with the larger
// weight. In an A/B test (analysis.match) the split is that of the
// matching requests, every other one going to the primary: 0/100 sends
// all the matching requests to the canary (see applier.Router).
type SetWeights Weights

// RunChecks runs the checks of one analysis step and asks for DecideRollout
// to be called again at once, with the same observation but for Checks,
// which holds the results, and Now, which may be when the checks ended. A
// decision with RunChecks has no other action, no message, and the
// observed status unchanged: nothing is to be persisted from it. The call
// with Checks never asks for checks again.
type RunChecks struct {
	// Webhooks lists webhook types (v1alpha1.WebhookPreRollout, …); every
	// webhook of the Canary with one of these types is called.
	Webhooks []string
	// Metrics asks for every metric of the Canary to be checked.
	Metrics bool
}

// PromoteToPrimary copies the canary's pod template (and its tracked
// ConfigMaps and Secrets) to <target>-primary, which then rolls out
// Revision, recording Commit as where it comes from.
type PromoteToPrimary struct {
	Revision, Commit string
}

// RecordFailure records on <target>-primary that Revision, from Commit,
// failed its analysis for Reason, so that the cluster remembers it when
// the Canary's status is lost. It comes first in a rollback: intent is
// recorded before the act.
type RecordFailure struct {
	Revision, Commit, Reason string
}

// RestorePrimary puts the primary back on Revision, rendered from Commit:
// a rollback that happens after PromoteToPrimary has replaced its template.
type RestorePrimary struct {
	Revision, Commit string
}

// ScaleDownCanary scales the canary Deployment to zero.
type ScaleDownCanary struct{}

// CallWebhooks calls every webhook of the Canary of type Type (post-rollout)
// after the actions before it. The results change no decision; the
// reconciler logs them with PostRolloutMessages.
type CallWebhooks struct {
	Type string
}

// String implements Action.
func (a ApplyCanary) String() string {
	return fmt.Sprintf("ApplyCanary revision %s commit %s", short(a.Revision), short(a.Commit))
}

// String implements Action.
func (ScaleUpCanary) String() string { return "ScaleUpCanary" }

// String implements Action.
func (a SetWeights) String() string {
	s := fmt.Sprintf("SetWeights primary %d canary %d", a.Primary, a.Canary)
	if a.Mirror {
		s += " mirror"
	}
	return s
}

// String implements Action.
func (a RunChecks) String() string {
	parts := a.Webhooks
	if a.Metrics {
		parts = append([]string{"metrics"}, parts...)
	}
	return "RunChecks " + strings.Join(parts, ", ")
}

// String implements Action.
func (a PromoteToPrimary) String() string {
	return fmt.Sprintf("PromoteToPrimary revision %s", short(a.Revision))
}

// String implements Action.
func (a RecordFailure) String() string {
	return fmt.Sprintf("RecordFailure revision %s commit %s reason %q", short(a.Revision), short(a.Commit), a.Reason)
}

// String implements Action.
func (a RestorePrimary) String() string {
	return fmt.Sprintf("RestorePrimary revision %s commit %s", short(a.Revision), short(a.Commit))
}

// String implements Action.
func (ScaleDownCanary) String() string { return "ScaleDownCanary" }

// String implements Action.
func (a CallWebhooks) String() string { return "CallWebhooks " + a.Type }

func (ApplyCanary) action()      {}
func (ScaleUpCanary) action()    {}
func (SetWeights) action()       {}
func (RunChecks) action()        {}
func (PromoteToPrimary) action() {}
func (RestorePrimary) action()   {}
func (RecordFailure) action()    {}
func (ScaleDownCanary) action()  {}
func (CallWebhooks) action()     {}
