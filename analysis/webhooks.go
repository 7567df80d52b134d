package analysis

import (
	"crypto/tls"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// The defaults of WebhooksOptions.
const (
	// DefaultWebhookAttempts is how many times a call is tried when the
	// webhook cannot be reached.
	DefaultWebhookAttempts = 3
	// DefaultWebhookRetryDelay is the pause before trying an unreachable
	// webhook again.
	DefaultWebhookRetryDelay = time.Second
)

// WebhooksOptions configures NewWebhooks. The zero value is ready to use.
type WebhooksOptions struct {
	// Transport carries the requests. Nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Attempts is how many times a call is tried in all when the webhook
	// cannot be reached (see Webhooks.Call). Below 1 means
	// DefaultWebhookAttempts.
	Attempts int
	// RetryDelay is the pause between two attempts. Zero means
	// DefaultWebhookRetryDelay.
	RetryDelay time.Duration
	// Allow lists the host names and networks (CIDRs, or single IPs)
	// webhooks may reach. Empty allows every address but link-local ones
	// (169.254.0.0/16, fe80::/10, fd00:ec2::254: cloud metadata), which
	// only a listed network allows. It applies when Transport is nil.
	// Redirects are followed only to the webhook's own host, whatever the
	// transport.
	Allow []string
}

// Webhooks calls the webhooks of Canaries in Flagger's load tester protocol.
// It is safe for concurrent use. It logs nothing, and no result carries the
// values of a webhook's metadata (see Webhooks.Call).
type Webhooks struct {
	client *http.Client
	// insecure is client accepting any TLS certificate, for the webhooks
	// with disableTLS.
	insecure   *http.Client
	attempts   int
	retryDelay time.Duration
}

// NewWebhooks returns a Webhooks configured by opts. An Allow entry that
// is not a host name, an IP or a CIDR is an error.
func NewWebhooks(opts WebhooksOptions) (*Webhooks, error) {
	policy, err := newAddressPolicy(opts.Allow)
	if err != nil {
		return nil, err
	}
	transport := opts.Transport
	if transport == nil {
		transport = policyTransport(policy)
	}
	insecure := transport
	if t, ok := transport.(*http.Transport); ok {
		clone := t.Clone()
		clone.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the webhook's disableTLS asks for it
		insecure = clone
	}
	w := &Webhooks{
		client:   &http.Client{Transport: transport, CheckRedirect: sameHostRedirects},
		insecure: &http.Client{Transport: insecure, CheckRedirect: sameHostRedirects},
		attempts: opts.Attempts, retryDelay: opts.RetryDelay,
	}
	if w.attempts < 1 {
		w.attempts = DefaultWebhookAttempts
	}
	if w.retryDelay == 0 {
		w.retryDelay = DefaultWebhookRetryDelay
	}
	return w, nil
}

// WebhookPayload is the JSON body posted to a webhook, field for field
// Flagger's CanaryWebhookPayload, which the Flagger load tester reads:
//
//	{"name":"detail","namespace":"flagger","phase":"Progressing","checksum":"…","metadata":{"cmd":"…"}}
type WebhookPayload struct {
	// Name of the Canary.
	Name string `json:"name"`
	// Namespace of the Canary.
	Namespace string `json:"namespace"`
	// Phase of the Canary when the webhook is called.
	Phase v1alpha1.CanaryPhase `json:"phase"`
	// Checksum identifies the revision being rolled out.
	Checksum string `json:"checksum"`
	// Metadata is the webhook's metadata; for event webhooks, also the
	// event (eventType, eventMessage, timestamp).
	Metadata map[string]string `json:"metadata,omitempty"`
}

// WebhookResult is the outcome of one webhook call.
type WebhookResult struct {
	// Name of the webhook.
	Name string
	// Type of the webhook, rollout when it names none.
	Type string
	// Role says what the outcome means for the rollout; see RoleOf.
	Role WebhookRole
	// Passed is true when the webhook answered 2xx.
	Passed bool
	// StatusCode is the HTTP status of the answer; 0 when there was none.
	StatusCode int
	// Attempts is how many requests were tried: more than one only when the
	// webhook could not be reached.
	Attempts int
	// Message says what happened, e.g. "Pre-rollout check acceptance-test
	// passed" or "Rollout check load-test failed: answered 500 Internal
	// Server Error". It never quotes the answer (it may reach a public
	// commit status) nor holds a metadata value.
	Message string
	// Answer is the start of what a webhook that did not pass answered,
	// at most 256 bytes, with every metadata value of four characters or
	// more replaced by "***": for Events and logs, never for a commit
	// status. Empty when it answered nothing or passed.
	Answer string
}
