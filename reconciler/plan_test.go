package reconciler_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/playground/playgroundtest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func TestPlanPreviewsAnImageAndConfigChangeWithoutWriting(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	seedApp(repo)
	h := newHarness(t, repo, ns, nil)
	h.settle()

	co, _, err := h.source.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unchanged, err := h.rec.Plan(ctx, co)
	if err != nil {
		t.Fatal(err)
	}
	if unchanged.Changed() {
		t.Errorf("plan of the synced commit reports changes: %+v", unchanged)
	}

	repo.commit("detail 2.0, green", map[string]*string{
		"deployment.yaml": text(deploymentYAML("2.0")),
		"settings.yaml":   text(settingsYAML("green")),
	})
	co, _, err = h.source.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	writes := h.writes.n.Load()
	plan, err := h.rec.Plan(ctx, co)
	if err != nil {
		t.Fatal(err)
	}
	if n := h.writes.n.Load() - writes; n != 0 {
		t.Errorf("Plan made %d API writes", n)
	}
	if !plan.Changed() {
		t.Error("plan of a changed commit reports no change")
	}
	var out strings.Builder
	if err := plan.Format(&out); err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(out.String(), ns, "NS")
	got = strings.Replace(got, co.Commit[:7], "COMMIT", 1)
	golden := filepath.Join("testdata", "plan-image-and-config-change.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("plan output (-want +got):\n%s", diff)
	}
	if color := h.configMapColor(); color != "blue" {
		t.Errorf("Plan applied the ConfigMap: color %q", color)
	}
}
