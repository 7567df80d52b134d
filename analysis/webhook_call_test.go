package analysis

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// hookServer is a webhook that records the requests it receives and
// answers with respond.
type hookServer struct {
	*httptest.Server
	requests atomic.Int32
	bodies   chan string
	headers  chan http.Header
}

func newHookServer(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *hookServer {
	t.Helper()
	s := &hookServer{bodies: make(chan string, 10), headers: make(chan http.Header, 10)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		body, _ := io.ReadAll(r.Body)
		s.bodies <- string(body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		s.headers <- r.Header.Clone()
		respond(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func answer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestWebhooksCall(t *testing.T) {
	tests := []struct {
		name     string
		hookType string
		timeout  string
		respond  func(http.ResponseWriter, *http.Request)
		want     WebhookResult
		requests int32 // received by the server; zero means 1
	}{
		{
			name: "a 200 passes", hookType: v1alpha1.WebhookPreRollout, respond: answer(200, "ok"),
			want: WebhookResult{Name: "acceptance-test", Type: "pre-rollout", Role: RoleCheck, Passed: true, StatusCode: 200, Attempts: 1,
				Message: "Pre-rollout check acceptance-test passed"},
		},
		{
			name: "any 2xx passes", hookType: v1alpha1.WebhookConfirmPromotion, respond: answer(202, ""),
			want: WebhookResult{Name: "acceptance-test", Type: "confirm-promotion", Role: RoleGate, Passed: true, StatusCode: 202, Attempts: 1,
				Message: "Confirm-promotion check acceptance-test passed"},
		},
		{
			name: "a 500 fails, the start of the answer apart from the message", hookType: v1alpha1.WebhookPreRollout, respond: answer(500, "command curl failed: exit status 22\n"),
			want: WebhookResult{Name: "acceptance-test", Type: "pre-rollout", Role: RoleCheck, StatusCode: 500, Attempts: 1,
				Message: "Pre-rollout check acceptance-test failed: answered 500 Internal Server Error", Answer: "command curl failed: exit status 22"},
		},
		{
			name: "a gate that answers 403 fails and is not retried", hookType: v1alpha1.WebhookConfirmRollout, respond: answer(403, ""),
			want: WebhookResult{Name: "acceptance-test", Type: "confirm-rollout", Role: RoleGate, StatusCode: 403, Attempts: 1,
				Message: "Confirm-rollout check acceptance-test failed: answered 403 Forbidden"},
		},
		{
			name: "a redirect to a 2xx passes", hookType: "", respond: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/" {
					http.Redirect(w, r, "/moved", http.StatusTemporaryRedirect)
					return
				}
				w.WriteHeader(200)
			},
			want: WebhookResult{Name: "acceptance-test", Type: "rollout", Role: RoleCheck, Passed: true, StatusCode: 200, Attempts: 1,
				Message: "Rollout check acceptance-test passed"},
			requests: 2,
		},
		{
			name: "a webhook slower than its timeout fails", hookType: v1alpha1.WebhookRollout, timeout: "200ms",
			respond: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			want: WebhookResult{Name: "acceptance-test", Type: "rollout", Role: RoleCheck, Attempts: 1,
				Message: "Rollout check acceptance-test failed: no answer within 200ms"},
		},
		{
			name: "a long answer is cut", hookType: v1alpha1.WebhookPostRollout, respond: answer(400, strings.Repeat("x", 300)),
			want: WebhookResult{Name: "acceptance-test", Type: "post-rollout", Role: RoleNotification, StatusCode: 400, Attempts: 1,
				Message: "Post-rollout check acceptance-test failed: answered 400 Bad Request", Answer: strings.Repeat("x", 256) + "…"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			server := newHookServer(t, tt.respond)
			hook := v1alpha1.CanaryWebhook{Name: "acceptance-test", Type: tt.hookType, URL: server.URL + "/", Timeout: tt.timeout}
			got := mustWebhooks(t, WebhooksOptions{RetryDelay: time.Millisecond}).Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "rev2")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Call (-want +got):\n%s", diff)
			}
			if tt.requests == 0 {
				tt.requests = 1
			}
			if n := server.requests.Load(); n != tt.requests {
				t.Errorf("the webhook received %d requests, want %d", n, tt.requests)
			}
		})
	}
}

func TestWebhooksCallPostsTheLoadTesterPayload(t *testing.T) {
	server := newHookServer(t, answer(200, ""))
	hook := v1alpha1.CanaryWebhook{Name: "acceptance-test", Type: v1alpha1.WebhookPreRollout, URL: server.URL,
		Metadata: map[string]string{"type": "bash", "cmd": "curl -sf http://detail-canary.flagger:3000/catalogDetail"}}
	mustWebhooks(t, WebhooksOptions{}).Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "5f6c7d8e")
	want := `{"name":"detail","namespace":"flagger","phase":"Progressing","checksum":"5f6c7d8e",` +
		`"metadata":{"cmd":"curl -sf http://detail-canary.flagger:3000/catalogDetail","type":"bash"}}`
	if diff := cmp.Diff(want, <-server.bodies); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
	if got := (<-server.headers).Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
}

func TestWebhooksCallWithoutMetadataOmitsIt(t *testing.T) {
	server := newHookServer(t, answer(200, ""))
	hook := v1alpha1.CanaryWebhook{Name: "gate", Type: v1alpha1.WebhookConfirmRollout, URL: server.URL}
	mustWebhooks(t, WebhooksOptions{}).Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseWaiting, "")
	want := `{"name":"detail","namespace":"flagger","phase":"Waiting","checksum":""}`
	if diff := cmp.Diff(want, <-server.bodies); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
}

func TestWebhooksCallEventAddsTheEvent(t *testing.T) {
	server := newHookServer(t, answer(200, ""))
	hook := v1alpha1.CanaryWebhook{Name: "slack", Type: v1alpha1.WebhookEvent, URL: server.URL,
		Metadata: map[string]string{"channel": "deploys", "eventType": "cannot override"}}
	event := Event{Type: "Normal", Message: "Advance detail.flagger canary weight 5", Time: time.UnixMilli(1764072000123)}
	got := mustWebhooks(t, WebhooksOptions{}).CallEvent(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "rev2", event)
	want := `{"name":"detail","namespace":"flagger","phase":"Progressing","checksum":"rev2","metadata":` +
		`{"channel":"deploys","eventMessage":"Advance detail.flagger canary weight 5","eventType":"Normal","timestamp":"1764072000123"}}`
	if diff := cmp.Diff(want, <-server.bodies); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
	if !got.Passed || got.Role != RoleNotification || got.Message != "Event check slack passed" {
		t.Errorf("CallEvent = %+v, want a passed notification", got)
	}
	if hook.Metadata["eventType"] != "cannot override" {
		t.Errorf("CallEvent changed the webhook's metadata: %v", hook.Metadata)
	}
}

// countingTransport counts the requests that a real transport carries.
type countingTransport struct {
	requests atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestWebhooksCallRetriesAnUnreachableWebhookABoundedNumberOfTimes(t *testing.T) {
	address := closedAddress(t)
	transport := &countingTransport{}
	hooks := mustWebhooks(t, WebhooksOptions{Transport: transport, RetryDelay: 10 * time.Millisecond})
	hook := v1alpha1.CanaryWebhook{Name: "load-test", URL: "http://" + address + "/run?token=s3cr3t"}
	got := hooks.Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "rev2")
	want := WebhookResult{Name: "load-test", Type: "rollout", Role: RoleCheck, Attempts: 3,
		Message: fmt.Sprintf("Rollout check load-test failed: POST http://%s/run: dial tcp %s: connect: connection refused (3 attempts)", address, address)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Call (-want +got):\n%s", diff)
	}
	if n := transport.requests.Load(); n != DefaultWebhookAttempts {
		t.Errorf("%d requests were tried, want %d", n, DefaultWebhookAttempts)
	}
}

func TestWebhooksCallRetriesWithinTheTimeout(t *testing.T) {
	hooks := mustWebhooks(t, WebhooksOptions{Attempts: 100, RetryDelay: 50 * time.Millisecond})
	hook := v1alpha1.CanaryWebhook{Name: "load-test", URL: "http://" + closedAddress(t), Timeout: "300ms"}
	start := time.Now()
	got := hooks.Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "rev2")
	if took := time.Since(start); got.Passed || got.Attempts >= 100 || took > 2*time.Second ||
		!strings.Contains(got.Message, "then no time left within 300ms") {
		t.Errorf("Call = %+v after %s, want a failure within the 300ms timeout", got, took)
	}
}

func TestWebhooksCallDoesNotRetryAConnectionLostAfterTheRequest(t *testing.T) {
	// The load tester may have started the command: posting again could run
	// it twice.
	server := newHookServer(t, func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	hook := v1alpha1.CanaryWebhook{Name: "load-test", Type: v1alpha1.WebhookRollout, URL: server.URL}
	got := mustWebhooks(t, WebhooksOptions{RetryDelay: time.Millisecond}).Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "rev2")
	if got.Passed || got.Attempts != 1 || !strings.HasPrefix(got.Message, "Rollout check load-test failed: POST "+server.URL+": ") {
		t.Errorf("Call = %+v, want one failed attempt", got)
	}
	if n := server.requests.Load(); n != 1 {
		t.Errorf("the webhook received %d requests, want 1", n)
	}
}

func TestWebhooksCallNeverShowsMetadataValues(t *testing.T) {
	// Flagger's load tester answers a failed command with the command.
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "command failed: %s", body)
	}
	server := newHookServer(t, echo)
	hook := v1alpha1.CanaryWebhook{Name: "smoke", Type: v1alpha1.WebhookPreRollout, URL: server.URL, Metadata: map[string]string{
		"type": "bash", "cmd": "curl -H 'Authorization: Bearer s3cr3t-token' http://detail-canary", "token": "s3cr3t-token", "n": "1",
	}}
	got := mustWebhooks(t, WebhooksOptions{}).Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "rev2")
	if strings.Contains(got.Message+got.Answer, "s3cr3t") || strings.Contains(got.Message+got.Answer, "curl") {
		t.Errorf("the result shows a metadata value: %s / %s", got.Message, got.Answer)
	}
	if want := "Pre-rollout check smoke failed: answered 400 Bad Request"; got.Message != want {
		t.Errorf("message = %s\nwant      %s", got.Message, want)
	}
	want := `command failed: {"name":"detail","namespace":"flagger",` +
		`"phase":"Progressing","checksum":"rev2","metadata":{"cmd":"***","n":"1","token":"***","type":"***"}}`
	if got.Answer != want {
		t.Errorf("answer = %s\nwant     %s", got.Answer, want)
	}
}

func TestWebhooksCallFailures(t *testing.T) {
	server := newHookServer(t, answer(200, ""))
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		hook v1alpha1.CanaryWebhook
		want string
	}{
		{
			name: "a timeout that is not a duration", ctx: context.Background(),
			hook: v1alpha1.CanaryWebhook{Name: "h", URL: server.URL, Timeout: "soon"},
			want: `Rollout check h failed: timeout "soon" is not a positive duration such as 30s`,
		},
		{
			name: "a canceled context", ctx: canceled,
			hook: v1alpha1.CanaryWebhook{Name: "h", URL: server.URL},
			want: "Rollout check h failed: canceled: context canceled",
		},
		{
			name: "a URL that is not one", ctx: context.Background(),
			hook: v1alpha1.CanaryWebhook{Name: "h", URL: "::"},
			want: "Rollout check h failed: POST the webhook: missing protocol scheme (1 attempt)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustWebhooks(t, WebhooksOptions{}).Call(tt.ctx, seedCanary(""), tt.hook, v1alpha1.PhaseProgressing, "")
			if got.Passed || got.Message != tt.want {
				t.Errorf("Call = %+v\nwant the message %s", got, tt.want)
			}
		})
	}
}

func mustWebhooks(t *testing.T, opts WebhooksOptions) *Webhooks {
	t.Helper()
	w, err := NewWebhooks(opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// A webhook URL comes from Git: it must not be turned against the
// cluster's own metadata service, nor redirect sluice elsewhere.
func TestWebhooksRefuseLinkLocalAddressesOtherHostsRedirectsAndWhatTheAllowListLeavesOut(t *testing.T) {
	other := newHookServer(t, answer(200, ""))
	redirecting := newHookServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/", http.StatusTemporaryRedirect)
	})
	local := newHookServer(t, answer(200, ""))
	port := local.URL[strings.LastIndex(local.URL, ":"):]
	tests := []struct {
		name  string
		allow []string
		url   string
		want  string // in the message; empty: passes
	}{
		{name: "the cloud metadata address", url: "http://169.254.169.254/latest/meta-data/", want: "is link-local (cloud metadata lives there): refused"},
		{name: "the IPv6 metadata address", url: "http://[fd00:ec2::254]/", want: "is link-local"},
		{name: "a redirect to another host", url: redirecting.URL + "/", want: "redirect to another host refused"},
		{name: "a host the allow-list leaves out", allow: []string{"10.0.0.0/8"}, url: local.URL + "/", want: "is not in the webhook allow-list"},
		{name: "an address the allow-list names", allow: []string{"127.0.0.0/8"}, url: local.URL + "/"},
		{name: "a host name the allow-list names", allow: []string{"localhost"}, url: "http://localhost" + port + "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hooks := mustWebhooks(t, WebhooksOptions{Allow: tt.allow, Attempts: 1})
			hook := v1alpha1.CanaryWebhook{Name: "gate", Type: v1alpha1.WebhookPreRollout, URL: tt.url, Timeout: "2s"}
			got := hooks.Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "rev2")
			switch {
			case tt.want == "" && !got.Passed:
				t.Errorf("Call = %+v, want a pass", got)
			case tt.want != "" && (got.Passed || !strings.Contains(got.Message, tt.want)):
				t.Errorf("Call = %+v, want a failure saying %q", got, tt.want)
			}
		})
	}
	if n := other.requests.Load(); n != 0 {
		t.Errorf("the host redirected to received %d requests, want none", n)
	}
	// Listed explicitly, a link-local address is dialled (what answers
	// there depends on the machine; the policy does not refuse it).
	hook := v1alpha1.CanaryWebhook{Name: "gate", Type: v1alpha1.WebhookPreRollout, URL: "http://169.254.169.254:1/", Timeout: "1s"}
	got := mustWebhooks(t, WebhooksOptions{Allow: []string{"169.254.169.254/32"}, Attempts: 1}).Call(t.Context(), seedCanary(""), hook, v1alpha1.PhaseProgressing, "rev2")
	if strings.Contains(got.Message, "refused;") || strings.Contains(got.Message, "allow-list") {
		t.Errorf("an address the allow-list names was refused: %s", got.Message)
	}
	if _, err := NewWebhooks(WebhooksOptions{Allow: []string{"10.0.0.0/33"}}); err == nil {
		t.Error("an allow-list with a bad CIDR was accepted")
	}
}
