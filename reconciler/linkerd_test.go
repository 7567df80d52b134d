package reconciler_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// linkerdExporter serves, as Linkerd's proxies export them, the inbound
// responses of one Deployment: response_total{namespace, deployment,
// direction="inbound", classification} growing at a steady rate, every
// response a success.
type linkerdExporter struct {
	namespace, deployment string

	mu    sync.Mutex
	start time.Time
}

func (e *linkerdExporter) Describe(chan<- *prometheus.Desc) {}

func (e *linkerdExporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	defer e.mu.Unlock()
	desc := prometheus.NewDesc("response_total", "Responses of the proxy.", nil, prometheus.Labels{
		"namespace": e.namespace, "deployment": e.deployment, "direction": "inbound", "classification": "success",
	})
	ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, time.Since(e.start).Seconds()*perSecond)
}

// startLinkerdExporter has the playground's Prometheus scrape the Linkerd
// metrics of deployment in ns.
func startLinkerdExporter(t *testing.T, ns, deployment string) {
	t.Helper()
	registry := prometheus.NewRegistry()
	registry.MustRegister(&linkerdExporter{namespace: ns, deployment: deployment, start: time.Now()})
	server := httptest.NewServer(promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	t.Cleanup(server.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := playgroundtest.Playground().Prometheus.AddScrapeTargets(ctx, playground.ScrapeTarget{
		Job: "linkerd-" + ns, Targets: []string{strings.TrimPrefix(server.URL, "http://")},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// linkerdCanaryYAML is a Canary of Flagger's linkerd provider: no
// gatewayRefs, no hosts; its success rate is Linkerd's.
const linkerdCanaryYAML = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: detail}
spec:
  provider: linkerd
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  progressDeadlineSeconds: 60
  service: {port: 3000, timeout: 30s}
  analysis:
    interval: 1s
    threshold: 1
    stepWeight: 50
    maxWeight: 50
    metrics:
    - {name: request-success-rate, threshold: 99, interval: 10s}
`

// waitForSeries waits until the playground's Prometheus answers query
// with at least one series: scraped often enough for a rate.
func waitForSeries(t *testing.T, query string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(playgroundtest.Playground().Prometheus.URL + "/api/v1/query?query=" + url.QueryEscape(query))
		if err != nil {
			t.Fatal(err)
		}
		var answer struct {
			Data struct {
				Result []json.RawMessage `json:"result"`
			} `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if err == nil && len(answer.Data.Result) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no series for %s within 30s (%v)", query, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func TestALinkerdCanaryRoutesTheApexServiceAndIsJudgedOnLinkerdsMetrics(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	startLinkerdExporter(t, ns, "detail")
	repo := newGitRepo(t)
	repo.commit("detail 1.0", map[string]*string{
		"kustomization.yaml": text("resources: [deployment.yaml, canary.yaml]\n"),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(linkerdCanaryYAML),
	})
	h := newHarness(t, repo, ns, func(o *reconciler.Options) {
		o.PrometheusURL = playgroundtest.Playground().Prometheus.URL
	})
	h.settle()

	// The HTTPRoute detail is the apex Service's (GAMMA), not a Gateway's.
	route, err := h.httpRouteNamed("detail")
	if err != nil {
		t.Fatalf("httproute detail: %v", err)
	}
	want := []gatewayv1.ParentReference{{
		Group: ptr.To(gatewayv1.Group("")), Kind: ptr.To(gatewayv1.Kind("Service")),
		Namespace: ptr.To(gatewayv1.Namespace(ns)), Name: "detail", Port: ptr.To(gatewayv1.PortNumber(3000)),
	}}
	if diff := cmp.Diff(want, route.Spec.ParentRefs); diff != "" {
		t.Errorf("parentRefs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"detail-primary:3000=100", "detail-canary:3000=0"}, weightsOf(route)); diff != "" {
		t.Errorf("backendRefs (-want +got):\n%s", diff)
	}

	// 2.0 is analysed on Linkerd's response_total (no other metric of the
	// detail Deployment exists: another mesh's query would find no data and
	// fail the rollout) and promoted.
	waitForSeries(t, `rate(response_total{namespace="`+ns+`",deployment="detail"}[10s])`)
	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	h.rollUntil("weight 50 for 2.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 50 })
	if route, err = h.httpRouteNamed("detail"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"detail-primary:3000=50", "detail-canary:3000=50"}, weightsOf(route)); diff != "" {
		t.Errorf("backendRefs at weight 50 (-want +got):\n%s", diff)
	}
	st := h.rollUntil("promotion of 2.0", func(st v1alpha1.CanaryStatus) bool {
		return st.Phase == v1alpha1.PhaseSucceeded || st.Phase == v1alpha1.PhaseFailed
	})
	if st.Phase != v1alpha1.PhaseSucceeded {
		t.Fatalf("2.0 ended %s (%s), want promoted on Linkerd's success rate", st.Phase, st.FailureReason)
	}
	h.assertAllTrafficOnThePrimary()
}
