package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// maxWebhookBytes is the largest webhook body pushHook reads. GitHub caps
// a payload at 25 MB, but a push payload lists at most 20 commits and
// weighs a few KiB to a few hundred KiB; a larger body is refused with 413
// before it is read further, so that nobody can make sluice buffer
// megabytes without the secret.
const maxWebhookBytes = 1 << 20

// pushHook serves GitHub push webhooks (POST /hooks/github): a signed push
// to the watched branch of the watched repository calls trigger.
type pushHook struct {
	// secret is the webhook's shared secret; never empty.
	secret []byte
	// branch is the watched branch; repoURL the watched remote.
	branch, repoURL string
	// trigger asks for a poll now; it must not block.
	trigger func()
	log     *slog.Logger
}

// pushEvent holds the fields of GitHub's push payload that sluice reads.
type pushEvent struct {
	Ref        string `json:"ref"`
	After      string `json:"after"`
	Repository struct {
		FullName string `json:"full_name"`
		CloneURL string `json:"clone_url"`
		HTMLURL  string `json:"html_url"`
		SSHURL   string `json:"ssh_url"`
	} `json:"repository"`
}

// readWebhookSecret reads the secret from file, trailing white space
// removed; an empty secret is an error, since it would sign for anyone.
func readWebhookSecret(file string) ([]byte, error) {
	if file == "" {
		return nil, errors.New("--webhook-secret-file is required with --webhook-addr")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--webhook-secret-file: %w", err)
	}
	secret := strings.TrimRight(string(data), " \t\r\n")
	if secret == "" {
		return nil, fmt.Errorf("--webhook-secret-file: %s is empty", file)
	}
	return []byte(secret), nil
}

// ServeHTTP answers 401 to a missing or wrong signature, 413 to a body
// over maxWebhookBytes, 200 to a ping, 202 to any other signed delivery,
// and triggers a poll for a push to the watched branch and repository.
// Nothing of the payload is logged before its signature is checked.
func (h *pushHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	event, delivery := r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		h.log.Warn("Refused webhook delivery: body over the size limit", "delivery", delivery, "event", event, "limit", maxWebhookBytes, "remote", r.RemoteAddr)
		http.Error(w, fmt.Sprintf("body over %d bytes", maxWebhookBytes), http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	if !validSignature(h.secret, body, r.Header.Get("X-Hub-Signature-256")) {
		h.log.Warn("Refused webhook delivery: missing or wrong X-Hub-Signature-256", "delivery", delivery, "event", event, "remote", r.RemoteAddr)
		http.Error(w, "missing or wrong X-Hub-Signature-256", http.StatusUnauthorized)
		return
	}
	switch event {
	case "ping":
		_, _ = io.WriteString(w, "pong\n")
		return
	case "push":
	default:
		http.Error(w, fmt.Sprintf("ignored: event %q", event), http.StatusAccepted)
		return
	}
	payload, err := pushPayload(r.Header.Get("Content-Type"), body)
	if err != nil {
		http.Error(w, "push payload: "+err.Error(), http.StatusBadRequest)
		return
	}
	if reason := h.ignores(payload); reason != "" {
		http.Error(w, "ignored: "+reason, http.StatusAccepted)
		return
	}
	h.trigger()
	h.log.Info(fmt.Sprintf("Push to %s of %s: polling now", h.branch, payload.Repository.FullName), "delivery", delivery, "commit", payload.After)
	http.Error(w, "poll triggered", http.StatusAccepted)
}

// ignores tells why a push is not one to watch, or "" when it is.
func (h *pushHook) ignores(p pushEvent) string {
	if p.Ref != "refs/heads/"+h.branch {
		return fmt.Sprintf("a push to %s, not refs/heads/%s", p.Ref, h.branch)
	}
	if !sameRepository(h.repoURL, p) {
		return fmt.Sprintf("a push to %s, not the watched repository", p.Repository.FullName)
	}
	return ""
}

// pushPayload decodes a push payload sent as application/json or, as
// GitHub's "form" content type does, as a payload= form field.
func pushPayload(contentType string, body []byte) (pushEvent, error) {
	if strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return pushEvent{}, err
		}
		body = []byte(form.Get("payload"))
	}
	var p pushEvent
	err := json.Unmarshal(body, &p)
	return p, err
}

// validSignature reports, in constant time, whether header is
// "sha256=" followed by the hex HMAC-SHA256 of body with secret.
func validSignature(secret, body []byte, header string) bool {
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// sameRepository reports whether the push names the watched remote: one
// of its clone, SSH or web URLs is the same host and path (credentials,
// scheme, a trailing .git and case aside), or, for a remote given as a
// local path or file:// URL, which has no host, its full name ends the
// path.
func sameRepository(watched string, p pushEvent) bool {
	want, hasHost := repoKey(watched)
	for _, u := range []string{p.Repository.CloneURL, p.Repository.SSHURL, p.Repository.HTMLURL} {
		if key, _ := repoKey(u); u != "" && key == want {
			return true
		}
	}
	return !hasHost && p.Repository.FullName != "" && strings.HasSuffix(want, "/"+strings.ToLower(p.Repository.FullName))
}

// repoKey is host/path of a Git remote, lower case, without credentials,
// scheme, trailing slash or .git; hasHost is false for a local path or a
// file:// URL, whose key is the path.
func repoKey(remote string) (key string, hasHost bool) {
	key = remote
	if u, err := url.Parse(remote); err == nil && u.Scheme != "" && u.Host != "" {
		key, hasHost = u.Host+u.Path, true
	} else if err == nil && u.Scheme == "file" {
		key = u.Path
	} else if user, rest, ok := strings.Cut(remote, "@"); ok && !strings.Contains(user, "/") && strings.Contains(rest, ":") {
		key, hasHost = strings.Replace(rest, ":", "/", 1), true // git@host:owner/repo
	}
	key = strings.TrimSuffix(strings.TrimSuffix(key, "/"), ".git")
	return strings.ToLower(key), hasHost
}

// webhookServer serves hook at POST /hooks/github on addr until ctx ends,
// and returns the address it listens on and a wait for its shutdown. An
// address already in use fails here, before sluice syncs anything.
func webhookServer(ctx context.Context, addr string, log *slog.Logger, hook http.Handler) (net.Addr, func(), error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--webhook-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/github", hook)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("Webhook server stopped", "error", err.Error())
		}
	}()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info(fmt.Sprintf("Serving push webhooks on http://%s/hooks/github", l.Addr()))
	return l.Addr(), func() { <-done }, nil
}
