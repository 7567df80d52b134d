package gitsync

import "testing"

func TestRedactURL(t *testing.T) {
	cases := []struct {
		name string
		url  string
		want string
	}{
		{"a token after a user is replaced", "https://sluice:ghp_s3cr3t@github.com/org/repo.git", "https://sluice:***@github.com/org/repo.git"},
		{"a token with an empty user is replaced", "https://:ghp_s3cr3t@github.com/org/repo.git", "https://:***@github.com/org/repo.git"},
		{"an escaped token is replaced whole", "https://u:p%40ss%2Fw0rd@host:8443/r?x=1", "https://u:***@host:8443/r?x=1"},
		{"a user without a password is kept", "https://sluice@github.com/org/repo.git", "https://sluice@github.com/org/repo.git"},
		{"a URL without user information is unchanged", "https://github.com/org/repo.git", "https://github.com/org/repo.git"},
		{"an ssh URL with a password is redacted", "ssh://git:pw@host:2222/repo.git", "ssh://git:***@host:2222/repo.git"},
		{"an scp-like address is unchanged", "git@github.com:org/repo.git", "git@github.com:org/repo.git"},
		{"a local path is unchanged", "/srv/git/repo.git", "/srv/git/repo.git"},
		{"a file URL is unchanged", "file:///srv/git/repo.git", "file:///srv/git/repo.git"},
		{"a URL that does not parse still loses its password", "https://user:sec ret@ho st/repo", "https://user:***@ho st/repo"},
		{"a password with an unescaped slash is still replaced", "https://user:a/b@host/repo", "https://user:***@host/repo"},
		{"an empty string is empty", "", ""},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactURL(tt.url); got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}
