package forgeemu

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// hookRecord is a repository webhook registered with POST .../hooks.
type hookRecord struct {
	id          int64
	url, secret string
	events      []string
	active      bool
	created     time.Time
}

// wants reports whether the hook is sent event.
func (h *hookRecord) wants(event string) bool {
	return h.active && (slices.Contains(h.events, event) || slices.Contains(h.events, "*"))
}

// Delivery is one webhook delivery the emulator made, for tests.
type Delivery struct {
	// HookID is the hook's id; Event its X-GitHub-Event; GUID its
	// X-GitHub-Delivery.
	HookID      int64
	Event, GUID string
	// Ref and After are the push payload's ref and after (empty for a ping).
	Ref, After string
	// Status is the answer's HTTP status, 0 when there was none; Err says
	// why.
	Status int
	Err    string
	// Sent is when the delivery started; Took how long it lasted.
	Sent time.Time
	Took time.Duration
}

// Deliveries returns the webhook deliveries made so far, in the order they
// ended.
func (s *Server) Deliveries() []Delivery {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	return slices.Clone(s.deliveries)
}

// createHook serves POST /repos/{owner}/{repo}/hooks as GitHub does for a
// "web" hook: config.url is required, config.content_type must be "json"
// (the "form" type is not implemented: 501), events default to ["push"],
// active to true. It answers 201 with the hook, whose secret reads
// "********", and then, as GitHub does, delivers a ping to it.
func (s *Server) createHook(w http.ResponseWriter, r *http.Request, _ params) *apiError {
	var body struct {
		Name   string   `json:"name"`
		Active *bool    `json:"active"`
		Events []string `json:"events"`
		Config struct {
			URL         string `json:"url"`
			ContentType string `json:"content_type"`
			Secret      string `json:"secret"`
		} `json:"config"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Name != "" && body.Name != "web" {
		return validationFailed(fieldError{Resource: "Hook", Field: "name", Code: "invalid"})
	}
	if u, err := url.Parse(body.Config.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return customValidation("Hook", "Config must contain a valid url")
	}
	if body.Config.ContentType != "json" {
		return notImplemented("webhook content_type %q (only json)", body.Config.ContentType)
	}
	if len(body.Events) == 0 {
		body.Events = []string{"push"}
	}
	s.lastID++
	hook := &hookRecord{id: s.lastID, url: body.Config.URL, secret: body.Config.Secret, events: body.Events, active: body.Active == nil || *body.Active, created: time.Now()}
	s.hookMu.Lock()
	s.hooks = append(s.hooks, hook)
	s.hookMu.Unlock()
	writeJSON(w, http.StatusCreated, s.hookJSON(hook))
	if hook.active {
		go s.deliver(hook, "ping", "", "", map[string]any{"zen": "Design for failure.", "hook_id": hook.id, "hook": s.hookJSON(hook)})
	}
	return nil
}

// hookJSON is a hook as GitHub answers it.
func (s *Server) hookJSON(h *hookRecord) map[string]any {
	self := fmt.Sprintf("%s/repos/%s/hooks/%d", s.apiBase(), s.fullName(), h.id)
	secret := ""
	if h.secret != "" {
		secret = "********"
	}
	return map[string]any{
		"type": "Repository", "id": h.id, "name": "web", "active": h.active, "events": h.events,
		"config":     map[string]any{"url": h.url, "content_type": "json", "insecure_ssl": "0", "secret": secret},
		"created_at": timestamp(h.created), "updated_at": timestamp(h.created),
		"url": self, "test_url": self + "/test", "ping_url": self + "/pings", "deliveries_url": self + "/deliveries",
	}
}

// notifyPushes compares the branch tips with the ones it saw last and
// delivers a push event, to every hook that wants one, for each branch
// that moved, appeared or went away. The server calls it after every
// request that may move a branch (a Git push, a merge) and after Commit;
// concurrent calls deliver each move once.
func (s *Server) notifyPushes(ctx context.Context) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	tips, err := s.repo.branches(ctx)
	if err != nil {
		return // the next call compares with the old tips again
	}
	old := s.tips
	s.tips = tips
	if len(s.hooks) == 0 {
		return
	}
	zero := "0000000000000000000000000000000000000000"
	moved := map[string][2]string{}
	for branch, after := range tips {
		if before, ok := old[branch]; !ok {
			moved[branch] = [2]string{zero, after}
		} else if before != after {
			moved[branch] = [2]string{before, after}
		}
	}
	for branch, before := range old {
		if _, ok := tips[branch]; !ok {
			moved[branch] = [2]string{before, zero}
		}
	}
	for branch, m := range moved {
		payload := s.pushPayload(branch, m[0], m[1])
		for _, hook := range s.hooks {
			if hook.wants("push") {
				go s.deliver(hook, "push", "refs/heads/"+branch, m[1], payload)
			}
		}
	}
}

// pushPayload is GitHub's push event payload for a move of branch, with
// the fields a receiver reads (commits are not listed).
func (s *Server) pushPayload(branch, before, after string) map[string]any {
	zero := "0000000000000000000000000000000000000000"
	var headCommit any
	if after != zero {
		headCommit = map[string]any{"id": after, "url": s.htmlBase() + "/commit/" + after}
	}
	return map[string]any{
		"ref": "refs/heads/" + branch, "before": before, "after": after,
		"created": before == zero, "deleted": after == zero, "forced": false,
		"base_ref": nil, "compare": s.htmlBase() + "/compare/" + before[:12] + "..." + after[:12],
		"commits": []any{}, "head_commit": headCommit,
		"repository": map[string]any{
			"name": s.opts.Repo, "full_name": s.fullName(), "private": false,
			"owner":          map[string]any{"login": s.opts.Owner, "name": s.opts.Owner},
			"html_url":       s.htmlBase(),
			"url":            s.htmlBase(),
			"clone_url":      s.GitURL(),
			"git_url":        "git://" + s.listener.Addr().String() + s.gitPrefix(),
			"default_branch": s.defaultBranch, "master_branch": s.defaultBranch,
		},
		"pusher": map[string]any{"name": s.opts.Owner, "email": nil},
		"sender": map[string]any{"login": s.opts.Owner, "type": "User"},
	}
}

// deliver POSTs one event to hook with GitHub's headers, signed with the
// hook's secret in X-Hub-Signature-256 (the legacy SHA-1 X-Hub-Signature
// is not sent), within GitHub's 10 s deadline, and records the delivery.
// A failed delivery is not retried, as on GitHub.
func (s *Server) deliver(hook *hookRecord, event, ref, after string, payload any) {
	body, err := json.Marshal(payload)
	if err != nil {
		return
	}
	guid := newGUID()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := Delivery{HookID: hook.id, Event: event, GUID: guid, Ref: ref, After: after, Sent: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.url, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "GitHub-Hookshot/forgeemu")
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-GitHub-Delivery", guid)
		req.Header.Set("X-GitHub-Hook-ID", strconv.FormatInt(hook.id, 10))
		req.Header.Set("X-GitHub-Hook-Installation-Target-Type", "repository")
		if hook.secret != "" {
			mac := hmac.New(sha256.New, []byte(hook.secret))
			mac.Write(body)
			req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		}
		var resp *http.Response
		if resp, err = http.DefaultClient.Do(req); err == nil {
			d.Status = resp.StatusCode
			resp.Body.Close()
		}
	}
	if err != nil {
		d.Err = err.Error()
	}
	d.Took = time.Since(d.Sent)
	s.hookMu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.hookMu.Unlock()
}

// newGUID is a random UUID, as GitHub's X-GitHub-Delivery.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
