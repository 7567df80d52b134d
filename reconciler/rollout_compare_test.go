package reconciler_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicehq/sluice/analysis"
	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// startWorkloadExporter is startRequestsExporter under a scrape job of its
// own, so that the canary and the primary of one namespace each have one.
func startWorkloadExporter(t *testing.T, ns, workload string, successRate float64) *requestsExporter {
	t.Helper()
	e := &requestsExporter{namespace: ns, workload: workload, last: time.Now(), successRate: successRate}
	registry := prometheus.NewRegistry()
	registry.MustRegister(e)
	server := httptest.NewServer(promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	t.Cleanup(server.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := playgroundtest.Playground().Prometheus.AddScrapeTargets(ctx, playground.ScrapeTarget{
		Job: "reconciler-" + ns + "-" + workload, Targets: []string{strings.TrimPrefix(server.URL, "http://")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// compareCanaryYAML is the seed's Canary whose success rate is compared
// with the primary's instead of a threshold, over 12 windows of 2s (two scrapes each).
func compareCanaryYAML(webhookURL string) string {
	return strings.Replace(seedCanaryYAML(webhookURL), "      thresholdRange: {min: 99}\n      interval: 10s\n",
		"      compare: {against: primary, direction: decrease, tolerance: 0.02, confidence: 0.99}\n      interval: 24s\n", 1)
}

// TestACanaryWorseThanItsPrimaryIsRolledBackWithTheComparisonAsTheReason
// rolls out a canary whose success rate is 90 % where the primary's is
// 100 %: no threshold is set, the comparison fails it at the first step,
// and the reason says what was compared.
func TestACanaryWorseThanItsPrimaryIsRolledBackWithTheComparisonAsTheReason(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	startWorkloadExporter(t, ns, "detail", 0.9)
	startWorkloadExporter(t, ns, "detail-primary", 1)
	samplesFrom := time.Now().Add(2 * (analysis.MinComparisonSamples + 1) * time.Second)
	repo := newGitRepo(t)
	repo.commit("detail 1.0", map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(compareCanaryYAML(acceptanceTest(t))),
		"settings.yaml":      text(settingsYAML("blue")),
	})
	h := newHarness(t, repo, ns, func(o *reconciler.Options) { o.PrometheusURL = playgroundtest.Playground().Prometheus.URL })
	h.settle()
	// Enough windows of both workloads for the first step to judge.
	time.Sleep(time.Until(samplesFrom))
	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	st := h.rollUntil("the rollback", phaseIs(v1alpha1.PhaseFailed))
	if want := "success rate of canary 90.00 % vs primary 100.00 % (-10 %, p<0.001)"; !strings.Contains(st.FailureReason, want) {
		t.Errorf("failure reason %q, want it to hold %q", st.FailureReason, want)
	}
	if img := h.deployment("detail-primary").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":1.0") {
		t.Errorf("the primary runs %s, want 1.0", img)
	}
}

// TestTooFewSamplesToCompareHoldTheStep rolls out a canary whose primary
// serves no traffic: the comparison has too few samples, which holds the
// step at weight 5 as an analysis error, never a failed check.
func TestTooFewSamplesToCompareHoldTheStep(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	startWorkloadExporter(t, ns, "detail", 1) // and none of detail-primary
	repo := newGitRepo(t)
	repo.commit("detail 1.0", map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(compareCanaryYAML(acceptanceTest(t))),
		"settings.yaml":      text(settingsYAML("blue")),
	})
	h := newHarness(t, repo, ns, func(o *reconciler.Options) { o.PrometheusURL = playgroundtest.Playground().Prometheus.URL })
	h.settle()
	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	st := h.rollUntil("two analysis errors", func(st v1alpha1.CanaryStatus) bool { return st.AnalysisErrors >= 2 })
	if st.Phase != v1alpha1.PhaseProgressing || st.CanaryWeight != 5 || st.FailedChecks != 0 {
		t.Errorf("status with too few samples = phase %s weight %d failed checks %d, want Progressing at 5 with none failed",
			st.Phase, st.CanaryWeight, st.FailedChecks)
	}
}
