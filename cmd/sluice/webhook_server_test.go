package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// sign is GitHub's X-Hub-Signature-256 of body with secret.
func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// pushBody is a push payload of ref to the repository full name.
func pushBody(ref, fullName, cloneURL string) string {
	return fmt.Sprintf(`{"ref":%q,"before":"%040d","after":"%040d","repository":{"full_name":%q,"clone_url":%q},"commits":[{"message":"payload-marker"}]}`,
		ref, 1, 2, fullName, cloneURL)
}

func TestThePushWebhookPollsOnlyForASignedPushToTheWatchedBranchAndRepository(t *testing.T) {
	const secret = "hook-s3cret"
	const watched = "https://github.example.com/acme/deploy.git"
	good := pushBody("refs/heads/main", "acme/deploy", "https://github.example.com/acme/deploy.git")
	cases := []struct {
		name, event, body, signature, contentType string
		wantCode                                  int
		wantPoll                                  bool
	}{
		{name: "a signed push to the watched branch polls", event: "push", body: good, signature: sign(secret, good), wantCode: 202, wantPoll: true},
		{name: "a ping is answered", event: "ping", body: `{"zen":"Keep it logically awesome."}`, signature: sign(secret, `{"zen":"Keep it logically awesome."}`), wantCode: 200},
		{name: "a push without a signature is refused", event: "push", body: good, wantCode: 401},
		{name: "a push signed with another secret is refused", event: "push", body: good, signature: sign("guess", good), wantCode: 401},
		{name: "a push whose body was changed after signing is refused", event: "push", body: strings.Replace(good, "acme", "evil", 1), signature: sign(secret, good), wantCode: 401},
		{name: "a SHA-1 signature alone is refused", event: "push", body: good, signature: "sha1=" + strings.Repeat("0", 40), wantCode: 401},
		{name: "a signature that is not hex is refused", event: "push", body: good, signature: "sha256=zz", wantCode: 401},
		{name: "a push to another branch is accepted and ignored", event: "push", body: pushBody("refs/heads/dev", "acme/deploy", watched), signature: sign(secret, pushBody("refs/heads/dev", "acme/deploy", watched)), wantCode: 202},
		{name: "a push of a tag named like the branch is ignored", event: "push", body: pushBody("refs/tags/main", "acme/deploy", watched), signature: sign(secret, pushBody("refs/tags/main", "acme/deploy", watched)), wantCode: 202},
		{name: "a push to another repository is accepted and ignored", event: "push", body: pushBody("refs/heads/main", "acme/other", "https://github.example.com/acme/other.git"), signature: sign(secret, pushBody("refs/heads/main", "acme/other", "https://github.example.com/acme/other.git")), wantCode: 202},
		{name: "a push to the same name on another host is ignored", event: "push", body: pushBody("refs/heads/main", "acme/deploy", "https://github.com/acme/deploy.git"), signature: sign(secret, pushBody("refs/heads/main", "acme/deploy", "https://github.com/acme/deploy.git")), wantCode: 202},
		{name: "another event is accepted and ignored", event: "issues", body: good, signature: sign(secret, good), wantCode: 202},
		{name: "a signed push that is not JSON is a bad request", event: "push", body: "{", signature: sign(secret, "{"), wantCode: 400},
		{name: "a push sent as a form polls", event: "push", contentType: "application/x-www-form-urlencoded", body: "payload=" + url.QueryEscape(good), signature: sign(secret, "payload="+url.QueryEscape(good)), wantCode: 202, wantPoll: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var polls atomic.Int32
			var logs strings.Builder
			hook := &pushHook{secret: []byte(secret), branch: "main", repoURL: watched, trigger: func() { polls.Add(1) }, log: slog.New(slog.NewJSONHandler(&logs, nil))}
			req := httptest.NewRequest(http.MethodPost, "/hooks/github", strings.NewReader(tc.body))
			req.Header.Set("X-GitHub-Event", tc.event)
			req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
			req.Header.Set("Content-Type", "application/json")
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.signature != "" {
				req.Header.Set("X-Hub-Signature-256", tc.signature)
			}
			rec := httptest.NewRecorder()
			hook.ServeHTTP(rec, req)
			if rec.Code != tc.wantCode {
				t.Errorf("status %d (%s), want %d", rec.Code, strings.TrimSpace(rec.Body.String()), tc.wantCode)
			}
			if got := polls.Load() == 1; got != tc.wantPoll {
				t.Errorf("polled: %v, want %v", got, tc.wantPoll)
			}
			if strings.Contains(logs.String(), "payload-marker") || strings.Contains(logs.String(), secret) {
				t.Errorf("the payload or the secret reached the log:\n%s", logs.String())
			}
			if tc.wantCode == 401 && !strings.Contains(logs.String(), "72d3162e") {
				t.Errorf("the refusal is not logged with its delivery id:\n%s", logs.String())
			}
		})
	}
}

func TestAWebhookBodyOverTheLimitIsRefusedWith413(t *testing.T) {
	const secret = "hook-s3cret"
	body := `{"ref":"refs/heads/main","pad":"` + strings.Repeat("x", maxWebhookBytes) + `"}`
	var polls atomic.Int32
	hook := &pushHook{secret: []byte(secret), branch: "main", repoURL: "https://github.example.com/acme/deploy", trigger: func() { polls.Add(1) }, log: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", sign(secret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || polls.Load() != 0 {
		t.Errorf("a body of %d bytes: status %d, %d polls; want 413 and none", len(body), resp.StatusCode, polls.Load())
	}
}

func TestSameRepositoryMatchesEveryURLFormOfTheWatchedRemote(t *testing.T) {
	push := pushEvent{}
	push.Repository.FullName = "Acme/Deploy"
	push.Repository.CloneURL = "https://github.com/Acme/Deploy.git"
	push.Repository.SSHURL = "git@github.com:Acme/Deploy.git"
	push.Repository.HTMLURL = "https://github.com/Acme/Deploy"
	for watched, want := range map[string]bool{
		"https://github.com/acme/deploy":                        true,
		"https://x-access-token:tok@github.com/acme/deploy.git": true,
		"git@github.com:acme/deploy.git":                        true,
		"ssh://git@github.com/acme/deploy.git":                  true,
		"https://github.com/acme/deploy-config.git":             false,
		"https://ghe.example.com/acme/deploy.git":               false,
		"/srv/git/acme/deploy.git":                              true,
		"file:///srv/git/acme/deploy.git":                       true,
		"/srv/git/other/deploy.git":                             false,
	} {
		if got := sameRepository(watched, push); got != want {
			t.Errorf("sameRepository(%q, acme/deploy) = %v, want %v", watched, got, want)
		}
	}
}

func TestTheWebhookServerServesOnlyPostOnItsPath(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	hook := &pushHook{secret: []byte("s"), branch: "main", repoURL: "x", trigger: func() {}, log: slog.New(slog.DiscardHandler)}
	addr, stopped, err := webhookServer(ctx, "127.0.0.1:0", slog.New(slog.DiscardHandler), hook)
	if err != nil {
		t.Fatal(err)
	}
	defer stopped()
	defer cancel()
	for _, tc := range []struct {
		method, path string
		want         int
	}{{"GET", "/hooks/github", 405}, {"POST", "/hooks/gitlab", 404}, {"POST", "/hooks/github", 401}} {
		req, _ := http.NewRequest(tc.method, "http://"+addr.String()+tc.path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
}
