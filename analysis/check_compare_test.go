package analysis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// noisyWorkload is the traffic of one workload as a real one serves it:
// at every scrape, the requests since the last one, each answering 500 with
// probability fault and taking latency × [0.5, 1.5), plus slowExtra for a
// slowFraction of them. Unlike traffic, its windows differ, as a
// statistical test needs.
type noisyWorkload struct {
	namespace, workload string
	perSecond           float64
	fault               float64
	latency             time.Duration
	slowFraction        float64
	slowExtra           time.Duration

	last            time.Time
	pending         float64 // requests not served yet: the fraction of one
	ok, failed      float64
	sum             float64
	cumulativeCount map[float64]uint64
	count           uint64
}

// serve adds the requests since the last scrape.
func (w *noisyWorkload) serve(now time.Time) {
	w.pending += w.perSecond * now.Sub(w.last).Seconds()
	w.last = now
	for ; w.pending >= 1; w.pending-- {
		if rand.Float64() < w.fault {
			w.failed++
		} else {
			w.ok++
		}
		seconds := w.latency.Seconds() * (0.5 + rand.Float64())
		if rand.Float64() < w.slowFraction {
			seconds += w.slowExtra.Seconds()
		}
		w.sum += seconds
		w.count++
		for _, upper := range bucketSeconds {
			if seconds <= upper {
				w.cumulativeCount[upper]++
			}
		}
	}
}

// collect sends the workload's series in the generic mesh's shape.
func (w *noisyWorkload) collect(ch chan<- prometheus.Metric) {
	labels := prometheus.Labels{"namespace": w.namespace, "workload": w.workload}
	for code, n := range map[string]float64{"200": w.ok, "500": w.failed} {
		series := prometheus.Labels{"code": code}
		for k, v := range labels {
			series[k] = v
		}
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("http_requests_total", "Requests served.", nil, series), prometheus.CounterValue, n)
	}
	buckets := make(map[float64]uint64, len(w.cumulativeCount))
	for upper, n := range w.cumulativeCount {
		buckets[upper] = n
	}
	desc := prometheus.NewDesc("http_request_duration_seconds", "Request duration.", nil, labels)
	ch <- prometheus.MustNewConstHistogram(desc, w.count, w.sum, buckets)
}

// noisyExporter serves the noisy workloads the tests add.
type noisyExporter struct {
	mu        sync.Mutex
	workloads []*noisyWorkload
}

func (e *noisyExporter) Describe(chan<- *prometheus.Desc) {}

func (e *noisyExporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	for _, w := range e.workloads {
		w.serve(now)
		w.collect(ch)
	}
}

// startNoisyExporter serves workloads, starting now, and has the
// playground's Prometheus scrape them every second.
func startNoisyExporter(t *testing.T, job string, workloads ...*noisyWorkload) {
	t.Helper()
	for _, w := range workloads {
		w.last, w.cumulativeCount = time.Now(), map[float64]uint64{}
		for _, upper := range bucketSeconds {
			w.cumulativeCount[upper] = 0
		}
	}
	e := &noisyExporter{workloads: workloads}
	registry := prometheus.NewRegistry()
	registry.MustRegister(e)
	server := httptest.NewServer(promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	t.Cleanup(server.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := playgroundtest.Playground().Prometheus.AddScrapeTargets(ctx, playground.ScrapeTarget{
		Job: job, Targets: []string{strings.TrimPrefix(server.URL, "http://")},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// compareInterval is the metrics' interval in the comparison tests: twelve
// windows of 2s, each holding two scrapes.
const compareInterval = "24s"

// TestCheckCompare judges canaries against their primaries on the
// playground's Prometheus, each pair next to a fixed threshold that judges
// them the other way. Its three cases run in parallel, so that their wait
// for samples (about 16s, for MinComparisonSamples windows of 2s) is one.
func TestCheckCompare(t *testing.T) {
	duration := func(threshold *v1alpha1.ThresholdRange, compare *v1alpha1.MetricComparison) v1alpha1.CanaryMetric {
		return v1alpha1.CanaryMetric{Name: v1alpha1.MetricRequestDuration, Interval: compareInterval, ThresholdRange: threshold, Compare: compare}
	}
	successRate := func(threshold *v1alpha1.ThresholdRange, compare *v1alpha1.MetricComparison) v1alpha1.CanaryMetric {
		return v1alpha1.CanaryMetric{Name: v1alpha1.MetricRequestSuccessRate, Interval: compareInterval, ThresholdRange: threshold, Compare: compare}
	}
	increase := &v1alpha1.MetricComparison{Against: v1alpha1.CompareAgainstPrimary, Direction: v1alpha1.CompareIncrease, Tolerance: 0.5, Confidence: 0.99}
	decrease := &v1alpha1.MetricComparison{Against: v1alpha1.CompareAgainstPrimary, Direction: v1alpha1.CompareDecrease, Tolerance: 0.02, Confidence: 0.99}
	tests := []struct {
		name            string
		namespace       string
		canary, primary noisyWorkload
		threshold       v1alpha1.CanaryMetric
		comparison      v1alpha1.CanaryMetric
		want            map[string]Verdict // by "threshold" and "comparison"
		message         string             // the comparison's, up to the values
	}{
		{
			// A tenth of the canary's requests take 200ms more: its p99 is
			// about 235ms, under the 500ms threshold, where the primary's is
			// about 45ms.
			name: "a slow canary that a fixed p99 threshold passes fails the comparison", namespace: "compare-slow",
			canary:     noisyWorkload{perSecond: 100, latency: 20 * time.Millisecond, slowFraction: 0.1, slowExtra: 200 * time.Millisecond},
			primary:    noisyWorkload{perSecond: 100, latency: 20 * time.Millisecond},
			threshold:  duration(&v1alpha1.ThresholdRange{Max: ptr(500)}, nil),
			comparison: duration(nil, increase),
			want:       map[string]Verdict{"threshold": VerdictPass, "comparison": VerdictFail},
			message:    "p99 latency of canary ",
		},
		{
			// A database both versions use fails 5 % of the requests of each.
			name: "a shared fault that a fixed success-rate threshold fails passes the comparison", namespace: "compare-shared",
			canary:     noisyWorkload{perSecond: 300, latency: 20 * time.Millisecond, fault: 0.05},
			primary:    noisyWorkload{perSecond: 300, latency: 20 * time.Millisecond, fault: 0.05},
			threshold:  successRate(&v1alpha1.ThresholdRange{Min: ptr(99)}, nil),
			comparison: successRate(nil, decrease),
			want:       map[string]Verdict{"threshold": VerdictFail, "comparison": VerdictPass},
			message:    "success rate of canary ",
		},
		{
			// One request every ten seconds leaves most 2s windows empty.
			name: "a canary with too little traffic has too few samples, which holds the step", namespace: "compare-quiet",
			canary:     noisyWorkload{perSecond: 0.1, latency: 20 * time.Millisecond},
			primary:    noisyWorkload{perSecond: 100, latency: 20 * time.Millisecond},
			threshold:  successRate(&v1alpha1.ThresholdRange{Min: ptr(99)}, nil),
			comparison: successRate(nil, decrease),
			want:       map[string]Verdict{"comparison": VerdictTooFewSamples},
			message:    "too few samples to compare success rate: canary ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.canary.namespace, tt.canary.workload = tt.namespace, "detail"
			tt.primary.namespace, tt.primary.workload = tt.namespace, "detail-primary"
			startNoisyExporter(t, "analysis-compare-"+tt.namespace, &tt.canary, &tt.primary)
			checker := playgroundChecker(t, "")
			canary := canaryIn(tt.namespace, v1alpha1.ProviderGatewayAPI)
			got := map[string]Result{}
			// The samples are enough once the comparison has more than too
			// few of them; the quiet canary never does, and is judged once
			// the primary has enough.
			done := eventually(func() bool {
				got["comparison"] = checker.Check(context.Background(), canary, tt.comparison, nil)
				if tt.want["comparison"] == VerdictTooFewSamples {
					var canarySamples, primarySamples int
					_, err := fmt.Sscanf(strings.TrimPrefix(got["comparison"].Message, tt.message), "%d, primary %d", &canarySamples, &primarySamples)
					return err == nil && primarySamples >= MinComparisonSamples
				}
				return got["comparison"].Verdict != VerdictTooFewSamples && got["comparison"].Verdict != VerdictError
			})
			if !done {
				t.Fatalf("no samples to compare in %s: %+v", dataDeadline, got["comparison"])
			}
			if _, ok := tt.want["threshold"]; ok {
				got["threshold"] = checker.Check(context.Background(), canary, tt.threshold, nil)
			}
			for check, want := range tt.want {
				if got[check].Verdict != want {
					t.Errorf("%s: verdict %s (%s), want %s", check, got[check].Verdict, got[check].Message, want)
				}
			}
			if m := got["comparison"].Message; !strings.HasPrefix(m, tt.message) {
				t.Errorf("comparison message %q, want it to start with %q", m, tt.message)
			}
			t.Logf("threshold: %s; comparison: %s", got["threshold"].Message, got["comparison"].Message)
		})
	}
}
