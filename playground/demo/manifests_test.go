package demo

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/manifests"
)

// render writes the repository of a to a directory and renders it as
// sluice does.
func render(t *testing.T, a app) *manifests.Rendering {
	t.Helper()
	dir := t.TempDir()
	for name, content := range a.files() {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rendering, err := manifests.Render(dir, ".", manifests.Options{DefaultNamespace: Namespace})
	if err != nil {
		t.Fatalf("render the repository: %v", err)
	}
	return rendering
}

func TestTheRepositoryRendersTheSeedCanaryAndItsTarget(t *testing.T) {
	a := app{version: "1.0", maxWeight: 15, loadTester: "http://127.0.0.1:9999/"}
	r := render(t, a)
	if len(r.Canaries) != 1 {
		t.Fatalf("%d Canaries, want 1", len(r.Canaries))
	}
	c := r.Canaries[0]
	if c.Namespace != Namespace || c.Name != App || c.Spec.Provider != "gatewayapi" || c.Spec.Service.Port != 3000 {
		t.Errorf("Canary %s/%s provider %s port %d, want %s/%s gatewayapi 3000", c.Namespace, c.Name, c.Spec.Provider, c.Spec.Service.Port, Namespace, App)
	}
	if diff := cmp.Diff([]string{Host}, c.Spec.Service.Hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	analysis := c.Spec.Analysis
	if analysis.StepWeight != 5 || analysis.MaxWeight != 15 || analysis.Threshold != 1 || analysis.Interval != AnalysisInterval.String() {
		t.Errorf("analysis %+v, want the seed's schedule every %s", analysis, AnalysisInterval)
	}
	var cmds []string
	for _, w := range analysis.Webhooks {
		cmds = append(cmds, w.Type+": "+w.Metadata["cmd"])
	}
	want := []string{"pre-rollout: " + acceptanceTestCmd, "rollout: " + loadTestCmd}
	if diff := cmp.Diff(want, cmds); diff != "" {
		t.Errorf("webhooks (-want +got):\n%s", diff)
	}
	d := r.Targets[0].Deployment
	if d.Name != App || *d.Spec.Replicas != 2 || d.Spec.Template.Spec.Containers[0].Image != ImageLine("1.0") {
		t.Errorf("target %s with %d replicas of %s, want detail with 2 replicas of %s", d.Name, *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image, ImageLine("1.0"))
	}
	// A revert pull request reverts changes of these files only.
	if files := r.Targets[0].SourceFiles; !slices.Contains(files, DeploymentFile) || slices.Contains(files, namespaceFile) {
		t.Errorf("source files of the target %q, want %s among them and not %s", files, DeploymentFile, namespaceFile)
	}
}

func TestEachChangeOfTheStoryIsANewRevisionAndTheRevertIsTheOldOne(t *testing.T) {
	base := app{version: "2.0", maxWeight: 15, loadTester: "http://127.0.0.1:9999/"}
	failed := base
	failed.version = "3.0"
	retry := failed
	retry.annotations = [][2]string{{"example.com/retry", "1"}}
	retry.maxWeight = 20
	revisions := map[string]string{}
	for name, a := range map[string]app{"2.0": base, "3.0": failed, "retry": retry} {
		revisions[name] = render(t, a).Targets[0].Revision
	}
	if revisions["2.0"] == revisions["3.0"] || revisions["3.0"] == revisions["retry"] || revisions["2.0"] == revisions["retry"] {
		t.Errorf("revisions %v, want three different ones", revisions)
	}
	if got := render(t, base).Targets[0].Revision; got != revisions["2.0"] {
		t.Errorf("2.0 rendered again has revision %s, want %s", got, revisions["2.0"])
	}
}

func TestTheImageLineIsOneLineOfTheDeploymentFile(t *testing.T) {
	yaml := app{version: "3.0"}.deploymentYAML()
	line := "        image: " + ImageLine("3.0") + "\n"
	if strings.Count(yaml, line) != 1 {
		t.Errorf("the Deployment file does not hold %q once:\n%s", line, yaml)
	}
}

func TestTheCompareStorysCanaryComparesBothMetricsWithThePrimaryAndKeepsTheLatencyThreshold(t *testing.T) {
	a := app{version: "1.0", maxWeight: 15, loadTester: "http://127.0.0.1:9999/", compare: true}
	c := render(t, a).Canaries[0]
	type metric struct {
		Name, Interval string
		Max            *float64
		Compare        v1alpha1.MetricComparison
	}
	var got []metric
	for _, m := range c.Spec.Analysis.Metrics {
		got = append(got, metric{Name: m.Name, Interval: m.Interval, Compare: *m.Compare})
		if m.ThresholdRange != nil {
			got[len(got)-1].Max = m.ThresholdRange.Max
		}
	}
	limit := 500.0
	want := []metric{
		{Name: "request-success-rate", Interval: compareInterval,
			Compare: v1alpha1.MetricComparison{Against: v1alpha1.CompareAgainstPrimary, Direction: v1alpha1.CompareDecrease, Tolerance: 0.04, Confidence: 0.99}},
		{Name: "request-duration", Interval: compareInterval, Max: &limit,
			Compare: v1alpha1.MetricComparison{Against: v1alpha1.CompareAgainstPrimary, Direction: v1alpha1.CompareIncrease, Tolerance: 0.5, Confidence: 0.99}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	if c.Spec.Analysis.MaxErrors != 12 || c.Spec.Analysis.Threshold != 1 {
		t.Errorf("maxErrors %d threshold %d, want 12 and 1", c.Spec.Analysis.MaxErrors, c.Spec.Analysis.Threshold)
	}
	if c.Spec.Analysis.Metrics[0].ThresholdRange != nil {
		t.Errorf("the success rate has a threshold %+v, want only the comparison", c.Spec.Analysis.Metrics[0].ThresholdRange)
	}
}
