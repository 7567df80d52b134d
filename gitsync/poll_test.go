package gitsync

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	"github.com/google/go-cmp/cmp"
)

func TestMain(m *testing.M) {
	// go-git's in-process server does not support shallow fetch; it is
	// installed under its own scheme so that the fallback to a full fetch
	// can be tested. Done once, before any test reads the protocol table.
	client.InstallProtocol("gogit", server.NewClient(server.NewFilesystemLoader(osfs.New(""))))
	os.Exit(m.Run())
}

func TestPollFollowsTheBranch(t *testing.T) {
	transports := []struct {
		name string
		url  func(srv *httpServer, o *origin) string
	}{
		{"over smart HTTP", func(srv *httpServer, _ *origin) string { return srv.URL + "/origin" }},
		{"over file://", func(_ *httpServer, o *origin) string { return "file://" + o.dir }},
		{"from a plain local path", func(_ *httpServer, o *origin) string { return o.dir }},
	}
	for _, tt := range transports {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			o := newOrigin(t, root, "origin")
			srv := newHTTPServer(t, root)
			work := filepath.Join(t.TempDir(), "work")
			repo := mustNew(t, Options{URL: tt.url(srv, o), Branch: "main", Dir: work})

			// The first poll checks out the head commit.
			first := o.commit(map[string]string{"app/deploy.yaml": "image: detail:1.0\n", "README.md": "hello\n"})
			got, changed, err := repo.Poll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := Checkout{Commit: first, Dir: filepath.Join(work, first), Ref: "refs/heads/main"}
			if diff := cmp.Diff(want, got); diff != "" || !changed {
				t.Fatalf("first poll: changed %v, checkout (-want +got):\n%s", changed, diff)
			}
			wantFiles := map[string]string{"app/deploy.yaml": "image: detail:1.0\n", "README.md": "hello\n"}
			if diff := cmp.Diff(wantFiles, treeFiles(t, got.Dir)); diff != "" {
				t.Errorf("first checkout files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(Stats{ListRemotes: 1, Fetches: 1, Checkouts: 1}, repo.Stats()); diff != "" {
				t.Errorf("stats after the first poll (-want +got):\n%s", diff)
			}

			// An unchanged head costs an ls-remote and no fetch.
			served := srv.uploadPacks.Load()
			got, changed, err = repo.Poll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" || changed {
				t.Fatalf("unchanged poll: changed %v, checkout (-want +got):\n%s", changed, diff)
			}
			if diff := cmp.Diff(Stats{ListRemotes: 2, Fetches: 1, Checkouts: 1}, repo.Stats()); diff != "" {
				t.Errorf("stats after an unchanged poll (-want +got):\n%s", diff)
			}
			if n := srv.uploadPacks.Load(); n != served {
				t.Errorf("the server answered %d fetches during an unchanged poll, want 0", n-served)
			}

			// A new commit is fetched alone and checked out next to the
			// previous checkout, which stays readable.
			second := o.commit(map[string]string{"app/deploy.yaml": "image: detail:2.0\n", "app/config.yaml": "level: debug\n", "README.md": ""})
			got, changed, err = repo.Poll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want = Checkout{Commit: second, Dir: filepath.Join(work, second), Ref: "refs/heads/main"}
			if diff := cmp.Diff(want, got); diff != "" || !changed {
				t.Fatalf("poll after a commit: changed %v, checkout (-want +got):\n%s", changed, diff)
			}
			wantFiles = map[string]string{"app/deploy.yaml": "image: detail:2.0\n", "app/config.yaml": "level: debug\n"}
			if diff := cmp.Diff(wantFiles, treeFiles(t, got.Dir)); diff != "" {
				t.Errorf("second checkout files (-want +got):\n%s", diff)
			}
			if n := commitCount(t, got.Dir); n != 1 {
				t.Errorf("the checkout's repository holds %d commits, want 1 (depth 1)", n)
			}
			if diff := cmp.Diff(sorted(first, second), dirNames(t, work)); diff != "" {
				t.Errorf("work directory after the second checkout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(Stats{ListRemotes: 3, Fetches: 2, Checkouts: 2}, repo.Stats()); diff != "" {
				t.Errorf("stats after a poll that moved (-want +got):\n%s", diff)
			}

			// The checkout before the previous one is removed.
			third := o.commit(map[string]string{"app/config.yaml": "level: info\n"})
			if _, _, err := repo.Poll(ctx); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(sorted(second, third), dirNames(t, work)); diff != "" {
				t.Errorf("work directory after the third checkout (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPollReusesTheCheckoutOfACommitTheBranchMovesBackTo(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	o := newOrigin(t, root, "origin")
	first := o.commit(map[string]string{"a.yaml": "1\n"})
	repo := mustNew(t, Options{URL: "file://" + o.dir, Branch: "main", Dir: t.TempDir()})
	before, _, err := repo.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o.commit(map[string]string{"a.yaml": "2\n"})
	if _, _, err := repo.Poll(ctx); err != nil {
		t.Fatal(err)
	}

	o.git("reset", "-q", "--hard", first) // a force push back
	got, changed, err := repo.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, got); diff != "" || !changed {
		t.Errorf("poll after moving back: changed %v, checkout (-want +got):\n%s", changed, diff)
	}
	if diff := cmp.Diff(Stats{ListRemotes: 3, Fetches: 2, Checkouts: 2}, repo.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestPollAuthenticates(t *testing.T) {
	cases := []struct {
		name     string
		user     string // expected by the server
		password string // expected by the server
		opts     func(t *testing.T, url string) Options
	}{
		{
			name: "a token read from a file is sent with the username", user: "sluice", password: "file-token",
			opts: func(t *testing.T, url string) Options {
				return Options{URL: url, Auth: Auth{Username: "sluice", Password: Secret{File: writeSecret(t, "file-token\n")}}}
			},
		},
		{
			name: "a token read from an environment variable is sent with the username", user: "sluice", password: "env-token",
			opts: func(t *testing.T, url string) Options {
				t.Setenv("SLUICE_TEST_GIT_TOKEN", "env-token")
				return Options{URL: url, Auth: Auth{Username: "sluice", Password: Secret{Env: "SLUICE_TEST_GIT_TOKEN"}}}
			},
		},
		{
			name: "a token without a username is sent as user git", user: "git", password: "bare-token",
			opts: func(t *testing.T, url string) Options {
				return Options{URL: url, Auth: Auth{Password: Secret{File: writeSecret(t, "bare-token")}}}
			},
		},
		{
			name: "a password source (a GitHub App's token) is asked at the poll", user: "x-access-token", password: "ghs_app-token",
			opts: func(t *testing.T, url string) Options {
				return Options{URL: url, Auth: Auth{Username: "x-access-token", PasswordSource: func() (string, error) { return "ghs_app-token", nil }}}
			},
		},
		{
			name: "a token in the URL is sent as basic auth", user: "sluice", password: "url-token",
			opts: func(t *testing.T, url string) Options {
				return Options{URL: strings.Replace(url, "http://", "http://sluice:url-token@", 1)}
			},
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			o := newOrigin(t, root, "origin")
			head := o.commit(map[string]string{"a.yaml": "1\n"})
			srv := newHTTPServer(t, root)
			srv.requireBasicAuth(tt.user, tt.password)
			opts := tt.opts(t, srv.URL+"/origin")
			opts.Branch, opts.Dir = "main", t.TempDir()

			got, _, err := mustNew(t, opts).Poll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got.Commit != head {
				t.Errorf("checked out %s, want %s", got.Commit, head)
			}
		})
	}
}

func TestPollFailsWithATypedErrorAndWritesNothing(t *testing.T) {
	const secret = "s3cr3t-t0ken"
	cases := []struct {
		name        string
		opts        func(t *testing.T, srv *httpServer, o *origin) Options
		wantKind    Kind
		wantMessage string // with URL standing for the remote's redacted URL; unchecked when empty
	}{
		{
			name: "a wrong token is an auth error that does not show the token",
			opts: func(t *testing.T, srv *httpServer, _ *origin) Options {
				srv.requireBasicAuth("sluice", "right-token")
				return Options{URL: srv.URL + "/origin", Auth: Auth{Username: "sluice", Password: Secret{File: writeSecret(t, secret)}}}
			},
			wantKind: KindAuth,
		},
		{
			name: "a wrong token in the URL is an auth error that shows the URL redacted",
			opts: func(t *testing.T, srv *httpServer, _ *origin) Options {
				srv.requireBasicAuth("sluice", "right-token")
				return Options{URL: strings.Replace(srv.URL, "http://", "http://sluice:"+secret+"@", 1) + "/origin"}
			},
			wantKind:    KindAuth,
			wantMessage: "URL#main: ls-remote: authentication required: bad credentials",
		},
		{
			name: "no credentials for a private repository is an auth error",
			opts: func(t *testing.T, srv *httpServer, _ *origin) Options {
				srv.requireBasicAuth("sluice", "right-token")
				return Options{URL: srv.URL + "/origin"}
			},
			wantKind: KindAuth,
		},
		{
			name: "a token file that does not exist is an auth error",
			opts: func(t *testing.T, srv *httpServer, _ *origin) Options {
				return Options{URL: srv.URL + "/origin", Auth: Auth{Password: Secret{File: filepath.Join(t.TempDir(), "missing")}}}
			},
			wantKind: KindAuth,
		},
		{
			name: "a token variable that is empty is an auth error",
			opts: func(t *testing.T, srv *httpServer, _ *origin) Options {
				t.Setenv("SLUICE_TEST_EMPTY_TOKEN", "")
				return Options{URL: srv.URL + "/origin", Auth: Auth{Password: Secret{Env: "SLUICE_TEST_EMPTY_TOKEN"}}}
			},
			wantKind:    KindAuth,
			wantMessage: "URL#main: auth: Auth.Password: environment variable SLUICE_TEST_EMPTY_TOKEN is empty or unset",
		},
		{
			name: "a password source that fails is an auth error",
			opts: func(t *testing.T, srv *httpServer, _ *origin) Options {
				return Options{URL: srv.URL + "/origin", Auth: Auth{PasswordSource: func() (string, error) { return "", errors.New("github app 42: refused") }}}
			},
			wantKind:    KindAuth,
			wantMessage: "URL#main: auth: Auth.PasswordSource: github app 42: refused",
		},
		{
			name: "a wrong token from a password source is an auth error that does not show it",
			opts: func(t *testing.T, srv *httpServer, _ *origin) Options {
				srv.requireBasicAuth("x-access-token", "right-token")
				return Options{URL: srv.URL + "/origin", Auth: Auth{Username: "x-access-token", PasswordSource: func() (string, error) { return secret, nil }}}
			},
			wantKind: KindAuth,
		},
		{
			name: "an unknown branch is a not-found error",
			opts: func(t *testing.T, srv *httpServer, _ *origin) Options {
				return Options{URL: srv.URL + "/origin", Branch: "no-such-branch"}
			},
			wantKind:    KindNotFound,
			wantMessage: `URL#no-such-branch: ls-remote: branch "no-such-branch" not found`,
		},
		{
			name: "an unknown repository over HTTP is a not-found error",
			opts: func(t *testing.T, srv *httpServer, _ *origin) Options {
				return Options{URL: srv.URL + "/no-such-repository"}
			},
			wantKind: KindNotFound,
		},
		{
			name: "an unknown repository over file:// is a not-found error",
			opts: func(t *testing.T, _ *httpServer, o *origin) Options {
				return Options{URL: "file://" + o.dir + "-missing"}
			},
			wantKind: KindNotFound,
		},
		{
			name: "a server that is down is a transient error that does not show the token",
			opts: func(t *testing.T, _ *httpServer, _ *origin) Options {
				down := httptest.NewServer(nil)
				down.Close()
				return Options{URL: strings.Replace(down.URL, "http://", "http://sluice:"+secret+"@", 1) + "/origin"}
			},
			wantKind: KindTransient,
		},
		{
			name: "a truncated pack is a transient error",
			opts: func(t *testing.T, srv *httpServer, _ *origin) Options {
				srv.truncate.Store(true)
				return Options{URL: srv.URL + "/origin"}
			},
			wantKind: KindTransient,
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			o := newOrigin(t, root, "origin")
			o.commit(map[string]string{"a.yaml": "1\n"})
			srv := newHTTPServer(t, root)
			opts := tt.opts(t, srv, o)
			if opts.Branch == "" {
				opts.Branch = "main"
			}
			opts.Dir = t.TempDir()
			repo := mustNew(t, opts)

			got, changed, err := repo.Poll(context.Background())
			t.Log(err)
			var gitErr *Error
			if !errors.As(err, &gitErr) {
				t.Fatalf("Poll returned %v (%T), want an *Error", err, err)
			}
			if gitErr.Kind != tt.wantKind || gitErr.Temporary() != (tt.wantKind == KindTransient) {
				t.Errorf("kind %v, temporary %v; want kind %v: %v", gitErr.Kind, gitErr.Temporary(), tt.wantKind, err)
			}
			for _, text := range []string{err.Error(), gitErr.Err.Error(), gitErr.URL} {
				if strings.Contains(text, secret) {
					t.Errorf("error text shows the secret: %s", text)
				}
			}
			if tt.wantMessage != "" {
				want := strings.ReplaceAll(tt.wantMessage, "URL", repo.URL())
				if diff := cmp.Diff(want, err.Error()); diff != "" {
					t.Errorf("message (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(Checkout{}, got); diff != "" || changed {
				t.Errorf("a failed poll returned changed %v and a checkout (-want +got):\n%s", changed, diff)
			}
			if names := dirNames(t, opts.Dir); len(names) != 0 {
				t.Errorf("a failed poll left %v in the work directory", names)
			}
		})
	}
}

func TestPollAfterAFailureKeepsThePreviousCheckout(t *testing.T) {
	cases := []struct {
		name     string
		breakIt  func(srv *httpServer, o *origin)
		healIt   func(srv *httpServer, o *origin)
		wantKind Kind
	}{
		{
			name:     "a truncated pack",
			breakIt:  func(srv *httpServer, _ *origin) { srv.truncate.Store(true) },
			healIt:   func(srv *httpServer, _ *origin) { srv.truncate.Store(false) },
			wantKind: KindTransient,
		},
		{
			name:     "a revoked token",
			breakIt:  func(srv *httpServer, _ *origin) { srv.requireBasicAuth("sluice", "rotated-token") },
			healIt:   func(srv *httpServer, _ *origin) { srv.requireBasicAuth("sluice", "the-token") },
			wantKind: KindAuth,
		},
		{
			name:     "a deleted branch",
			breakIt:  func(_ *httpServer, o *origin) { o.git("branch", "-D", "release") },
			healIt:   func(_ *httpServer, o *origin) { o.git("branch", "release", "main") },
			wantKind: KindNotFound,
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			o := newOrigin(t, root, "origin")
			first := o.commit(map[string]string{"a.yaml": "1\n"})
			o.git("branch", "release")
			srv := newHTTPServer(t, root)
			srv.requireBasicAuth("sluice", "the-token")
			work := t.TempDir()
			repo := mustNew(t, Options{
				URL: srv.URL + "/origin", Branch: "release", Dir: work,
				Auth: Auth{Username: "sluice", Password: Secret{File: writeSecret(t, "the-token")}},
			})
			previous, _, err := repo.Poll(ctx)
			if err != nil {
				t.Fatal(err)
			}

			second := o.commit(map[string]string{"a.yaml": "2\n"})
			o.git("branch", "-f", "release", "main")
			tt.breakIt(srv, o)
			_, _, err = repo.Poll(ctx)
			var gitErr *Error
			if !errors.As(err, &gitErr) || gitErr.Kind != tt.wantKind {
				t.Fatalf("Poll returned %v, want an *Error of kind %v", err, tt.wantKind)
			}
			if diff := cmp.Diff(map[string]string{"a.yaml": "1\n"}, treeFiles(t, previous.Dir)); diff != "" {
				t.Errorf("previous checkout after the failure (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{first}, dirNames(t, work)); diff != "" {
				t.Errorf("work directory after the failure (-want +got):\n%s", diff)
			}

			tt.healIt(srv, o)
			got, changed, err := repo.Poll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got.Commit != second || !changed {
				t.Errorf("poll after healing: changed %v, commit %s; want %s", changed, got.Commit, second)
			}
		})
	}
}

// BenchmarkPollUnchanged measures a poll of a remote whose head has not
// moved: one ls-remote over smart HTTP (git http-backend through CGI, so a
// process start per request), no fetch.
func BenchmarkPollUnchanged(b *testing.B) {
	ctx := context.Background()
	root := b.TempDir()
	o := newOrigin(b, root, "origin")
	for i := range 20 {
		o.commit(map[string]string{"apps/app" + string(rune('a'+i)) + ".yaml": "replicas: 1\n"})
	}
	srv := newHTTPServer(b, root)
	repo := mustNew(b, Options{URL: srv.URL + "/origin", Branch: "main", Dir: b.TempDir()})
	if _, _, err := repo.Poll(ctx); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, changed, err := repo.Poll(ctx); err != nil || changed {
			b.Fatalf("poll: changed %v, err %v", changed, err)
		}
	}
	b.StopTimer()
	if fetches := repo.Stats().Fetches; fetches != 1 {
		b.Errorf("%d fetches, want only the first poll's", fetches)
	}
}

// writeSecret writes a credential file and returns its path.
func writeSecret(t *testing.T, value string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sorted returns names in order, as os.ReadDir lists them.
func sorted(names ...string) []string {
	slices.Sort(names)
	return names
}
