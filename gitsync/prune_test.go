package gitsync

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPruneRemovesOnlyTheCheckoutsItNoLongerKeeps(t *testing.T) {
	sha := func(c byte) string { return strings.Repeat(string(c), 40) }
	work := t.TempDir()
	for _, name := range []string{sha('a'), sha('b'), sha('c'), sha('d'), ".tmp-123", "notes", "abc"} {
		if err := os.Mkdir(filepath.Join(work, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(work, "README"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkout := func(c byte) Checkout { return Checkout{Commit: sha(c), Dir: filepath.Join(work, sha(c))} }
	repo := &Repository{
		dir:      work,
		current:  checkout('a'),
		previous: checkout('b'),
		pinned:   map[string]Checkout{checkout('c').Dir: checkout('c')},
	}

	repo.prune()

	// d is stale and .tmp-123 a build that never finished; the rest is
	// kept or not the Repository's to remove.
	want := sorted("README", sha('a'), sha('b'), sha('c'), "abc", "notes")
	if diff := cmp.Diff(want, dirNames(t, work)); diff != "" {
		t.Errorf("work directory after prune (-want +got):\n%s", diff)
	}
}
