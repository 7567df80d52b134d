package alerts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout bounds a Send when SenderOptions.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxAnswer is how much of a webhook's answer is read: enough to let a
// short answer's connection be reused, and no more, since it is never
// shown.
const maxAnswer = 4 << 10

// maxRedirects is how many redirects, all to the webhook's own host and
// scheme, a Send follows.
const maxRedirects = 3

// SenderOptions configures a Sender. The zero value is ready to use.
type SenderOptions struct {
	// Timeout bounds each Send, redirects included. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// DialContext opens the connections, to the webhook or, when a
	// provider names one, to its proxy (which then reaches the webhook):
	// it lets the caller apply an address policy. Nil means a net.Dialer
	// with Go's default timeouts.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// RoundTripper, when set, sends every request instead of the transport
	// built from DialContext; Provider.Proxy is then not applied. For
	// tests.
	RoundTripper http.RoundTripper
}

// Sender posts alerts to chat services. It is safe for concurrent use.
type Sender struct {
	timeout      time.Duration
	dial         func(ctx context.Context, network, addr string) (net.Conn, error)
	roundTripper http.RoundTripper

	mu sync.Mutex
	// transports holds one transport per proxy ("" for none), so that
	// connections are reused across sends.
	transports map[string]*http.Transport
}

// NewSender returns a Sender configured by opts.
func NewSender(opts SenderOptions) *Sender {
	s := &Sender{timeout: opts.Timeout, dial: opts.DialContext, roundTripper: opts.RoundTripper, transports: map[string]*http.Transport{}}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.dial == nil {
		s.dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return s
}

// StatusError is a webhook's answer outside 2xx, including a redirect that
// Send did not follow. The answer's body is not kept: services quote the
// request, and the request's URL holds the token.
type StatusError struct {
	// Provider names the provider, as Provider.String does.
	Provider string
	// StatusCode is the HTTP status of the answer: 429 when the service
	// throttles, 4xx for a payload or webhook it refused, 5xx when it
	// failed.
	StatusCode int
}

// Error reads "slack provider flagger/on-call: answered 404 Not Found".
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s: answered %d %s", e.Provider, e.StatusCode, http.StatusText(e.StatusCode))
	if e.StatusCode/100 == 3 {
		msg += " (redirects to another host or scheme are not followed)"
	}
	return msg
}

// Send posts m to p's webhook as Payload renders it, with Content-Type
// application/json, and returns nil when the webhook answers 2xx.
//
// It refuses an invalid provider (see Provider.Validate) or severity
// before sending anything. The call is bounded by SenderOptions.Timeout
// and by ctx. Redirects are followed only to the same host and scheme, at
// most three. A non-2xx answer is a *StatusError. Nothing is retried: a
// retry could post the same alert twice, and whether an alert is worth
// another try is the caller's choice.
//
// Errors start with the provider (String) and never contain its address
// or proxy, nor the webhook's answer.
func (s *Sender) Send(ctx context.Context, p Provider, m Message) error {
	if err := p.Validate(); err != nil {
		return err
	}
	body, err := Payload(p, m)
	if err != nil {
		return err
	}
	err = s.post(ctx, p, body)
	var statusErr *StatusError
	if err == nil || errors.As(err, &statusErr) {
		return err
	}
	return redact(err, p.secrets())
}

// post sends body to p's address.
func (s *Sender) post(ctx context.Context, p Provider, body []byte) error {
	callCtx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, p.Address, bytes.NewReader(body))
	if err != nil { // not wrapped: the error quotes the URL
		return fmt.Errorf("%s: cannot make a request of the address", p)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sluice")
	client := &http.Client{Transport: s.transport(p.Proxy), CheckRedirect: sameHostRedirects}
	resp, err := client.Do(req)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // the url.Error quotes the URL
		}
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("%s: canceled: %w", p, err)
		case callCtx.Err() != nil:
			return fmt.Errorf("%s: no answer within %s: %w", p, s.timeout, err)
		}
		return fmt.Errorf("%s: post: %w", p, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode/100 != 2 {
		return &StatusError{Provider: p.String(), StatusCode: resp.StatusCode}
	}
	return nil
}

// transport returns the round tripper for a proxy ("" for none): the one
// of the options, or a transport of Go's defaults with the Sender's
// dialer, built once per proxy. The proxy was validated by Send.
func (s *Sender) transport(proxy string) http.RoundTripper {
	if s.roundTripper != nil {
		return s.roundTripper
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.transports[proxy]; ok {
		return t
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	if proxy != "" {
		proxyURL, _ := parseProxy(proxy)
		t.Proxy = http.ProxyURL(proxyURL)
	}
	t.DialContext = s.dial
	s.transports[proxy] = t
	return t
}

// sameHostRedirects follows at most maxRedirects redirects, all to the
// webhook's host and scheme: the request carries the token in its URL and
// the alert in its body, for no other host and never in clear text. A
// redirect refused ends the call with the redirect's answer, which Send
// reports as a StatusError.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if len(via) > maxRedirects || req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
		return http.ErrUseLastResponse
	}
	return nil
}

// redactedError is an error whose message had the provider's secrets cut
// out; it unwraps to the cause for errors.Is and errors.As.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// redact replaces every secret in err's message with "***". A transport's
// error may quote what a hostile or broken server answered, and a server
// may quote the request line.
func redact(err error, secrets []string) error {
	msg := err.Error()
	for _, secret := range secrets {
		msg = strings.ReplaceAll(msg, secret, "***")
	}
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, cause: err}
}
