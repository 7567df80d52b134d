package manifests

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const flaggerAlertProvider = `apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: {name: on-call}
spec:
  type: slack
  channel: on-call-alerts
  username: flagger
  secretRef: {name: on-call-url}
`

func TestAFlaggerAlertProviderIsReadAsSluicesOwn(t *testing.T) {
	rendering, err := Render(writeRepo(t, map[string]string{"provider.yaml": flaggerAlertProvider}, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rendering.Objects) != 1 || rendering.Objects[0].GetAPIVersion() != "sluice.dev/v1alpha1" {
		t.Fatalf("objects %v, want the AlertProvider as sluice.dev/v1alpha1", rendering.Objects)
	}
	want := []Notice{{Message: "alertprovider test/on-call is written as flagger.app/v1beta1: sluice reads it as sluice.dev/v1alpha1; `sluice convert` writes it so in Git"}}
	if diff := cmp.Diff(want, rendering.Notices); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
}

func TestAnAlertProviderSluiceCannotSendToIsRefusedByName(t *testing.T) {
	cases := []struct {
		name, from, to string
		field, reason  string
	}{
		{"an unknown type", "type: slack", "type: pagerduty", "spec.type",
			`Unsupported value: "pagerduty": supported values: "slack", "msteams", "discord", "rocket", "gchat", "generic"`},
		{"a field Flagger's AlertProvider has not", "  channel: on-call-alerts\n", "  channel: on-call-alerts\n  icon: ship\n", "", `unknown field "spec.icon"`},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			provider := strings.Replace(flaggerAlertProvider, tt.from, tt.to, 1)
			_, err := Render(writeRepo(t, map[string]string{"provider.yaml": provider}, nil), ".", Options{DefaultNamespace: "test"})
			var invalid *InvalidError
			if !errors.As(err, &invalid) || invalid.Object != "alertprovider test/on-call" || invalid.Field != tt.field || !strings.Contains(invalid.Reason, tt.reason) {
				t.Errorf("Render = %v, want %s: %s", err, tt.field, tt.reason)
			}
		})
	}
}
