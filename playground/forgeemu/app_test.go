package forgeemu

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/forge"
)

// startAppServer starts an emulator with a GitHub App (id 42, installation
// 7) whose tokens live ttl, and returns it with the App's private key.
func startAppServer(t *testing.T, ttl time.Duration) (*Server, *rsa.PrivateKey) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Dir: t.TempDir(), Owner: testOwner, Repo: testRepo, Token: testToken,
		App: &App{ID: 42, InstallationID: 7, PublicKey: &key.PublicKey, TokenTTL: ttl}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, key
}

// mint posts the JWT to the access_tokens endpoint of installation and
// returns the status and the decoded answer.
func mint(t *testing.T, srv *Server, installation, jwt string) (int, map[string]any) {
	t.Helper()
	resp, body := rawRequest(t, http.MethodPost, srv.APIURL()+"app/installations/"+installation+"/access_tokens", "Bearer "+jwt, "")
	var answer map[string]any
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		t.Fatalf("%d %s: %v", resp.StatusCode, body, err)
	}
	return resp.StatusCode, answer
}

func TestAccessTokensVerifiesTheAppJWT(t *testing.T) {
	t.Parallel()
	srv, key := startAppServer(t, time.Hour)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(k *rsa.PrivateKey, id int64, now time.Time) string {
		jwt, err := forge.SignAppJWT(k, id, now)
		if err != nil {
			t.Fatal(err)
		}
		return jwt
	}
	now := time.Now()
	valid := sign(key, 42, now)
	parts := strings.Split(valid, ".")
	cases := []struct {
		name         string
		installation string
		jwt          string
		wantStatus   int
	}{
		{"a JWT signed with the App's key gets a token", "7", valid, http.StatusCreated},
		{"a JWT signed with another key is refused", "7", sign(otherKey, 42, now), http.StatusUnauthorized},
		{"a JWT of another App is refused", "7", sign(key, 43, now), http.StatusUnauthorized},
		{"an expired JWT is refused", "7", sign(key, 42, now.Add(-time.Hour)), http.StatusUnauthorized},
		{"a JWT whose claims were changed after signing is refused", "7", parts[0] + "." + parts[1] + "x." + parts[2], http.StatusUnauthorized},
		{"a personal token is not a JWT", "7", testToken, http.StatusUnauthorized},
		{"another installation is not found", "8", valid, http.StatusNotFound},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			status, answer := mint(t, srv, tt.installation, tt.jwt)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %v", status, tt.wantStatus, answer)
			}
			if status != http.StatusCreated {
				return
			}
			token, _ := answer["token"].(string)
			expires, err := time.Parse(time.RFC3339, answer["expires_at"].(string))
			if !strings.HasPrefix(token, "ghs_") || err != nil || expires.Before(time.Now().Add(59*time.Minute)) {
				t.Errorf("answer = %v, want a ghs_ token that expires in an hour", answer)
			}
		})
	}
}

func TestInstallationTokensWorkForRESTAndGitUntilTheyExpire(t *testing.T) {
	t.Parallel()
	srv, key := startAppServer(t, 2*time.Second)
	commit(t, srv, Change{Branch: "main", Message: "initial", Write: map[string]string{"README.md": "# shop\n"}})
	jwt, err := forge.SignAppJWT(key, 42, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	status, answer := mint(t, srv, "7", jwt)
	if status != http.StatusCreated {
		t.Fatalf("status = %d: %v", status, answer)
	}
	token := answer["token"].(string)
	gitURL := strings.Replace(srv.GitURL(), "://", "://x-access-token:"+token+"@", 1)
	lsRemote := func() error {
		return exec.Command("git", "-c", "credential.helper=", "ls-remote", gitURL, "main").Run()
	}
	if resp, body := rawRequest(t, http.MethodGet, srv.APIURL()+"repos/acme/shop/pulls", "Bearer "+token, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("REST with a fresh token: %d %s", resp.StatusCode, body)
	}
	if err := lsRemote(); err != nil {
		t.Fatalf("git with a fresh token: %v", err)
	}
	time.Sleep(2100 * time.Millisecond)
	if resp, body := rawRequest(t, http.MethodGet, srv.APIURL()+"repos/acme/shop/pulls", "Bearer "+token, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("REST with an expired token: %d %s, want 401", resp.StatusCode, body)
	}
	if err := lsRemote(); err == nil {
		t.Errorf("git with an expired token succeeded, want a refusal")
	}
}
