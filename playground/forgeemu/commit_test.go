package forgeemu

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCommitWritesOntoABranch(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	main := runGit(t, srv.RepoDir(), "rev-parse", "main")
	tagged := commit(t, srv, Change{Branch: "other", Write: map[string]string{"o": "o"}})

	cases := []struct {
		name       string
		change     Change
		wantParent string
		wantFiles  string
	}{
		{"a new branch starts from the default branch", Change{Branch: "feature", Write: map[string]string{"deploy/app.yaml": "x\n"}},
			main, "README.md\napp.yaml\ndeploy/app.yaml"},
		{"an existing branch moves on", Change{Branch: "feature", Message: "second", Delete: []string{"README.md"}},
			"feature", "app.yaml\ndeploy/app.yaml"},
		{"a new branch can start from another", Change{Branch: "from-other", From: "other", Write: map[string]string{"n": "n"}},
			tagged, "README.md\napp.yaml\nn\no"},
		{"a new branch can start from a commit", Change{Branch: "from-sha", From: main, Write: map[string]string{"s": "s"}},
			main, "README.md\napp.yaml\ns"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			parent := tt.wantParent
			if parent == tt.change.Branch {
				parent = runGit(t, srv.RepoDir(), "rev-parse", tt.change.Branch)
			}
			sha := commit(t, srv, tt.change)
			if got := runGit(t, srv.RepoDir(), "rev-parse", tt.change.Branch); got != sha {
				t.Errorf("%s = %s, want the new commit %s", tt.change.Branch, got, sha)
			}
			if got := runGit(t, srv.RepoDir(), "rev-parse", sha+"^"); got != parent {
				t.Errorf("parent = %s, want %s", got, parent)
			}
			if diff := cmp.Diff(tt.wantFiles, runGit(t, srv.RepoDir(), "ls-tree", "-r", "--name-only", sha)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommitIntoAnEmptyRepositoryIsARootCommit(t *testing.T) {
	t.Parallel()
	srv, err := New(Options{Dir: t.TempDir(), Owner: "o", Repo: "r", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	sha := commit(t, srv, Change{Branch: "main", Message: "first", Write: map[string]string{"a": "a\n"}})
	if got := runGit(t, srv.RepoDir(), "rev-list", "--parents", "-n", "1", sha); got != sha {
		t.Errorf("rev-list --parents = %q, want a commit without parents", got)
	}
	if got := runGit(t, srv.RepoDir(), "log", "-1", "--format=%s", "main"); got != "first" {
		t.Errorf("message = %q, want first", got)
	}
}

func TestCommitRefuses(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cases := []struct {
		name   string
		change Change
		want   string
	}{
		{"an invalid branch name", Change{Branch: "a..b"}, "not a valid branch name"},
		{"a path that climbs out", Change{Branch: "x", Write: map[string]string{"../evil": "x"}}, "not a clean relative path"},
		{"a path into .git", Change{Branch: "x", Write: map[string]string{".git/config": "x"}}, "not a clean relative path"},
		{"deleting a file that is not there", Change{Branch: "x", Delete: []string{"nope"}}, `cannot delete "nope"`},
		{"starting from nothing", Change{Branch: "x", From: "nope"}, `"nope" names no branch or commit`},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := srv.Commit(context.Background(), tt.change)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Commit() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if got := runGit(t, srv.RepoDir(), "branch", "--list", "x"); got != "" {
		t.Errorf("a refused commit left branch x behind")
	}
}
