package reconciler_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// promPassword is the password of the Prometheus behind basic
// authentication: it must never leave the Secret.
const promPassword = "pr0m-s3cret-pw"

// authenticatedPrometheus serves the playground's Prometheus behind basic
// authentication (user sluice, promPassword), as a Thanos or Mimir behind
// a gateway would, and counts the queries it let through.
func authenticatedPrometheus(t *testing.T) (address string, queries *atomic.Int64) {
	t.Helper()
	target, err := url.Parse(playgroundtest.Playground().Prometheus.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	queries = &atomic.Int64{}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, password, ok := r.BasicAuth(); !ok || user != "sluice" || password != promPassword {
			http.Error(w, `{"status":"error","errorType":"unauthorized","error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.Contains(string(body), "query=") {
			queries.Add(1)
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(server.Close)
	return server.URL, queries
}

// A Flagger repository's custom metric: a Flagger MetricTemplate with its
// own Prometheus address and basic-auth Secret, and a Flagger Canary whose
// metric names it with templateRef and an old-style threshold (a maximum
// for a custom metric). It promotes while the error percentage the
// template measures stays under 1, and rolls back when it does not.
func TestAFlaggerMetricTemplateGatesTheRollout(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	exporter := startRequestsExporter(t, ns, "detail")
	address, queries := authenticatedPrometheus(t)
	template := `apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: error-percentage}
spec:
  provider:
    type: prometheus
    address: ` + address + `
    secretRef: {name: prom-auth}
  query: |
    100 - sum(rate(http_requests_total{namespace="{{ namespace }}", workload="{{ target }}", code!~"5.."}[{{ interval }}]))
      / sum(rate(http_requests_total{namespace="{{ namespace }}", workload="{{ target }}"}[{{ interval }}])) * 100
`
	secret := `apiVersion: v1
kind: Secret
metadata: {name: prom-auth}
stringData: {username: sluice, password: ` + promPassword + `}
`
	canary := `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: detail}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  provider: gatewayapi:v1
  service:
    port: 3000
    gatewayRefs: [{name: public, namespace: gateway}]
  progressDeadlineSeconds: 60
  analysis:
    interval: 3s
    threshold: 1
    stepWeight: 5
    maxWeight: 15
    metrics:
    - name: error-percentage
      templateRef: {name: error-percentage}
      threshold: 1
      interval: 10s
`
	repo := newGitRepo(t)
	repo.commit("detail 1.0 with a Flagger MetricTemplate", map[string]*string{
		"kustomization.yaml": text("resources: [deployment.yaml, canary.yaml, settings.yaml, template.yaml, secret.yaml]\n"),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(canary),
		"settings.yaml":      text(settingsYAML("blue")),
		"template.yaml":      text(template),
		"secret.yaml":        text(secret),
	})
	var logs logLines
	h := newHarness(t, repo, ns, func(o *reconciler.Options) {
		o.PrometheusURL = playgroundtest.Playground().Prometheus.URL
		o.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	h.settle()
	var applied v1alpha1.MetricTemplate
	if err := h.recClient().Get(t.Context(), types.NamespacedName{Namespace: ns, Name: "error-percentage"}, &applied); err != nil {
		t.Fatalf("the MetricTemplate is not in the cluster as sluice.dev: %v", err)
	}

	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	h.rollUntil("the promotion of 2.0", phaseIs(v1alpha1.PhaseSucceeded))
	if queries.Load() == 0 {
		t.Fatal("2.0 was promoted without a query to the template's Prometheus")
	}

	repo.commit("detail 3.0", map[string]*string{"deployment.yaml": text(deploymentYAML("3.0"))})
	h.rollUntil("weight 5 for 3.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 5 })
	exporter.setSuccessRate(0.2)
	h.rollUntil("the rollback of 3.0", phaseIs(v1alpha1.PhaseFailed))
	id := "detail." + ns
	halted := false
	for _, msg := range logs.messages(t) {
		halted = halted || strings.HasPrefix(msg, "Halt "+id+" advancement error-percentage ") && strings.HasSuffix(msg, " > 1")
	}
	if !halted {
		t.Errorf("no halt on the template's metric above 1 in:\n%s", strings.Join(logs.messages(t), "\n"))
	}
	if strings.Contains(logs.String(), promPassword) || strings.Contains(strings.Join(h.canaryEvents(), "\n"), promPassword) {
		t.Error("the Prometheus password reached a log line or an Event")
	}
}

// A templateRef to a MetricTemplate that is nowhere holds the analysis with
// an error that names it; it never passes.
func TestAMissingMetricTemplateHoldsTheAnalysis(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	canary := strings.Replace(seedCanaryYAML(acceptanceTest(t)), `    - name: request-success-rate
      thresholdRange: {min: 99}`, `    - name: latency
      templateRef: {name: latency, namespace: monitoring}
      thresholdRange: {max: 500}`, 1)
	repo := newGitRepo(t)
	repo.commit("detail 1.0", map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(canary),
		"settings.yaml":      text(settingsYAML("blue")),
	})
	h := newHarness(t, repo, ns, func(o *reconciler.Options) { o.PrometheusURL = playgroundtest.Playground().Prometheus.URL })
	h.settle()
	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	st := h.rollUntil("two analysis errors", func(st v1alpha1.CanaryStatus) bool { return st.AnalysisErrors >= 2 })
	if st.Phase != v1alpha1.PhaseProgressing || st.CanaryWeight != 5 {
		t.Errorf("status %s at weight %d, want Progressing, held at 5", st.Phase, st.CanaryWeight)
	}
	want := "metric latency: MetricTemplate monitoring/latency: not found"
	if !strings.Contains(strings.Join(h.canaryEvents(), "\n"), want) {
		t.Errorf("no event says %q; events:\n%s", want, strings.Join(h.canaryEvents(), "\n"))
	}
}
