package forge

import (
	"context"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/sluicehq/sluice/playground/forgeemu"
)

// testToken is the token of every test forge.
const testToken = "ghp_forgeContractTestToken42"

// Names of the repository every test forge emulates.
const (
	testOwner = "flagger"
	testRepo  = "workshop"
)

// testForge is a running emulator with a commit on main, a client of it
// through this package, and a go-github client to look behind its back.
type testForge struct {
	t      *testing.T
	srv    *forgeemu.Server
	gh     *GitHub
	direct *github.Client
	ctx    context.Context
}

// newTestForge starts an emulator for the test. Retries wait a millisecond.
func newTestForge(t *testing.T) *testForge {
	t.Helper()
	return newTestForgeWithApp(t, nil)
}

// newTestForgeWithApp is newTestForge with a GitHub App on the emulator
// (nil: none).
func newTestForgeWithApp(t *testing.T, app *forgeemu.App) *testForge {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	srv, err := forgeemu.New(forgeemu.Options{Dir: t.TempDir(), Owner: testOwner, Repo: testRepo, Token: testToken, App: app})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	f := &testForge{t: t, srv: srv, ctx: context.Background()}
	f.commit("main", map[string]string{"detail/deployment.yaml": "image: detail:1.0\n"})
	f.gh = f.client(GitHubOptions{})

	f.direct = github.NewClient(nil).WithAuthToken(testToken)
	f.direct.BaseURL, err = url.Parse(srv.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// client is a GitHub of the emulator; opts' zero fields are filled with
// the emulator's URL, names and token and a one-millisecond backoff.
func (f *testForge) client(opts GitHubOptions) *GitHub {
	f.t.Helper()
	if opts.APIURL == "" {
		opts.APIURL = f.srv.APIURL()
	}
	if opts.Owner == "" {
		opts.Owner, opts.Repo = testOwner, testRepo
	}
	if opts.Token == "" && opts.TokenSource == nil {
		opts.Token = testToken
	}
	if opts.Backoff == nil {
		opts.Backoff = func(int) time.Duration { return time.Millisecond }
	}
	gh, err := NewGitHub(opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return gh
}

// commit writes files on a branch of the emulator and returns the commit.
func (f *testForge) commit(branch string, files map[string]string) string {
	f.t.Helper()
	sha, err := f.srv.Commit(f.ctx, forgeemu.Change{Branch: branch, Write: files})
	if err != nil {
		f.t.Fatal(err)
	}
	return sha
}

// head is the tip of a branch of the emulator.
func (f *testForge) head(branch string) string {
	f.t.Helper()
	cmd := exec.Command("git", "--git-dir", f.srv.RepoDir(), "rev-parse", "refs/heads/"+branch)
	out, err := cmd.Output()
	if err != nil {
		f.t.Fatalf("rev-parse %s: %v", branch, err)
	}
	return strings.TrimSpace(string(out))
}

// requests counts the requests to the emulator with this method whose
// path ends with suffix, since the test forge started.
func (f *testForge) requests(method, suffix string) int {
	n := 0
	for _, r := range f.srv.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

// requestsWithQuery counts the requests of method whose path ends with
// suffix and whose query holds param (such as "app_id=42").
func (f *testForge) requestsWithQuery(method, suffix, param string) int {
	n := 0
	for _, r := range f.srv.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) && slices.Contains(strings.Split(r.Query, "&"), param) {
			n++
		}
	}
	return n
}

// allPulls lists every pull request of the emulator, straight from the API.
func (f *testForge) allPulls() []*github.PullRequest {
	f.t.Helper()
	pulls, _, err := f.direct.PullRequests.List(f.ctx, testOwner, testRepo, &github.PullRequestListOptions{State: "all"})
	if err != nil {
		f.t.Fatal(err)
	}
	return pulls
}

// revertBranch creates the branch of a revert pull request and returns
// its name.
func (f *testForge) revertBranch(name string) string {
	f.t.Helper()
	f.commit(name, map[string]string{"detail/deployment.yaml": "image: detail:2.0\n"})
	return name
}
