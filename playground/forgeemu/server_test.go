package forgeemu

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestNewRefusesIncompleteOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"a missing directory", Options{Owner: "o", Repo: "r", Token: "t"}, "Options.Dir is required"},
		{"a missing token", Options{Dir: dir, Owner: "o", Repo: "r"}, "Options.Token is required"},
		{"a missing owner", Options{Dir: dir, Repo: "r", Token: "t"}, "Options.Owner"},
		{"an owner with a slash", Options{Dir: dir, Owner: "o/x", Repo: "r", Token: "t"}, "Options.Owner"},
		{"a repository named .git", Options{Dir: dir, Owner: "o", Repo: "r.git", Token: "t"}, "Options.Repo"},
		{"an invalid default branch", Options{Dir: dir, Owner: "o", Repo: "r", Token: "t", DefaultBranch: "a..b"}, "default branch"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestNewCreatesABareRepositoryOrKeepsTheOneThere(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := New(Options{Dir: dir, Owner: "o", Repo: "r", Token: "t", DefaultBranch: "trunk"})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "o", "r.git"); srv.RepoDir() != want {
		t.Errorf("RepoDir() = %s, want %s", srv.RepoDir(), want)
	}
	if got := runGit(t, srv.RepoDir(), "rev-parse", "--is-bare-repository"); got != "true" {
		t.Errorf("the repository is not bare: %s", got)
	}
	if got := runGit(t, srv.RepoDir(), "symbolic-ref", "HEAD"); got != "refs/heads/trunk" {
		t.Errorf("HEAD = %s, want refs/heads/trunk", got)
	}
	sha := commit(t, srv, Change{Branch: "trunk", Write: map[string]string{"a": "1"}})

	again, err := New(Options{Dir: dir, Owner: "o", Repo: "r", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if again.DefaultBranch() != "trunk" {
		t.Errorf("DefaultBranch() = %s after reopening, want trunk (the repository's HEAD)", again.DefaultBranch())
	}
	if got := runGit(t, again.RepoDir(), "rev-parse", "trunk"); got != sha {
		t.Errorf("trunk = %s after reopening, want %s", got, sha)
	}
}

func TestURLsBeforeAndAfterStart(t *testing.T) {
	t.Parallel()
	srv, err := New(Options{Dir: t.TempDir(), Owner: "o", Repo: "r", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if srv.URL() != "" || srv.APIURL() != "" || srv.GitURL() != "" {
		t.Errorf("URLs before Start = %q %q %q, want empty", srv.URL(), srv.APIURL(), srv.GitURL())
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close before Start = %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %s, want a loopback address", srv.URL())
	}
	if diff := cmp.Diff([]string{srv.URL() + "/api/v3/", srv.URL() + "/o/r.git"}, []string{srv.APIURL(), srv.GitURL()}); diff != "" {
		t.Errorf("URLs (-want +got):\n%s", diff)
	}
	if err := srv.Start(); err == nil {
		t.Errorf("a second Start succeeded")
	}
}

func TestAPIIsServedAtTheRootAndUnderAPIV3(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	enterprise, err := github.NewClient(nil).WithAuthToken(testToken).WithEnterpriseURLs(srv.URL(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	root := github.NewClient(nil).WithAuthToken(testToken)
	root.BaseURL, _ = root.BaseURL.Parse(srv.URL() + "/")

	for name, client := range map[string]*github.Client{"enterprise": enterprise, "root": root} {
		t.Run(name, func(t *testing.T) {
			_, resp, err := client.PullRequests.List(context.Background(), testOwner, testRepo, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status = %d, want 200", resp.StatusCode)
			}
		})
	}
}

func TestCloseStopsServing(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(srv.APIURL() + "repos/acme/shop/pulls"); err == nil {
		t.Errorf("the server still answers after Close")
	}
}
