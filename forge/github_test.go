package forge

import (
	"strings"
	"testing"
)

func TestNewGitHubChecksItsOptions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts GitHubOptions
		want string
	}{
		{"no owner", GitHubOptions{Repo: "r", Token: "t"}, "Owner and Repo are required"},
		{"no repository", GitHubOptions{Owner: "o", Token: "t"}, "Owner and Repo are required"},
		{"no token", GitHubOptions{Owner: "o", Repo: "r"}, "o/r: GitHubOptions.Token or TokenSource is required"},
		{"a token twice", GitHubOptions{Owner: "o", Repo: "r", Token: "t", TokenSource: func() (string, error) { return "t", nil }}, "o/r: set GitHubOptions.Token or TokenSource, not both"},
		{"a relative API URL", GitHubOptions{Owner: "o", Repo: "r", Token: "t", APIURL: "api/v3"}, "want an http or https URL"},
		{"an API URL with credentials", GitHubOptions{Owner: "o", Repo: "r", Token: "t", APIURL: "https://u:p@ghe.example.com/api/v3/"}, "must not carry credentials"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewGitHub(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewGitHub() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestNewGitHubFillsTheDefaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		opts        GitHubOptions
		wantBase    string
		wantRetries int
	}{
		{"zero means github.com and 4 retries", GitHubOptions{}, "https://api.github.com/", 4},
		{"a trailing slash is added", GitHubOptions{APIURL: "https://ghe.example.com/api/v3"}, "https://ghe.example.com/api/v3/", 4},
		{"negative retries mean none", GitHubOptions{Retries: -1}, "https://api.github.com/", 0},
		{"retries are kept", GitHubOptions{Retries: 2}, "https://api.github.com/", 2},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Owner, tt.opts.Repo, tt.opts.Token = "o", "r", "t"
			gh, err := NewGitHub(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := gh.client.BaseURL.String(); got != tt.wantBase {
				t.Errorf("base = %s, want %s", got, tt.wantBase)
			}
			if gh.retries != tt.wantRetries {
				t.Errorf("retries = %d, want %d", gh.retries, tt.wantRetries)
			}
			if gh.backoff == nil {
				t.Errorf("no backoff")
			}
		})
	}
}
