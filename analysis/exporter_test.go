package analysis

import (
	"context"
	"maps"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicehq/sluice/playground"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// shape is how a mesh names and labels the request metrics of a workload.
type shape struct {
	requests string // the request counter
	duration string // the duration histogram, without _bucket
	perUnit  float64
	// workload returns the labels of a workload's series; code adds those
	// of a response code to them.
	workload func(namespace, name string) prometheus.Labels
	code     func(code int) prometheus.Labels
}

// shapes are the metrics of every mesh, as the query templates expect them.
var shapes = map[Mesh]shape{
	MeshGeneric: {
		requests: "http_requests_total", duration: "http_request_duration_seconds", perUnit: 1,
		workload: func(ns, name string) prometheus.Labels { return prometheus.Labels{"namespace": ns, "workload": name} },
		code:     func(code int) prometheus.Labels { return prometheus.Labels{"code": strconv.Itoa(code)} },
	},
	MeshIstio: {
		requests: "istio_requests_total", duration: "istio_request_duration_milliseconds", perUnit: 1000,
		workload: func(ns, name string) prometheus.Labels {
			return prometheus.Labels{"reporter": "destination", "destination_workload_namespace": ns, "destination_workload": name}
		},
		code: func(code int) prometheus.Labels { return prometheus.Labels{"response_code": strconv.Itoa(code)} },
	},
	MeshLinkerd: {
		requests: "response_total", duration: "response_latency_ms", perUnit: 1000,
		workload: func(ns, name string) prometheus.Labels {
			return prometheus.Labels{"namespace": ns, "deployment": name, "direction": "inbound"}
		},
		code: func(code int) prometheus.Labels {
			class := "success"
			if code >= 500 {
				class = "failure"
			}
			return prometheus.Labels{"status_code": strconv.Itoa(code), "classification": class}
		},
	},
	// A workload's Envoy series are those of one of its pods' inbound
	// cluster; see the egress option of traffic for the outbound ones.
	MeshEnvoy: {
		requests: "envoy_cluster_upstream_rq", duration: "envoy_cluster_upstream_rq_time", perUnit: 1000,
		workload: func(ns, name string) prometheus.Labels {
			return prometheus.Labels{
				"kubernetes_namespace": ns, "kubernetes_pod_name": name + "-5d4f8c9b7-x7k2p",
				"envoy_cluster_name": "cds_ingress_mesh_" + name + "-" + ns + "_http_3000",
			}
		},
		code: func(code int) prometheus.Labels { return prometheus.Labels{"envoy_response_code": strconv.Itoa(code)} },
	},
}

// bucketSeconds are the upper bounds of the duration histograms, in seconds.
// A request of 612ms falls in (0.5, 0.7], whose 99th percentile
// histogram_quantile interpolates to 0.5 + 0.2 × 0.99 = 0.698 s.
var bucketSeconds = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.7, 1, 2.5, 5, 10}

// traffic is the steady traffic of one workload from the moment it is
// created: perSecond requests per second of each status code, every one
// taking latency. A code with a zero rate still has its (constant) series.
type traffic struct {
	mesh      Mesh
	namespace string
	workload  string
	perSecond map[int]float64
	latency   time.Duration
	// egressErrors adds, for MeshEnvoy, the series of an outbound cluster
	// of the same pod answering 5xx only, which the checks must ignore.
	egressErrors bool

	start time.Time
}

// collect sends the traffic's series as they are at now.
func (tr *traffic) collect(ch chan<- prometheus.Metric, now time.Time) {
	s := shapes[tr.mesh]
	elapsed := now.Sub(tr.start).Seconds()
	labels := s.workload(tr.namespace, tr.workload)
	tr.collectRequests(ch, s, labels, elapsed)
	if tr.egressErrors {
		egress := maps.Clone(labels)
		egress["envoy_cluster_name"] = "cds_egress_mesh_backend_http_8080"
		(&traffic{mesh: tr.mesh, perSecond: map[int]float64{503: 50}, latency: 5 * time.Second}).collectRequests(ch, s, egress, elapsed)
	}
}

// collectRequests sends the request counters and the duration histogram
// after elapsed seconds of the traffic, with labels.
func (tr *traffic) collectRequests(ch chan<- prometheus.Metric, s shape, labels prometheus.Labels, elapsed float64) {
	var total float64
	for code, rate := range tr.perSecond {
		series := maps.Clone(labels)
		maps.Copy(series, s.code(code))
		desc := prometheus.NewDesc(s.requests, "Requests served.", nil, series)
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, rate*elapsed)
		total += rate * elapsed
	}
	buckets := map[float64]uint64{}
	for _, upper := range bucketSeconds {
		if tr.latency.Seconds() <= upper {
			buckets[upper*s.perUnit] = uint64(total)
		} else {
			buckets[upper*s.perUnit] = 0
		}
	}
	desc := prometheus.NewDesc(s.duration, "Request duration.", nil, labels)
	ch <- prometheus.MustNewConstHistogram(desc, uint64(total), total*tr.latency.Seconds()*s.perUnit, buckets)
}

// exporter serves the metrics of the traffic the tests add. It is an
// unchecked collector: its series change as traffic is added.
type exporter struct {
	mu      sync.Mutex
	traffic []*traffic
}

func (e *exporter) Describe(chan<- *prometheus.Desc) {}

func (e *exporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	for _, tr := range e.traffic {
		tr.collect(ch, now)
	}
}

var (
	sharedExporter     *exporter
	sharedExporterErr  error
	sharedExporterOnce sync.Once
)

// addTraffic starts tr now on the package's exporter, which the
// playground's Prometheus scrapes every second. It replaces the traffic of
// the same workload that an earlier run of the test (-count) added, which
// Prometheus reads as a counter reset, so that no series is exported twice.
func addTraffic(t testing.TB, tr *traffic) {
	t.Helper()
	sharedExporterOnce.Do(func() { sharedExporter, sharedExporterErr = startExporter() })
	if sharedExporterErr != nil {
		t.Fatal(sharedExporterErr)
	}
	tr.start = time.Now()
	e := sharedExporter
	e.mu.Lock()
	defer e.mu.Unlock()
	e.traffic = slices.DeleteFunc(e.traffic, func(old *traffic) bool {
		return old.mesh == tr.mesh && old.namespace == tr.namespace && old.workload == tr.workload
	})
	e.traffic = append(e.traffic, tr)
}

// startExporter serves a new exporter and has Prometheus scrape it. The
// server lives as long as the test binary.
func startExporter() (*exporter, error) {
	e := &exporter{}
	registry := prometheus.NewRegistry()
	registry.MustRegister(e)
	server := httptest.NewServer(promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := playgroundtest.Playground().Prometheus.AddScrapeTargets(ctx, playground.ScrapeTarget{
		Job: "analysis-test-exporter", Targets: []string{strings.TrimPrefix(server.URL, "http://")},
	})
	if err != nil {
		server.Close()
		return nil, err
	}
	return e, nil
}
