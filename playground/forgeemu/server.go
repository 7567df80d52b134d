package forgeemu

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures New.
type Options struct {
	// Dir is the directory that holds the bare repository, at
	// Dir/<Owner>/<Repo>.git. Required. It is not removed by Close.
	Dir string
	// Owner and Repo name the one repository the emulator serves, as in
	// github.com/<Owner>/<Repo>. Required; letters, digits, '.', '-', '_'.
	Owner, Repo string
	// Token is the one credential the emulator accepts, on the REST API
	// and for Git. Required.
	Token string
	// DefaultBranch is the branch HEAD names in a repository New creates.
	// Zero means "main". A repository that exists already keeps its HEAD.
	DefaultBranch string
	// Addr is the TCP address Start listens on. Zero means "127.0.0.1:0",
	// a free loopback port.
	Addr string
	// App, when set, is a GitHub App whose installation tokens the
	// emulator mints at POST /app/installations/{id}/access_tokens and
	// accepts, until they expire, besides Token. Nil: no App. Only its
	// tokens may create and update Check Runs, as on GitHub.
	App *App
}

// Server emulates one GitHub repository. Once Start has returned, its
// methods are safe for concurrent use; Commit works before Start too.
type Server struct {
	opts          Options
	token         atomic.Pointer[string] // the accepted token: opts.Token until SetToken
	repo          *repository
	defaultBranch string
	gitBackend    gitBackend

	listener net.Listener
	http     *http.Server
	baseURL  string

	// mu serializes the REST handlers: they read branch tips, then change
	// the in-memory state below, as one step.
	mu       sync.Mutex
	pulls    []*pullRecord
	statuses []*statusRecord
	comments []*commentRecord
	lastID   int64
	// checkRuns are the Check Runs, oldest first; checkSuites the id of
	// the one check suite of each commit that has runs (checkrun.go).
	checkRuns   []*checkRunRecord
	checkSuites map[string]int64

	// logMu guards the request log and the faults, which Git requests use
	// too, outside mu.
	logMu    sync.Mutex
	requests []Request
	faults   []*fault

	// hookMu guards the webhooks, the branch tips last compared for push
	// events, and the deliveries (hook.go).
	hookMu     sync.Mutex
	hooks      []*hookRecord
	tips       map[string]string
	deliveries []Delivery

	// appMu guards the installation tokens minted for Options.App, with
	// their expiry (app.go).
	appMu     sync.Mutex
	appTokens map[string]time.Time
	appMinted int
}

// validName is what GitHub accepts as an owner or a repository name.
var validName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// New checks opts and creates the bare repository Dir/<Owner>/<Repo>.git
// with HEAD naming DefaultBranch if it does not exist yet; an existing one
// is used as it is. The server does not listen until Start. git must be on
// PATH.
func New(opts Options) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.DefaultBranch == "" {
		opts.DefaultBranch = "main"
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("forgeemu: %w", err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("forgeemu: %w", err)
	}
	opts.Dir = dir
	repo := &repository{dir: filepath.Join(dir, opts.Owner, opts.Repo+".git"), gitPath: gitPath}
	defaultBranch, err := repo.ensure(context.Background(), opts.DefaultBranch)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, repo: repo, defaultBranch: defaultBranch}
	if s.tips, err = repo.branches(context.Background()); err != nil {
		return nil, fmt.Errorf("forgeemu: %w", err)
	}
	s.token.Store(&opts.Token)
	s.gitBackend = gitBackend{gitPath: gitPath, projectRoot: dir, env: repo.env()}
	return s, nil
}

// validate reports the first missing or malformed option.
func (o Options) validate() error {
	switch {
	case o.Dir == "":
		return errors.New("forgeemu: Options.Dir is required")
	case o.Token == "":
		return errors.New("forgeemu: Options.Token is required")
	case o.App != nil && (o.App.ID <= 0 || o.App.InstallationID <= 0 || o.App.PublicKey == nil):
		return errors.New("forgeemu: Options.App needs ID, InstallationID and PublicKey")
	case !validRepoName(o.Owner):
		return fmt.Errorf("forgeemu: Options.Owner %q is not a valid owner name", o.Owner)
	case !validRepoName(o.Repo):
		return fmt.Errorf("forgeemu: Options.Repo %q is not a valid repository name", o.Repo)
	}
	return nil
}

// validRepoName reports whether name can be an owner or repository name.
func validRepoName(name string) bool {
	return validName.MatchString(name) && name != "." && name != ".." && !strings.HasSuffix(name, ".git")
}

// Start listens on Options.Addr and serves in the background until Close.
// It fails if the server was started before.
func (s *Server) Start() error {
	if s.listener != nil {
		return errors.New("forgeemu: already started")
	}
	listener, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("forgeemu: %w", err)
	}
	s.listener = listener
	s.baseURL = "http://" + listener.Addr().String()
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(listener) }()
	return nil
}

// Close stops listening and closes every open connection at once. The
// repository stays on disk. Close before Start does nothing.
func (s *Server) Close() error {
	if s.http == nil {
		return nil
	}
	if err := s.http.Close(); err != nil {
		return fmt.Errorf("forgeemu: %w", err)
	}
	return nil
}

// URL is the server's base URL, such as http://127.0.0.1:41234, with no
// trailing slash; the HTML links of pull requests start with it. It is
// empty before Start.
func (s *Server) URL() string { return s.baseURL }

// APIURL is the REST API base with a trailing slash, URL + "/api/v3/", the
// value a go-github client's BaseURL takes. The API is also served at
// URL + "/". Empty before Start.
func (s *Server) APIURL() string {
	if s.baseURL == "" {
		return ""
	}
	return s.baseURL + "/api/v3/"
}

// GitURL is the repository's Git smart-HTTP URL,
// URL + "/<owner>/<repo>.git". Empty before Start.
func (s *Server) GitURL() string {
	if s.baseURL == "" {
		return ""
	}
	return s.baseURL + s.gitPrefix()
}

// RepoDir is the path of the bare repository on disk.
func (s *Server) RepoDir() string { return s.repo.dir }

// DefaultBranch is the branch HEAD of the repository names.
func (s *Server) DefaultBranch() string { return s.defaultBranch }

// gitPrefix is the path under which Git smart HTTP is served.
func (s *Server) gitPrefix() string {
	return "/" + s.opts.Owner + "/" + s.opts.Repo + ".git"
}

// fullName is owner/repo.
func (s *Server) fullName() string { return s.opts.Owner + "/" + s.opts.Repo }

// apiBase is the REST base used in the "url" fields of answers.
func (s *Server) apiBase() string { return s.baseURL + "/api/v3" }

// htmlBase is the web page of the repository, used in "html_url" fields.
func (s *Server) htmlBase() string { return s.baseURL + "/" + s.fullName() }

// ServeHTTP serves the REST API and Git smart HTTP. It logs every request,
// checks credentials, then applies the first matching injected fault.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := apiPath(r.URL.Path)
	// Git is served at the root only, as on github.com.
	isGit := r.URL.Path == s.gitPrefix() || strings.HasPrefix(r.URL.Path, s.gitPrefix()+"/")
	rec := &recordingWriter{ResponseWriter: w}
	defer func() { s.record(r, path, rec) }()

	if isGit {
		user, ok := s.gitAuthorized(r)
		if !ok {
			rec.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
			writeError(rec, &apiError{Status: http.StatusUnauthorized, Message: "Invalid username or token. Password authentication is not supported for Git operations."})
			return
		}
		serveGit := func(w http.ResponseWriter) { s.gitBackend.serve(w, r, user) }
		if !s.injectFault(rec, r, path, serveGit) {
			serveGit(rec)
		}
		if strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			s.notifyPushes(r.Context())
		}
		return
	}
	if installation, ok := accessTokensPath(path); ok {
		s.serveAccessToken(rec, r, installation) // authenticated by the App's JWT
		return
	}
	if err := s.apiAuthorized(r); err != nil {
		writeError(rec, err)
		return
	}
	serveAPI := func(w http.ResponseWriter) { s.serveAPI(w, r) }
	if !s.injectFault(rec, r, path, serveAPI) {
		serveAPI(rec)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.notifyPushes(r.Context()) // a merge moves a branch
	}
}

// apiPath removes the GitHub Enterprise prefix /api/v3 from a request path.
func apiPath(path string) string {
	if rest, ok := strings.CutPrefix(path, "/api/v3"); ok && (rest == "" || rest[0] == '/') {
		if rest == "" {
			return "/"
		}
		return rest
	}
	return path
}

// gitEnv is the environment of every git program the server runs: no user
// or system configuration, a fixed identity, messages in English.
func gitEnv(home string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=forgeemu",
		"GIT_AUTHOR_EMAIL=forgeemu@sluice.invalid",
		"GIT_COMMITTER_NAME=forgeemu",
		"GIT_COMMITTER_EMAIL=forgeemu@sluice.invalid",
	}
}
