package gitsync

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ChangedPaths between two polled checkouts lists what git's own diff
// lists: changed, added and deleted files, both sides of a rename, a
// symbolic link retargeted, a mode change; nothing for the same commit.
func TestChangedPathsAreWhatGitDiffLists(t *testing.T) {
	ctx := context.Background()
	o := newOrigin(t, t.TempDir(), "origin")
	repo := mustNew(t, Options{URL: "file://" + o.dir, Branch: "main", Dir: filepath.Join(t.TempDir(), "work")})
	o.commit(map[string]string{
		"kustomization.yaml":            "resources: [apps/a, apps/b]\n",
		"apps/a/deployment.yaml":        "image: a:1.0\n",
		"apps/a/old-name.yaml":          "kind: Service\n",
		"apps/b/deployment.yaml":        "image: b:1.0\n",
		"common/base/kustomization.yml": "resources: []\n",
		"run.sh":                        "echo\n",
		"apps/b/extra":                  "a file, then a directory\n",
		"docs/old/readme.md":            "a directory, then a file\n",
	})
	if err := os.Symlink("../a/deployment.yaml", filepath.Join(o.dir, "apps/b/link.yaml")); err != nil {
		t.Fatal(err)
	}
	o.git("add", "-A")
	o.git("commit", "-q", "-m", "link")
	first, _, err := repo.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}

	o.git("mv", "apps/a/old-name.yaml", "apps/a/service.yaml")
	if err := os.Remove(filepath.Join(o.dir, "apps/b/link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("deployment.yaml", filepath.Join(o.dir, "apps/b/link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(o.dir, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	o.commit(map[string]string{
		"apps/a/deployment.yaml":        "image: a:2.0\n",
		"apps/c/deployment.yaml":        "image: c:1.0\n",
		"common/base/kustomization.yml": "",
		"apps/b/extra":                  "",
		"docs/old/readme.md":            "",
	})
	if err := os.Remove(filepath.Join(o.dir, "docs/old")); err != nil { // left empty
		t.Fatal(err)
	}
	o.commit(map[string]string{"apps/b/extra/patch.yaml": "now a directory\n", "docs/old": "now a file\n"})
	second, _, err := repo.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}

	got, err := repo.ChangedPaths(first, second)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(o.git("diff", "--no-renames", "--name-only", first.Commit, second.Commit))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ChangedPaths (-git diff +got):\n%s", diff)
	}
	for _, p := range []string{"apps/a/deployment.yaml", "apps/a/old-name.yaml", "apps/a/service.yaml", "apps/b/link.yaml", "apps/c/deployment.yaml", "common/base/kustomization.yml", "run.sh",
		"apps/b/extra", "apps/b/extra/patch.yaml", "docs/old", "docs/old/readme.md"} {
		if !slices.Contains(got, p) {
			t.Errorf("ChangedPaths misses %s: %v", p, got)
		}
	}
	if slices.Contains(got, "apps/b/deployment.yaml") || slices.Contains(got, "kustomization.yaml") {
		t.Errorf("ChangedPaths lists an unchanged file: %v", got)
	}
	if same, err := repo.ChangedPaths(second, second); err != nil || len(same) != 0 {
		t.Errorf("ChangedPaths of a checkout and itself = %v, %v; want nothing", same, err)
	}
	if _, err := repo.ChangedPaths(Checkout{Commit: strings.Repeat("a", 40), Dir: t.TempDir()}, second); err == nil {
		t.Error("ChangedPaths from a directory that is no checkout: no error")
	}
}
