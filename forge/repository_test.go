package forge

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRepository(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		gitURL  string
		want    [3]string
		wantErr string
	}{
		{"github.com over https", "https://github.com/flagger/workshop", [3]string{"https://api.github.com/", "flagger", "workshop"}, ""},
		{"github.com over https with .git", "https://github.com/flagger/workshop.git", [3]string{"https://api.github.com/", "flagger", "workshop"}, ""},
		{"github.com with a trailing slash", "https://github.com/flagger/workshop/", [3]string{"https://api.github.com/", "flagger", "workshop"}, ""},
		{"github.com with a token in the URL", "https://x-access-token:ghp_secret@github.com/flagger/workshop.git", [3]string{"https://api.github.com/", "flagger", "workshop"}, ""},
		{"github.com in capitals", "https://GitHub.com/flagger/workshop", [3]string{"https://api.github.com/", "flagger", "workshop"}, ""},
		{"github.com scp-like", "git@github.com:flagger/workshop.git", [3]string{"https://api.github.com/", "flagger", "workshop"}, ""},
		{"github.com over ssh", "ssh://git@github.com/flagger/workshop", [3]string{"https://api.github.com/", "flagger", "workshop"}, ""},
		{"github.com over ssh with a port", "ssh://git@github.com:22/flagger/workshop.git", [3]string{"https://api.github.com/", "flagger", "workshop"}, ""},
		{"enterprise over https", "https://ghe.example.com/flagger/workshop.git", [3]string{"https://ghe.example.com/api/v3/", "flagger", "workshop"}, ""},
		{"enterprise over https on a port", "https://ghe.example.com:8443/flagger/workshop", [3]string{"https://ghe.example.com:8443/api/v3/", "flagger", "workshop"}, ""},
		{"enterprise scp-like", "git@ghe.example.com:flagger/workshop.git", [3]string{"https://ghe.example.com/api/v3/", "flagger", "workshop"}, ""},
		{"enterprise over ssh on a port", "ssh://git@ghe.example.com:2222/flagger/workshop.git", [3]string{"https://ghe.example.com/api/v3/", "flagger", "workshop"}, ""},
		{"the emulator", "http://127.0.0.1:41234/flagger/workshop.git", [3]string{"http://127.0.0.1:41234/api/v3/", "flagger", "workshop"}, ""},
		{"an empty URL", "", [3]string{}, "repository URL is empty"},
		{"a local path", "/srv/git/workshop.git", [3]string{}, "want an http, https or ssh URL"},
		{"a file URL", "file:///srv/git/flagger/workshop.git", [3]string{}, `scheme "file" is not http, https or ssh`},
		{"an owner alone", "https://github.com/flagger", [3]string{}, "want the path <owner>/<repo>"},
		{"a nested path", "https://gitlab.example.com/group/sub/repo.git", [3]string{}, "want the path <owner>/<repo>"},
		{"an scp-like owner alone", "git@github.com:flagger", [3]string{}, "want the path <owner>/<repo>"},
		{"a bad path shows no password", "https://x:ghp_secret@github.com/flagger", [3]string{}, `"https://x:xxxxx@github.com/flagger"`},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			apiURL, owner, repo, err := ParseRepository(tt.gitURL)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "ghp_secret") {
					t.Fatalf("ParseRepository(%q) = %v, want an error containing %q", tt.gitURL, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, [3]string{apiURL, owner, repo}); diff != "" {
				t.Errorf("ParseRepository(%q) (-want +got):\n%s", tt.gitURL, diff)
			}
		})
	}
}

func TestParseRepositoryFindsTheEmulator(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	apiURL, owner, repo, err := ParseRepository(f.srv.GitURL())
	if err != nil {
		t.Fatal(err)
	}
	gh := f.client(GitHubOptions{APIURL: apiURL, Owner: owner, Repo: repo})
	if _, err := gh.Statuses(f.ctx, "main"); err != nil {
		t.Errorf("a client made from ParseRepository(%s) fails: %v", f.srv.GitURL(), err)
	}
}
