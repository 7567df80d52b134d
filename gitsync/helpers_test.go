package gitsync

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// gitEnv is the environment of every git program a test runs: no user or
// system configuration, a fixed identity.
func gitEnv(home string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_AUTHOR_NAME=sluice test",
		"GIT_AUTHOR_EMAIL=test@sluice.invalid",
		"GIT_COMMITTER_NAME=sluice test",
		"GIT_COMMITTER_EMAIL=test@sluice.invalid",
	}
}

// origin is a repository with real commits that the tests serve as the
// remote. It is not bare: commits are made in it directly.
type origin struct {
	t   testing.TB
	dir string
}

// newOrigin creates an empty repository root/name whose branch is main.
func newOrigin(t testing.TB, root, name string) *origin {
	t.Helper()
	o := &origin{t: t, dir: filepath.Join(root, name)}
	runGit(t, root, "init", "-q", "-b", "main", o.dir)
	return o
}

// git runs git in the repository and returns its trimmed output.
func (o *origin) git(args ...string) string {
	o.t.Helper()
	return runGit(o.t, o.dir, args...)
}

// commit writes files (an empty content deletes the file), commits all
// changes and returns the new commit's SHA.
func (o *origin) commit(files map[string]string) string {
	o.t.Helper()
	for name, content := range files {
		path := filepath.Join(o.dir, filepath.FromSlash(name))
		if content == "" {
			if err := os.Remove(path); err != nil {
				o.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			o.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			o.t.Fatal(err)
		}
	}
	o.git("add", "-A")
	o.git("commit", "-q", "--allow-empty", "-m", "change")
	return o.git("rev-parse", "HEAD")
}

// runGit runs git in dir and returns its trimmed standard output.
func runGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv(dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// httpServer serves every repository under a root directory over Git smart
// HTTP with git http-backend, run through net/http/cgi, on a loopback port.
type httpServer struct {
	*httptest.Server
	backend http.Handler

	// uploadPacks counts the fetches the server answered (POST
	// git-upload-pack), as a witness independent of Stats.
	uploadPacks atomic.Int64
	// truncate makes the server cut every pack it sends in half.
	truncate atomic.Bool

	mu       sync.Mutex
	user     string
	password string
}

// newHTTPServer starts a smart-HTTP server for the repositories under root.
// It is closed when the test ends.
func newHTTPServer(t testing.TB, root string) *httpServer {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	s := &httpServer{backend: &cgi.Handler{
		Path:   gitPath,
		Args:   []string{"http-backend"},
		Dir:    root,
		Env:    append(gitEnv(root), "GIT_PROJECT_ROOT="+root, "GIT_HTTP_EXPORT_ALL=1"),
		Stderr: io.Discard,
	}}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// requireBasicAuth makes the server refuse requests without these
// credentials, as a forge does for a private repository.
func (s *httpServer) requireBasicAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.password = user, password
}

// ServeHTTP checks basic auth when required, counts fetches and hands the
// request to git http-backend.
func (s *httpServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	wantUser, wantPassword := s.user, s.password
	s.mu.Unlock()
	if wantPassword != "" {
		user, password, ok := req.BasicAuth()
		if !ok || user != wantUser || password != wantPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
	}
	isFetch := req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/git-upload-pack")
	if isFetch {
		s.uploadPacks.Add(1)
	}
	if !isFetch || !s.truncate.Load() {
		s.backend.ServeHTTP(w, req)
		return
	}
	recorder := httptest.NewRecorder()
	s.backend.ServeHTTP(recorder, req)
	for key, values := range recorder.Header() {
		w.Header()[key] = values
	}
	w.WriteHeader(recorder.Code)
	body := recorder.Body.Bytes()
	_, _ = w.Write(body[:len(body)/2])
}

// treeFiles returns the content of every file under dir, .git excepted, by
// slash-separated path.
func treeFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if entry.IsDir() && entry.Name() == ".git" {
			return filepath.SkipDir
		}
		if entry.IsDir() {
			return nil
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = string(content)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// commitCount returns how many commits the repository of a checkout holds.
func commitCount(t testing.TB, dir string) int {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	commits, err := repo.CommitObjects()
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	if err := commits.ForEach(func(*object.Commit) error { count++; return nil }); err != nil {
		t.Fatal(err)
	}
	return count
}

// dirNames lists the names in dir.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, entry := range entries {
		names = append(names, entry.Name())
	}
	return names
}

// mustNew calls New and fails the test on error.
func mustNew(t testing.TB, opts Options) *Repository {
	t.Helper()
	repo, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}
