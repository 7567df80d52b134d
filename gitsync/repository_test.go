package gitsync

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewRefusesBadOptions(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"a URL is required", Options{Branch: "main", Dir: dir}, "gitsync: URL: required"},
		{"an unknown scheme is refused", Options{URL: "ftp://host/repo", Branch: "main", Dir: dir}, `gitsync: URL ftp://host/repo: unsupported transport "ftp"`},
		{"a URL that does not parse is refused without its password", Options{URL: "https://u:s3cr3t@ho st/repo", Branch: "main", Dir: dir}, "gitsync: URL https://u:***@ho st/repo: not a URL, an scp-like address or a path"},
		{"a branch is required", Options{URL: "https://host/repo", Dir: dir}, "gitsync: Branch: required"},
		{"an invalid branch name is refused", Options{URL: "https://host/repo", Branch: "a..b", Dir: dir}, `gitsync: Branch "a..b": invalid reference name`},
		{"a directory is required", Options{URL: "https://host/repo", Branch: "main"}, "gitsync: Dir: required"},
		{"a secret from both a file and a variable is refused", Options{URL: "https://host/repo", Branch: "main", Dir: dir, Auth: Auth{Password: Secret{File: "f", Env: "E"}}},
			"gitsync: Auth.Password: set File or Env, not both"},
		{"a password both in the URL and in Auth is refused", Options{URL: "https://u:s3cr3t@host/repo", Branch: "main", Dir: dir, Auth: Auth{Password: Secret{Env: "E"}}},
			"gitsync: Auth.Password: set, and the URL carries a password too"},
		{"an SSH key for an https remote is refused", Options{URL: "https://host/repo", Branch: "main", Dir: dir, Auth: Auth{SSHKeyFile: "id"}},
			"gitsync: Auth: SSH fields are set but the remote is https"},
		{"a password for an ssh remote is refused", Options{URL: "git@host:org/repo.git", Branch: "main", Dir: dir, Auth: Auth{SSHKeyFile: "id", Password: Secret{Env: "E"}}},
			"gitsync: Auth.Password: a password is set but the remote is ssh (use Auth.SSHKeyFile)"},
		{"an ssh remote needs a key", Options{URL: "ssh://git@host/repo", Branch: "main", Dir: dir},
			"gitsync: Auth.SSHKeyFile: required for an ssh remote"},
		{"known hosts and ignoring host keys contradict", Options{URL: "ssh://git@host/repo", Branch: "main", Dir: dir, Auth: Auth{SSHKeyFile: "id", KnownHostsFile: "kh", InsecureIgnoreHostKey: true}},
			"gitsync: Auth.InsecureIgnoreHostKey: set together with Auth.KnownHostsFile"},
		{"credentials for a local path are refused", Options{URL: "/srv/repo", Branch: "main", Dir: dir, Auth: Auth{Username: "u"}},
			"gitsync: Auth: set but the file transport takes no credentials"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil {
				t.Fatalf("New succeeded, want error %q", tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("New error = %q\nwant          %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestNewTakesTheURLApart(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		url         string
		wantURL     string // given to go-git
		wantDisplay string // Repository.URL
	}{
		{"a password leaves the URL given to go-git", "https://sluice:s3cr3t@host/org/repo.git", "https://sluice@host/org/repo.git", "https://sluice:***@host/org/repo.git"},
		{"an https URL is kept", "https://host/org/repo.git", "https://host/org/repo.git", "https://host/org/repo.git"},
		{"an scp-like address is kept", "git@host:org/repo.git", "git@host:org/repo.git", "git@host:org/repo.git"},
		{"a relative path is made absolute", "repo", filepath.Join(cwd, "repo"), filepath.Join(cwd, "repo")},
		{"a file URL is kept", "file:///srv/repo", "file:///srv/repo", "file:///srv/repo"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			auth := Auth{}
			if strings.Contains(tt.url, "@host:") {
				auth = Auth{SSHKeyFile: "id"}
			}
			repo, err := New(Options{URL: tt.url, Branch: "main", Dir: t.TempDir(), Auth: auth})
			if err != nil {
				t.Fatal(err)
			}
			if repo.remote.url != tt.wantURL || repo.URL() != tt.wantDisplay {
				t.Errorf("URL for go-git %q, for display %q; want %q and %q", repo.remote.url, repo.URL(), tt.wantURL, tt.wantDisplay)
			}
		})
	}
}
