package forge

import (
	"errors"
	"net/http"
	"slices"
	"sync"
)

// tokens sends the forge token with every request. With a source it reads
// the token anew for each request, so a rotated token is used without a
// restart; it remembers the last tokens it sent, so that errors can have
// them removed.
type tokens struct {
	source func() (string, error)

	mu   sync.Mutex
	sent []string // the most recent last; a few at most
}

// keepSent is how many distinct tokens tokens remembers for redaction.
const keepSent = 4

// current returns the token to send now.
func (t *tokens) current() (string, error) {
	token, err := t.source()
	if err != nil {
		return "", err
	}
	if token == "" {
		return "", errors.New("the forge token is empty")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if i := slices.Index(t.sent, token); i >= 0 {
		t.sent = slices.Delete(t.sent, i, i+1)
	}
	t.sent = append(t.sent, token)
	if len(t.sent) > keepSent {
		t.sent = slices.Delete(t.sent, 0, len(t.sent)-keepSent)
	}
	return token, nil
}

// secrets returns the tokens sent lately, for redaction.
func (t *tokens) secrets() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.sent)
}

// authTransport sets "Authorization: Bearer <token>" on every request.
type authTransport struct {
	tokens *tokens
	next   http.RoundTripper
}

func (a *authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	token, err := a.tokens.current()
	if err != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return a.next.RoundTrip(r)
}
