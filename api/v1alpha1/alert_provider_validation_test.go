package v1alpha1

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAlertProviderValidate(t *testing.T) {
	tests := []struct {
		name string
		spec AlertProviderSpec
		want string
	}{
		{name: "a Slack webhook in a Secret is valid", spec: AlertProviderSpec{Type: "slack", SecretRef: &corev1.LocalObjectReference{Name: "slack-url"}}},
		{name: "an address in the spec is valid", spec: AlertProviderSpec{Type: "msteams", Address: "https://example.webhook.office.com/x"}},
		{
			name: "an unknown type lists the known ones",
			spec: AlertProviderSpec{Type: "pagerduty", Address: "https://events.example"},
			want: `alertprovider flagger/on-call: spec.type: Unsupported value: "pagerduty": supported values: "slack", "msteams", "discord", "rocket", "gchat", "generic"`,
		},
		{
			name: "an address is needed, here or in the Secret",
			spec: AlertProviderSpec{Type: "slack"},
			want: `alertprovider flagger/on-call: spec.address: Required value: the incoming-webhook URL, here or as key address of the Secret of secretRef`,
		},
		{
			name: "a bad address is refused without being shown",
			spec: AlertProviderSpec{Type: "slack", Address: "hooks.slack.com/services/T0/B0/s3cr3t"},
			want: `alertprovider flagger/on-call: spec.address: Invalid value: "(not shown: it may hold a token)": must be an absolute http or https URL`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &AlertProvider{ObjectMeta: metav1.ObjectMeta{Name: "on-call", Namespace: "flagger"}, Spec: tt.spec}
			got := ""
			if err := p.Validate(); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() (-want +got):\n%s", diff)
			}
			if strings.Contains(got, "s3cr3t") {
				t.Error("the error shows the webhook's token")
			}
		})
	}
}
