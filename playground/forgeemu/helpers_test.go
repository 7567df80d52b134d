package forgeemu

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// testToken is the token of every test server.
const testToken = "ghp_emulatorTestToken0123456789"

// Names of the repository every test server emulates.
const (
	testOwner = "acme"
	testRepo  = "shop"
)

// startServer starts an emulator in a temporary directory whose default
// branch main holds one commit with README.md and app.yaml. It is closed
// when the test ends.
func startServer(t *testing.T) *Server {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	srv, err := New(Options{Dir: t.TempDir(), Owner: testOwner, Repo: testRepo, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	commit(t, srv, Change{Branch: "main", Message: "initial", Write: map[string]string{
		"README.md": "# shop\n",
		"app.yaml":  "image: shop:1.0\nreplicas: 2\n",
	}})
	return srv
}

// commit is Server.Commit that fails the test on error.
func commit(t *testing.T, srv *Server, c Change) string {
	t.Helper()
	sha, err := srv.Commit(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return sha
}

// newClient is a go-github client of the server's API, authenticated with
// token.
func newClient(t *testing.T, srv *Server, token string) *github.Client {
	t.Helper()
	client := github.NewClient(nil).WithAuthToken(token)
	base, err := url.Parse(srv.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	client.BaseURL = base
	return client
}

// statusOf is the HTTP status of a go-github error, 0 when there is none.
func statusOf(err error) int {
	var errResp *github.ErrorResponse
	if errors.As(err, &errResp) && errResp.Response != nil {
		return errResp.Response.StatusCode
	}
	return 0
}

// wantStatus fails the test unless err is a go-github error with status.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	if got := statusOf(err); got != status {
		t.Fatalf("got error %v (status %d), want status %d", err, got, status)
	}
}

// newPull opens a pull request through the API and returns it.
func newPull(t *testing.T, client *github.Client, head, base, title string) *github.PullRequest {
	t.Helper()
	pr, _, err := client.PullRequests.Create(context.Background(), testOwner, testRepo, &github.NewPullRequest{
		Title: github.String(title), Head: github.String(head), Base: github.String(base), Body: github.String("body of " + title),
	})
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// runGit runs the git CLI in dir and returns its trimmed output.
func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := tryGit(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// tryGit runs the git CLI in dir and returns its trimmed combined output.
func tryGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv(dir) // no user configuration, no prompt for credentials
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// rawRequest sends a request to the server with the given Authorization
// header (none when empty) and returns the response with its body read.
func rawRequest(t *testing.T, method, url, authorization, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(data)
}
