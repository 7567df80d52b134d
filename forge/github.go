package forge

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// DefaultAPIURL is github.com's REST base.
const DefaultAPIURL = "https://api.github.com/"

// GitHubOptions configures NewGitHub.
type GitHubOptions struct {
	// APIURL is the REST base that request paths such as
	// "repos/{owner}/{repo}/pulls" are appended to: DefaultAPIURL for
	// github.com (the zero value), https://<host>/api/v3/ for GitHub
	// Enterprise Server, the emulator's APIURL in the playground. A
	// missing trailing slash is added. It must not carry credentials.
	APIURL string
	// Owner and Repo name the repository. Required.
	Owner, Repo string
	// Token authenticates every request, sent as a bearer token. Required.
	// It never appears in an error.
	Token string
	// HTTPClient sends the requests. Nil means a client with a 30-second
	// timeout per request.
	HTTPClient *http.Client
	// Retries is how many times a failed request is tried again when
	// another try may help. Zero means 4; a negative value means none.
	Retries int
	// Backoff is the wait before retry number attempt (1 for the first).
	// Nil means 200ms doubling with each attempt, at most 10s. A rate limit
	// or a Retry-After header can make the wait longer.
	Backoff func(attempt int) time.Duration
}

// GitHub writes commit statuses and pull requests to one GitHub
// repository. Its methods are safe for concurrent use.
type GitHub struct {
	client  *github.Client
	owner   string
	repo    string
	token   string
	retries int
	backoff func(int) time.Duration
}

// NewGitHub checks opts and returns a client of the repository. It sends
// no request.
func NewGitHub(opts GitHubOptions) (*GitHub, error) {
	if opts.Owner == "" || opts.Repo == "" {
		return nil, errors.New("forge: GitHubOptions.Owner and Repo are required")
	}
	if opts.Token == "" {
		return nil, fmt.Errorf("forge: %s/%s: GitHubOptions.Token is required", opts.Owner, opts.Repo)
	}
	base, err := parseAPIURL(opts.APIURL)
	if err != nil {
		return nil, fmt.Errorf("forge: %s/%s: %w", opts.Owner, opts.Repo, err)
	}
	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	client := github.NewClient(httpClient).WithAuthToken(opts.Token)
	client.BaseURL = base

	g := &GitHub{client: client, owner: opts.Owner, repo: opts.Repo, token: opts.Token, retries: opts.Retries, backoff: opts.Backoff}
	switch {
	case g.retries == 0:
		g.retries = 4
	case g.retries < 0:
		g.retries = 0
	}
	if g.backoff == nil {
		g.backoff = defaultBackoff
	}
	return g, nil
}

// parseAPIURL checks the REST base and gives it a trailing slash.
func parseAPIURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultAPIURL
	}
	base, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("GitHubOptions.APIURL: %w", err)
	}
	if base.Scheme != "https" && base.Scheme != "http" || base.Host == "" {
		return nil, fmt.Errorf("GitHubOptions.APIURL %q: want an http or https URL", raw)
	}
	if base.User != nil {
		return nil, errors.New("GitHubOptions.APIURL must not carry credentials; use Token")
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	return base, nil
}
