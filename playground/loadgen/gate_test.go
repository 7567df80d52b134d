package loadgen_test

import (
	"net/http"
	"testing"

	"github.com/sluicehq/sluice/playground/loadgen"
)

// The manual gates answer as Flagger's load tester does: closed until
// opened, one per Canary, the rollback gate apart from the promotion gate.
func TestLoadTesterServesFlaggersManualGates(t *testing.T) {
	_, url := newLoadTester(t, http.NotFoundHandler())
	detail := hook(nil)
	other := loadgen.WebhookPayload{Name: "detail", Namespace: "other"}
	steps := []struct {
		path    string
		payload any
		want    int
	}{
		{"/gate/check", detail, http.StatusForbidden},
		{"/rollback/check", detail, http.StatusForbidden},
		{"/gate/open", detail, http.StatusAccepted},
		{"/gate/check", detail, http.StatusOK},
		{"/gate/check", other, http.StatusForbidden},
		{"/rollback/check", detail, http.StatusForbidden},
		{"/rollback/open", detail, http.StatusAccepted},
		{"/rollback/check", detail, http.StatusOK},
		{"/gate/close", detail, http.StatusAccepted},
		{"/gate/check", detail, http.StatusForbidden},
		{"/rollback/check", detail, http.StatusOK},
		{"/rollback/close", detail, http.StatusAccepted},
		{"/rollback/check", detail, http.StatusForbidden},
		{"/gate/approve", detail, http.StatusOK},
		{"/gate/halt", detail, http.StatusForbidden},
		{"/gate/open", `{"name": "detail"}`, http.StatusBadRequest},
		{"/gate/check", `not json`, http.StatusBadRequest},
	}
	for _, step := range steps {
		if got, body := post(t, url+step.path, step.payload); got != step.want {
			t.Errorf("POST %s %v = %d %q, want %d", step.path, step.payload, got, body, step.want)
		}
	}
}
