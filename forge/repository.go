package forge

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// scpLike matches Git's scp-like address user@host:owner/repo.git.
var scpLike = regexp.MustCompile(`^(?:[^@/]+@)?([^:/]+):([^/].*)$`)

// ParseRepository reads the Git URL of a GitHub repository and returns its
// REST base (for GitHubOptions.APIURL), owner and repository name:
//
//	https://github.com/o/r(.git)   → https://api.github.com/, o, r
//	git@github.com:o/r.git         → https://api.github.com/, o, r
//	ssh://git@github.com/o/r       → https://api.github.com/, o, r
//	https://ghe.example.com/o/r    → https://ghe.example.com/api/v3/, o, r
//	git@ghe.example.com:o/r.git    → https://ghe.example.com/api/v3/, o, r
//	http://127.0.0.1:8080/o/r.git  → http://127.0.0.1:8080/api/v3/, o, r
//
// Any host other than github.com is taken for GitHub Enterprise Server:
// over http(s) its scheme and port are kept, over SSH the API is https on
// the default port. Credentials in the URL are dropped. A path that is not
// exactly owner/repo, and schemes other than http, https and ssh, are
// errors.
func ParseRepository(gitURL string) (apiURL, owner, repo string, err error) {
	scheme, host, hostname, path, err := splitGitURL(gitURL)
	if err != nil {
		return "", "", "", err
	}
	owner, repo, ok := strings.Cut(strings.Trim(path, "/"), "/")
	repo = strings.TrimSuffix(repo, ".git")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return "", "", "", fmt.Errorf("forge: repository URL %q: want the path <owner>/<repo>", redactURL(gitURL))
	}
	switch {
	case strings.EqualFold(hostname, "github.com") || strings.EqualFold(hostname, "www.github.com"):
		return DefaultAPIURL, owner, repo, nil
	case scheme == "ssh":
		if strings.Contains(hostname, ":") {
			hostname = "[" + hostname + "]" // IPv6
		}
		return "https://" + hostname + "/api/v3/", owner, repo, nil
	}
	return scheme + "://" + host + "/api/v3/", owner, repo, nil
}

// splitGitURL cuts a Git URL into scheme ("http", "https" or "ssh"), host
// (with its port, if any), hostname (without) and path.
func splitGitURL(gitURL string) (scheme, host, hostname, path string, err error) {
	if gitURL == "" {
		return "", "", "", "", fmt.Errorf("forge: repository URL is empty")
	}
	if !strings.Contains(gitURL, "://") {
		if m := scpLike.FindStringSubmatch(gitURL); m != nil {
			return "ssh", m[1], m[1], m[2], nil
		}
		return "", "", "", "", fmt.Errorf("forge: repository URL %q: want an http, https or ssh URL, or user@host:owner/repo", gitURL)
	}
	u, err := url.Parse(gitURL)
	if err != nil {
		return "", "", "", "", fmt.Errorf("forge: repository URL %q: cannot parse", redactURL(gitURL))
	}
	switch u.Scheme {
	case "http", "https", "ssh":
	default:
		return "", "", "", "", fmt.Errorf("forge: repository URL %q: scheme %q is not http, https or ssh", u.Redacted(), u.Scheme)
	}
	if u.Host == "" {
		return "", "", "", "", fmt.Errorf("forge: repository URL %q: no host", u.Redacted())
	}
	return u.Scheme, u.Host, u.Hostname(), u.Path, nil
}

// redactURL hides a password in a URL for an error message.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if at := strings.LastIndex(raw, "@"); at >= 0 {
			return "***" + raw[at:]
		}
		return raw
	}
	return u.Redacted()
}
