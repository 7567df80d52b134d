package gateway

import (
	"maps"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics counts the requests routed to each workload, for Prometheus and
// for Gateway.Served.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	mu     sync.Mutex
	counts map[workload]map[int]int
}

// workload names a Deployment.
type workload struct {
	namespace, name string
}

// newMetrics returns the gateway's metrics in a registry of their own.
func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "Requests routed to a workload (a Deployment), by status code of the answer.",
		}, []string{"namespace", "workload", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time from the request's arrival at the gateway to the end of its answer, by workload.",
			Buckets: prometheus.DefBuckets,
		}, []string{"namespace", "workload"}),
		counts: map[workload]map[int]int{},
	}
	m.registry.MustRegister(m.requests, m.duration)
	return m
}

// record counts one request routed to the Deployment name in namespace,
// answered with code after took.
func (m *metrics) record(namespace, name string, code int, took time.Duration) {
	m.requests.WithLabelValues(namespace, name, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(namespace, name).Observe(took.Seconds())
	m.mu.Lock()
	defer m.mu.Unlock()
	w := workload{namespace, name}
	if m.counts[w] == nil {
		m.counts[w] = map[int]int{}
	}
	m.counts[w][code]++
}

// served returns the requests of a workload by status code; never nil.
func (m *metrics) served(namespace, name string) map[int]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	counts := maps.Clone(m.counts[workload{namespace, name}])
	if counts == nil {
		counts = map[int]int{}
	}
	return counts
}

// handler serves the metrics in Prometheus's formats on /metrics.
func (m *metrics) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	return mux
}
