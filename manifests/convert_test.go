package manifests

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConvertFlaggerRewritesOnlyTheApiVersionOfCanariesAndMetricTemplates(t *testing.T) {
	content := "# the podinfo canary\n" + strings.Replace(flaggerCanary, "  revertOnDeletion: true\n",
		"  revertOnDeletion: true # keep\n  autoscalerRef: {apiVersion: keda.sh/v1alpha1, kind: ScaledObject, name: podinfo, primaryScalerQueries: {p: vector(1)}}\n", 1) +
		"---\napiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: {name: latency}\nspec:\n  provider: {type: datadog}\n  query: avg:latency\n---\n" + podinfo
	got := ConvertFlagger([]byte(content))
	want := strings.ReplaceAll(content, "apiVersion: flagger.app/v1beta1\n", "apiVersion: sluice.dev/v1alpha1\n")
	if diff := cmp.Diff(want, string(got.Content)); diff != "" {
		t.Errorf("converted content (-want +got):\n%s", diff)
	}
	wantChanges := []string{
		"canary podinfo: apiVersion flagger.app/v1beta1 → sluice.dev/v1alpha1",
		"metrictemplate latency: apiVersion flagger.app/v1beta1 → sluice.dev/v1alpha1",
	}
	if diff := cmp.Diff(wantChanges, got.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	wantRefused := []string{
		"canary podinfo: spec.autoscalerRef.primaryScalerQueries: not supported by sluice: KEDA ScaledObjects are not supported: use a HorizontalPodAutoscaler",
		`metrictemplate latency: spec.provider.type: Invalid value: "datadog": not supported by sluice: query Datadog through a Prometheus-compatible endpoint, or keep this metric in Flagger; supported: prometheus, and what answers its API (Thanos, Mimir, Cortex, VictoriaMetrics)`,
	}
	if diff := cmp.Diff(wantRefused, got.Refused); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	if again := ConvertFlagger(got.Content); string(again.Content) != string(got.Content) || len(again.Changes) != 0 {
		t.Errorf("converting twice changed more: %v", again.Changes)
	}
}

func TestConvertedAndUnconvertedCanariesRenderTheSame(t *testing.T) {
	files := map[string]string{"canary.yaml": flaggerCanary, "deployment.yaml": podinfo}
	before, err := Render(writeRepo(t, files, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	files["canary.yaml"] = string(ConvertFlagger([]byte(flaggerCanary)).Content)
	after, err := Render(writeRepo(t, files, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := Differences(before, after); len(diff) != 0 || len(after.Notices) != 0 {
		t.Errorf("differences %v, notices %v after convert; want the same rendering and no notice", diff, after.Notices)
	}
}
