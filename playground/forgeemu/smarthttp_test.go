package forgeemu

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

func TestGoGitClonesAndPushesWithTheToken(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	auth := &githttp.BasicAuth{Username: "x-access-token", Password: testToken}
	dir := t.TempDir()

	repo, err := git.PlainCloneContext(ctx, dir, false, &git.CloneOptions{URL: srv.GitURL(), Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "app.yaml")); err != nil || !strings.Contains(string(data), "shop:1.0") {
		t.Fatalf("cloned app.yaml = %q, %v", data, err)
	}

	tree, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("pushed"), Create: true}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte("image: shop:2.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.Add("app.yaml"); err != nil {
		t.Fatal(err)
	}
	sha, err := tree.Commit("move to 2.0", &git.CommitOptions{Author: &object.Signature{Name: "dev", Email: "dev@sluice.invalid", When: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	err = repo.PushContext(ctx, &git.PushOptions{Auth: auth, RefSpecs: []config.RefSpec{"refs/heads/pushed:refs/heads/pushed"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, srv.RepoDir(), "rev-parse", "pushed"); got != sha.String() {
		t.Errorf("pushed = %s on the server, want %s", got, sha)
	}

	// The pushed branch is at once usable through the API.
	pr := newPull(t, newClient(t, srv, testToken), "pushed", "main", "pushed with go-git")
	if pr.GetHead().GetSHA() != sha.String() {
		t.Errorf("head of the pull request = %s, want %s", pr.GetHead().GetSHA(), sha)
	}
}

func TestGoGitWithAWrongTokenIsRefused(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cases := []struct {
		name string
		auth transport.AuthMethod
	}{
		{"a wrong token", &githttp.BasicAuth{Username: "x-access-token", Password: "wrong"}},
		{"no credentials", nil},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := git.PlainCloneContext(context.Background(), t.TempDir(), false, &git.CloneOptions{URL: srv.GitURL(), Auth: tt.auth})
			if !errors.Is(err, transport.ErrAuthenticationRequired) {
				t.Errorf("clone = %v, want %v", err, transport.ErrAuthenticationRequired)
			}
		})
	}
}

func TestGitCLIClonesAndPushesWithTheTokenAndNotWithout(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	withToken, wrongToken := credentialURL(t, srv, testToken), credentialURL(t, srv, "wrong")
	work := t.TempDir()

	runGit(t, work, "clone", "--quiet", withToken, "clone")
	clone := filepath.Join(work, "clone")
	if err := os.WriteFile(filepath.Join(clone, "app.yaml"), []byte("image: shop:3.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runGit(t, clone, "-c", "user.name=dev", "-c", "user.email=dev@sluice.invalid", "commit", "--quiet", "-am", "move to 3.0")
	sha := runGit(t, clone, "rev-parse", "HEAD")

	out, err := tryGit(clone, "push", "--quiet", wrongToken, "HEAD:refs/heads/main")
	if err == nil || !strings.Contains(out, "Authentication failed") {
		t.Errorf("a push with a wrong token = %v: %s; want an authentication failure", err, out)
	}
	if got := runGit(t, srv.RepoDir(), "rev-parse", "main"); got == sha {
		t.Errorf("the refused push moved main")
	}
	out, err = tryGit(work, "clone", "--quiet", srv.GitURL(), "anonymous")
	if err == nil {
		t.Errorf("a clone without credentials succeeded: %s", out)
	}

	runGit(t, clone, "push", "--quiet", withToken, "HEAD:refs/heads/main")
	if got := runGit(t, srv.RepoDir(), "rev-parse", "main"); got != sha {
		t.Errorf("main = %s after the push, want %s", got, sha)
	}
}

func TestGitAnswers401WithAChallenge(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	resp, _ := rawRequest(t, http.MethodGet, srv.GitURL()+"/info/refs?service=git-upload-pack", "", "")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("status %d, WWW-Authenticate %q; want 401 and a Basic challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// The REST token header does not open Git: it wants basic credentials.
	resp, _ = rawRequest(t, http.MethodGet, srv.GitURL()+"/info/refs?service=git-upload-pack", "Bearer "+testToken, "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status with a bearer token = %d, want 401", resp.StatusCode)
	}
	// Git is served at the root only, not under /api/v3.
	resp, _ = rawRequest(t, http.MethodGet, srv.APIURL()+"acme/shop.git/info/refs?service=git-upload-pack", "Bearer "+testToken, "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("Git under /api/v3 answered %d, want 404", resp.StatusCode)
	}
}

// credentialURL is the Git URL of the server with x-access-token:token as
// its user information.
func credentialURL(t *testing.T, srv *Server, token string) string {
	t.Helper()
	u, err := url.Parse(srv.GitURL())
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("x-access-token", token)
	return u.String()
}
