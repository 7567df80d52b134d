package analysis

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

func TestRoleOf(t *testing.T) {
	want := map[string]WebhookRole{
		"confirm-rollout": RoleGate, "confirm-traffic-increase": RoleGate, "confirm-promotion": RoleGate,
		"pre-rollout": RoleCheck, "rollout": RoleCheck, "": RoleCheck,
		"rollback": RoleRollbackSignal, "post-rollout": RoleNotification, "event": RoleNotification,
		"unknown": "",
	}
	for hookType, role := range want {
		if got := RoleOf(hookType); got != role {
			t.Errorf("RoleOf(%q) = %q, want %q", hookType, got, role)
		}
	}
	for _, hookType := range v1alpha1.WebhookTypes() {
		if RoleOf(hookType) == "" {
			t.Errorf("webhook type %s has no role", hookType)
		}
	}
}

func TestHooksOfType(t *testing.T) {
	canary := seedCanary("")
	canary.Spec.Analysis.Webhooks = []v1alpha1.CanaryWebhook{
		{Name: "acceptance-test", Type: "pre-rollout"},
		{Name: "load-test", Type: "rollout"},
		{Name: "untyped"},
		{Name: "smoke", Type: "pre-rollout"},
	}
	tests := []struct {
		name     string
		hookType string
		want     []string
	}{
		{name: "hooks of a type come in the Canary's order", hookType: "pre-rollout", want: []string{"acceptance-test", "smoke"}},
		{name: "a hook without a type is a rollout hook", hookType: "rollout", want: []string{"load-test", "untyped"}},
		{name: "the empty type asks for rollout hooks", hookType: "", want: []string{"load-test", "untyped"}},
		{name: "a type without hooks gives none", hookType: "confirm-promotion", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, hook := range HooksOfType(canary, tt.hookType) {
				got = append(got, hook.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("HooksOfType (-want +got):\n%s", diff)
			}
		})
	}
}
