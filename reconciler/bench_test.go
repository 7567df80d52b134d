package reconciler_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// BenchmarkIdleSync1000Objects measures the reconcile of an unchanged commit
// whose 1,000 objects (ConfigMaps) are already applied: a dry-run comparison
// of each with its live object, and no write.
func BenchmarkIdleSync1000Objects(b *testing.B) {
	ns := playgroundtest.Namespace(b)
	repo := newGitRepo(b)
	var yaml strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&yaml, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-%04d}\ndata: {index: \"%d\"}\n", i, i)
	}
	repo.commit("1000 objects", map[string]*string{"configmaps.yaml": text(yaml.String())})
	h := newHarness(b, repo, ns, nil)
	res := h.mustSync()
	if res.Changes.Written() != 1000 {
		b.Fatalf("first sync wrote %d objects, want 1000", res.Changes.Written())
	}
	writes := h.writes.n.Load()
	b.ResetTimer()
	for b.Loop() {
		res := h.mustSync()
		if n := res.Changes.Written(); n != 0 {
			b.Fatalf("idle sync wrote %d objects", n)
		}
	}
	b.StopTimer()
	if n := h.writes.n.Load() - writes; n != 0 {
		b.Fatalf("idle syncs made %d API writes", n)
	}
}
