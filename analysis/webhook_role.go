package analysis

import "github.com/sluicehq/sluice/api/v1alpha1"

// WebhookRole is what the outcome of a webhook means for the rollout. The
// planner gives it that meaning; Webhooks only reports whether the webhook
// passed (answered 2xx).
type WebhookRole string

// The roles of webhooks.
const (
	// RoleGate: confirm-rollout, confirm-traffic-increase and
	// confirm-promotion. A gate that does not pass holds the rollout where it
	// is, without a failed check, until it passes.
	RoleGate WebhookRole = "gate"
	// RoleCheck: pre-rollout and rollout. A check that does not pass is a
	// failed check, like a failed metric.
	RoleCheck WebhookRole = "check"
	// RoleRollbackSignal: rollback. Passing asks for a rollback now; not
	// passing means carry on.
	RoleRollbackSignal WebhookRole = "rollback-signal"
	// RoleNotification: post-rollout and event. The outcome is reported and
	// changes nothing.
	RoleNotification WebhookRole = "notification"
)

// webhookRoles maps every webhook type to its role.
var webhookRoles = map[string]WebhookRole{
	v1alpha1.WebhookConfirmRollout:         RoleGate,
	v1alpha1.WebhookConfirmTrafficIncrease: RoleGate,
	v1alpha1.WebhookConfirmPromotion:       RoleGate,
	v1alpha1.WebhookPreRollout:             RoleCheck,
	v1alpha1.WebhookRollout:                RoleCheck,
	v1alpha1.WebhookRollback:               RoleRollbackSignal,
	v1alpha1.WebhookPostRollout:            RoleNotification,
	v1alpha1.WebhookEvent:                  RoleNotification,
}

// RoleOf returns the role of a webhook type; the empty type is rollout
// (RoleCheck) and an unknown type has the empty role.
func RoleOf(hookType string) WebhookRole { return webhookRoles[typeOf(hookType)] }

// HooksOfType returns the Canary's webhooks of one type, in the order of
// spec.analysis.webhooks; a webhook without a type is a rollout webhook. The
// slice is the caller's.
func HooksOfType(canary *v1alpha1.Canary, hookType string) []v1alpha1.CanaryWebhook {
	var hooks []v1alpha1.CanaryWebhook
	for _, hook := range canary.Spec.Analysis.Webhooks {
		if typeOf(hook.Type) == typeOf(hookType) {
			hooks = append(hooks, hook)
		}
	}
	return hooks
}

// typeOf returns a webhook type with the default filled in.
func typeOf(hookType string) string {
	if hookType == "" {
		return v1alpha1.DefaultWebhookType
	}
	return hookType
}
