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
	// Token authenticates every request, sent as a bearer token. It never
	// appears in an error. Set Token or TokenSource.
	Token string
	// TokenSource returns the token before every request, so that a
	// rotated token (a file rewritten by a Secret mount) is used without a
	// restart. Its errors must not contain the token.
	TokenSource func() (string, error)
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
	// AppID is the id of the GitHub App whose installation tokens
	// TokenSource returns; zero for a personal token. SetCheckRun then looks
	// up only that App's runs: another App (a second sluice, a CI) may
	// write a run of the same name on the same commit, and sluice must not
	// update it.
	AppID int64
}

// GitHub writes commit statuses, Check Runs and pull requests to one
// GitHub repository. Its methods are safe for concurrent use.
type GitHub struct {
	client  *github.Client
	owner   string
	repo    string
	tokens  *tokens
	retries int
	backoff func(int) time.Duration
	// checkRuns remembers the ids of the Check Runs SetCheckRun wrote.
	checkRuns *checkRunIDs
	// appID is GitHubOptions.AppID.
	appID int64
}

// NewGitHub checks opts and returns a client of the repository. It sends
// no request.
func NewGitHub(opts GitHubOptions) (*GitHub, error) {
	if opts.Owner == "" || opts.Repo == "" {
		return nil, errors.New("forge: GitHubOptions.Owner and Repo are required")
	}
	source := opts.TokenSource
	switch {
	case opts.Token != "" && source != nil:
		return nil, fmt.Errorf("forge: %s/%s: set GitHubOptions.Token or TokenSource, not both", opts.Owner, opts.Repo)
	case opts.Token != "":
		token := opts.Token
		source = func() (string, error) { return token, nil }
	case source == nil:
		return nil, fmt.Errorf("forge: %s/%s: GitHubOptions.Token or TokenSource is required", opts.Owner, opts.Repo)
	}
	base, err := parseAPIURL(opts.APIURL)
	if err != nil {
		return nil, fmt.Errorf("forge: %s/%s: %w", opts.Owner, opts.Repo, err)
	}
	httpClient := &http.Client{Timeout: 30 * time.Second}
	if opts.HTTPClient != nil {
		copied := *opts.HTTPClient
		httpClient = &copied
	}
	next := httpClient.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	tokens := &tokens{source: source}
	httpClient.Transport = &authTransport{tokens: tokens, next: next}
	client := github.NewClient(httpClient)
	client.BaseURL = base

	g := &GitHub{client: client, owner: opts.Owner, repo: opts.Repo, tokens: tokens, retries: opts.Retries, backoff: opts.Backoff, checkRuns: newCheckRunIDs(maxCheckRunIDs), appID: opts.AppID}
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
