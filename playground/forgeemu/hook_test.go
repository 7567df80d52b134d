package forgeemu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// hookReceiver records the webhook deliveries it is sent.
type hookReceiver struct {
	mu       sync.Mutex
	received []receivedHook
}

type receivedHook struct {
	header http.Header
	body   []byte
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.received = append(h.received, receivedHook{r.Header.Clone(), body})
	h.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// wait returns the first n deliveries once they arrived, within 5 s.
func (h *hookReceiver) wait(t *testing.T, n int) []receivedHook {
	t.Helper()
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(10 * time.Millisecond) {
		h.mu.Lock()
		got := append([]receivedHook(nil), h.received...)
		h.mu.Unlock()
		if len(got) >= n {
			return got
		}
	}
	t.Fatalf("fewer than %d deliveries within 5s", n)
	return nil
}

// pushOf decodes a push delivery after checking its headers and signature.
func pushOf(t *testing.T, d receivedHook, secret string) (ref, after, cloneURL, fullName string) {
	t.Helper()
	if got := d.header.Get("X-GitHub-Event"); got != "push" {
		t.Fatalf("X-GitHub-Event %q, want push", got)
	}
	if d.header.Get("X-GitHub-Delivery") == "" || d.header.Get("X-GitHub-Hook-ID") == "" {
		t.Errorf("missing X-GitHub-Delivery or X-GitHub-Hook-ID: %v", d.header)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(d.body)
	if got, want := d.header.Get("X-Hub-Signature-256"), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("X-Hub-Signature-256 %q, want %q", got, want)
	}
	var p struct {
		Ref, After string
		Repository struct {
			FullName string `json:"full_name"`
			CloneURL string `json:"clone_url"`
		}
	}
	if err := json.Unmarshal(d.body, &p); err != nil {
		t.Fatal(err)
	}
	return p.Ref, p.After, p.Repository.CloneURL, p.Repository.FullName
}

func TestARegisteredHookIsPingedThenSentASignedPushForEveryBranchMove(t *testing.T) {
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	receiver := &hookReceiver{}
	target := httptest.NewServer(receiver)
	defer target.Close()
	const secret = "hook-s3cret"
	hook, _, err := client.Repositories.CreateHook(context.Background(), testOwner, testRepo, &github.Hook{
		Config: &github.HookConfig{URL: github.String(target.URL + "/hooks/github"), ContentType: github.String("json"), Secret: github.String(secret)},
		Events: []string{"push"}, Active: github.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if hook.GetID() == 0 || hook.GetConfig().GetSecret() != "********" || hook.GetConfig().GetURL() != target.URL+"/hooks/github" {
		t.Errorf("created hook %+v: want an id, the URL and a masked secret", hook)
	}
	if got := receiver.wait(t, 1)[0].header.Get("X-GitHub-Event"); got != "ping" {
		t.Fatalf("first delivery %q, want ping", got)
	}

	// A developer's push (Commit), then a merged pull request, then a push
	// over smart HTTP: each delivers one push of the branch that moved.
	pushed := commit(t, srv, Change{Branch: "main", Message: "bump", Write: map[string]string{"app.yaml": "image: shop:2.0\n"}})
	ref, after, cloneURL, fullName := pushOf(t, receiver.wait(t, 2)[1], secret)
	if ref != "refs/heads/main" || after != pushed || cloneURL != srv.GitURL() || fullName != testOwner+"/"+testRepo {
		t.Errorf("push after Commit: ref %q after %q clone_url %q full_name %q; want refs/heads/main %s %s %s/%s", ref, after, cloneURL, fullName, pushed, srv.GitURL(), testOwner, testRepo)
	}

	commit(t, srv, Change{Branch: "feature", From: "main", Message: "3.0", Write: map[string]string{"app.yaml": "image: shop:3.0\n"}})
	if ref, _, _, _ := pushOf(t, receiver.wait(t, 3)[2], secret); ref != "refs/heads/feature" {
		t.Errorf("push of a new branch: ref %q, want refs/heads/feature", ref)
	}
	pr := newPull(t, client, "feature", "main", "ship 3.0")
	merged, _, err := client.PullRequests.Merge(context.Background(), testOwner, testRepo, pr.GetNumber(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ref, after, _, _ := pushOf(t, receiver.wait(t, 4)[3], secret); ref != "refs/heads/main" || after != merged.GetSHA() {
		t.Errorf("push after a merge: ref %q after %q, want refs/heads/main %s", ref, after, merged.GetSHA())
	}

	work := t.TempDir()
	remote := strings.Replace(srv.GitURL(), "http://", "http://x-access-token:"+testToken+"@", 1)
	runGit(t, work, "clone", "--quiet", remote, ".")
	runGit(t, work, "commit", "--quiet", "--allow-empty", "-m", "over smart HTTP")
	head := runGit(t, work, "rev-parse", "HEAD")
	runGit(t, work, "push", "--quiet", "origin", "main")
	if ref, after, _, _ := pushOf(t, receiver.wait(t, 5)[4], secret); ref != "refs/heads/main" || after != head {
		t.Errorf("push over smart HTTP: ref %q after %q, want refs/heads/main %s", ref, after, head)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(receiver.wait(t, 5)); n != 5 {
		t.Errorf("%d deliveries, want 5: a ping and one per move", n)
	}
	for _, d := range srv.Deliveries() {
		if d.Status != http.StatusAccepted {
			t.Errorf("delivery %+v: want status 202 recorded", d)
		}
	}
}

func TestAHookWithoutAURLOrWithTheFormContentTypeIsRefused(t *testing.T) {
	srv := startServer(t)
	auth := "Bearer " + testToken
	resp, _ := rawRequest(t, http.MethodPost, srv.APIURL()+"repos/acme/shop/hooks", auth, `{"config":{"content_type":"json"}}`)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a hook without a URL: %d, want 422", resp.StatusCode)
	}
	resp, _ = rawRequest(t, http.MethodPost, srv.APIURL()+"repos/acme/shop/hooks", auth, `{"config":{"url":"http://127.0.0.1:9/"}}`)
	if resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("a hook with GitHub's default form content type: %d, want 501", resp.StatusCode)
	}
}
