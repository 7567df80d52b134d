package analysis

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Call posts a WebhookPayload for the Canary to the webhook's URL — name and
// namespace of the Canary, phase, checksum and the webhook's metadata — and
// reports whether it answered 2xx. phase is the Canary's phase at the call,
// as Flagger sends it (Progressing for rollout webhooks, for instance), and
// checksum identifies the revision being rolled out.
//
// The webhook's timeout (60s when empty) bounds the whole call, retries
// included. A call is retried, up to WebhooksOptions.Attempts in all, only
// when the webhook could not be reached (the connection could not be
// opened), because then the request was never received; an answer of any
// status, a reset connection and a timeout are never retried, since a load
// tester may already have started its command.
//
// The message never holds a metadata value: the excerpt of the answer that
// it quotes (load testers echo the failing command) has every value of four
// characters or more replaced by "***".
func (w *Webhooks) Call(ctx context.Context, canary *v1alpha1.Canary, hook v1alpha1.CanaryWebhook, phase v1alpha1.CanaryPhase, checksum string) WebhookResult {
	return w.post(ctx, hook, WebhookPayload{
		Name: canary.Name, Namespace: canary.Namespace, Phase: phase, Checksum: checksum, Metadata: hook.Metadata,
	})
}

// Event is a rollout event sent to event webhooks.
type Event struct {
	// Type is the Kubernetes event type: Normal or Warning.
	Type string
	// Message is the event's message, e.g. "Advance detail.flagger canary
	// weight 5".
	Message string
	// Time is when it happened. Zero means now.
	Time time.Time
}

// CallEvent is Call for an event webhook: as Flagger does, the payload's
// metadata holds eventType, eventMessage and timestamp (Unix milliseconds)
// in addition to the webhook's own metadata, which cannot override them.
func (w *Webhooks) CallEvent(ctx context.Context, canary *v1alpha1.Canary, hook v1alpha1.CanaryWebhook, phase v1alpha1.CanaryPhase, checksum string, event Event) WebhookResult {
	if event.Time.IsZero() {
		event.Time = time.Now()
	}
	metadata := maps.Clone(hook.Metadata)
	if metadata == nil {
		metadata = map[string]string{}
	}
	metadata["eventType"] = event.Type
	metadata["eventMessage"] = event.Message
	metadata["timestamp"] = strconv.FormatInt(event.Time.UnixMilli(), 10)
	return w.post(ctx, hook, WebhookPayload{
		Name: canary.Name, Namespace: canary.Namespace, Phase: phase, Checksum: checksum, Metadata: metadata,
	})
}

// post sends payload to the hook, retrying while it cannot be reached.
func (w *Webhooks) post(ctx context.Context, hook v1alpha1.CanaryWebhook, payload WebhookPayload) WebhookResult {
	result := WebhookResult{Name: hook.Name, Type: typeOf(hook.Type), Role: RoleOf(hook.Type)}
	timeout, err := hookTimeout(hook.Timeout)
	if err != nil {
		return result.failed(err.Error())
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return result.failed(fmt.Sprintf("encode payload: %v", err))
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := w.client
	if hook.DisableTLS {
		client = w.insecure
	}
	// Unreachable, a call is tried w.attempts times; with the hook's
	// retries (Flagger's), also after an error or a 429 or 5xx answer.
	attempts := max(w.attempts, 1+int(hook.Retries))
	for {
		result.Attempts++
		status, answer, err := w.send(callCtx, client, hook.URL, body)
		retry := hook.Retries > 0 && result.Attempts <= int(hook.Retries)
		switch {
		case err == nil && status/100 == 2:
			result.StatusCode, result.Passed = status, true
			result.Message = fmt.Sprintf("%s check %s passed", title(result.Type), hook.Name)
			return result
		case err == nil && (!retry || !retryable(status)):
			result.StatusCode = status
			result.Answer = excerpt(redact(answer, payload.Metadata))
			return result.failed(fmt.Sprintf("answered %d %s%s", status, http.StatusText(status), after(result.Attempts)))
		case err == nil:
		case ctx.Err() != nil:
			return result.failed(fmt.Sprintf("canceled: %v", context.Cause(ctx)))
		case callCtx.Err() != nil:
			return result.failed(fmt.Sprintf("no answer within %s", timeout))
		case !(unreachable(err) || retry) || result.Attempts >= attempts:
			return result.failed(fmt.Sprintf("%s (%s)", describe(hook.URL, err), plural(result.Attempts, "attempt")))
		}
		select {
		case <-callCtx.Done():
			if ctx.Err() != nil {
				return result.failed(fmt.Sprintf("canceled: %v", context.Cause(ctx)))
			}
			return result.failed(fmt.Sprintf("%s (%s, then no time left within %s)",
				describe(hook.URL, err), plural(result.Attempts, "attempt"), timeout))
		case <-time.After(w.retryDelay):
		}
	}
}

// failed returns r as a failure for reason.
func (r WebhookResult) failed(reason string) WebhookResult {
	r.Passed = false
	r.Message = fmt.Sprintf("%s check %s failed: %s", title(r.Type), r.Name, reason)
	return r
}

// maxAnswer bounds how much of an answer is read; maxExcerpt how much of it
// a message quotes.
const (
	maxAnswer  = 64 << 10
	maxExcerpt = 256
)

// send posts body to rawURL and returns the status and the start of the
// answer.
func (w *Webhooks) send(ctx context.Context, client *http.Client, rawURL string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_, _ = io.Copy(io.Discard, resp.Body) // lets the connection be reused
	return resp.StatusCode, string(answer), nil
}

// hookTimeout parses a webhook's timeout; empty means
// v1alpha1.DefaultWebhookTimeout.
func hookTimeout(text string) (time.Duration, error) {
	if text == "" {
		text = v1alpha1.DefaultWebhookTimeout
	}
	d, err := time.ParseDuration(text)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("timeout %q is not a positive duration such as 30s", text)
	}
	return d, nil
}

// retryable reports whether an answer is worth another try, as Flagger's
// retrying client judges it: 429 and every 5xx but 501.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status/100 == 5 && status != http.StatusNotImplemented
}

// after says how many tries an answer came after, when more than one.
func after(attempts int) string {
	if attempts == 1 {
		return ""
	}
	return fmt.Sprintf(" (%s)", plural(attempts, "attempt"))
}

// unreachable reports whether err is a failure to open the connection, so
// that the request surely was not received.
func unreachable(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// describe writes a transport error with the webhook's URL shorn of
// credentials and query, which may hold secrets.
func describe(rawURL string, err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	where := "the webhook"
	if u, parseErr := url.Parse(rawURL); parseErr == nil {
		where = u.Scheme + "://" + u.Host + u.Path
	}
	return fmt.Sprintf("POST %s: %v", where, err)
}

// excerpt is the start of an answer, at most maxExcerpt bytes.
func excerpt(body string) string {
	body = strings.TrimSpace(body)
	if len(body) > maxExcerpt {
		body = strings.ToValidUTF8(body[:maxExcerpt], "") + "…"
	}
	return body
}

// minRedacted is the length from which a metadata value is redacted: a
// shorter one is no secret, and hiding every "1" or "ab" would garble the
// text.
const minRedacted = 4

// redact replaces in text every metadata value of minRedacted characters
// or more with "***", longest first so that a value inside another does not
// leave the rest of it visible.
func redact(text string, metadata map[string]string) string {
	values := slices.Collect(maps.Values(metadata))
	slices.SortFunc(values, func(a, b string) int {
		return cmp.Or(len(b)-len(a), strings.Compare(a, b))
	})
	var pairs []string
	for _, v := range slices.Compact(values) {
		if utf8.RuneCountInString(v) >= minRedacted {
			pairs = append(pairs, v, "***")
		}
	}
	if len(pairs) == 0 {
		return text
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// title capitalizes a webhook type for a message: "Pre-rollout".
func title(hookType string) string {
	if hookType == "" {
		return ""
	}
	return strings.ToUpper(hookType[:1]) + hookType[1:]
}

// plural writes "1 attempt" or "3 attempts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
