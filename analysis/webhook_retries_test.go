package analysis

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Flagger's webhooks[].retries: a call is tried again after a 429 or 5xx
// answer (not 501), as Flagger's retrying client does, at most retries
// times; without retries an answer is final.
func TestAWebhooksRetriesTryAgainAfterAnErrorAnswer(t *testing.T) {
	tests := []struct {
		name         string
		retries      int32
		answers      []int
		wantPassed   bool
		wantAttempts int
		wantMessage  string
	}{
		{name: "two 503s then 200 pass with retries 2", retries: 2, answers: []int{503, 503, 200}, wantPassed: true, wantAttempts: 3},
		{name: "a 429 is retried", retries: 1, answers: []int{429, 200}, wantPassed: true, wantAttempts: 2},
		{name: "three 500s fail with retries 2", retries: 2, answers: []int{500, 500, 500, 200}, wantAttempts: 3,
			wantMessage: "Rollout check load-test failed: answered 500 Internal Server Error (3 attempts)"},
		{name: "a 503 is final without retries", answers: []int{503, 200}, wantAttempts: 1,
			wantMessage: "Rollout check load-test failed: answered 503 Service Unavailable"},
		{name: "a 501 is not retried", retries: 3, answers: []int{501, 200}, wantAttempts: 1,
			wantMessage: "Rollout check load-test failed: answered 501 Not Implemented"},
		{name: "a 400 is not retried", retries: 3, answers: []int{400, 200}, wantAttempts: 1,
			wantMessage: "Rollout check load-test failed: answered 400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				n := int(calls.Add(1)) - 1
				w.WriteHeader(tt.answers[min(n, len(tt.answers)-1)])
			}))
			t.Cleanup(server.Close)
			hooks := mustWebhooks(t, WebhooksOptions{RetryDelay: 5 * time.Millisecond})
			hook := v1alpha1.CanaryWebhook{Name: "load-test", URL: server.URL, Retries: tt.retries}
			got := hooks.Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "rev2")
			if got.Passed != tt.wantPassed || got.Attempts != tt.wantAttempts || int(calls.Load()) != tt.wantAttempts ||
				tt.wantMessage != "" && got.Message != tt.wantMessage {
				t.Errorf("Call = %+v after %d requests, want passed %v after %d, message %q", got, calls.Load(), tt.wantPassed, tt.wantAttempts, tt.wantMessage)
			}
		})
	}
}

// Flagger's webhooks[].disableTLS accepts a self-signed certificate; a
// webhook without it refuses one.
func TestAWebhookWithDisableTLSAcceptsAnyCertificate(t *testing.T) {
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(server.Close)
	hooks := mustWebhooks(t, WebhooksOptions{})
	hook := v1alpha1.CanaryWebhook{Name: "load-test", URL: server.URL, DisableTLS: true}
	if got := hooks.Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "rev2"); !got.Passed {
		t.Errorf("with disableTLS: %+v, want passed", got)
	}
	hook.DisableTLS = false
	if got := hooks.Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "rev2"); got.Passed || !strings.Contains(got.Message, "certificate") {
		t.Errorf("without disableTLS: %+v, want a certificate failure", got)
	}
}
