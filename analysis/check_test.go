package analysis

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// dataDeadline bounds the wait for Prometheus to have scraped enough
// samples of new traffic for rate(): two scrapes, one second apart, after
// the exporter was added.
const dataDeadline = 60 * time.Second

// resultOptions compare Results: values to a relative 1e-9 (rate() divides
// floats), queries and errors apart.
var resultOptions = []cmp.Option{cmpopts.EquateApprox(1e-9, 0), cmpopts.IgnoreFields(Result{}, "Query", "Err")}

// canaryIn returns a Canary for target detail in namespace with provider
// and metrics.
func canaryIn(namespace, provider string, metrics ...v1alpha1.CanaryMetric) *v1alpha1.Canary {
	return &v1alpha1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "detail", Namespace: namespace},
		Spec: v1alpha1.CanarySpec{
			TargetRef: v1alpha1.TargetRef{Kind: "Deployment", Name: "detail"},
			Provider:  provider,
			Analysis:  v1alpha1.CanaryAnalysis{Metrics: metrics},
		},
	}
}

// playgroundChecker returns a Checker of the playground's Prometheus.
func playgroundChecker(t testing.TB, mesh Mesh) *Checker {
	t.Helper()
	checker, err := NewChecker(CheckerOptions{Address: playgroundtest.Playground().Prometheus.URL, Mesh: mesh})
	if err != nil {
		t.Fatal(err)
	}
	return checker
}

// eventually calls check until it reports done or dataDeadline passes,
// pausing between calls, and reports whether it was done.
func eventually(check func() (done bool)) bool {
	deadline := time.Now().Add(dataDeadline)
	for {
		if check() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

var (
	successRateMin99 = v1alpha1.CanaryMetric{Name: v1alpha1.MetricRequestSuccessRate, Interval: "30s", ThresholdRange: &v1alpha1.ThresholdRange{Min: ptr(99)}}
	durationMax500   = v1alpha1.CanaryMetric{Name: v1alpha1.MetricRequestDuration, Interval: "30s", ThresholdRange: &v1alpha1.ThresholdRange{Max: ptr(500)}}
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name      string
		namespace string
		traffic   *traffic // of detail in namespace, if any
		metric    v1alpha1.CanaryMetric
		want      Result
	}{
		{
			name: "a success rate above the minimum passes", namespace: "rate-high",
			traffic: &traffic{perSecond: map[int]float64{200: 99.5, 503: 0.5}},
			metric:  successRateMin99,
			want:    Result{Metric: "request-success-rate", Verdict: VerdictPass, Value: 99.5, Message: "success rate 99.50% >= 99%"},
		},
		{
			name: "a success rate below the minimum fails with the seed's halt reason", namespace: "flagger",
			traffic: &traffic{perSecond: map[int]float64{200: 23.03, 500: 76.97}},
			metric:  successRateMin99,
			want:    Result{Metric: "request-success-rate", Verdict: VerdictFail, Value: 23.03, Message: "success rate 23.03% < 99%"},
		},
		{
			// Without "or vector(0)" the query has no non-5xx series to sum and
			// the canary that fails hardest would read as one without traffic.
			name: "a canary that answers only 5xx fails at 0% rather than having no data", namespace: "rate-zero",
			traffic: &traffic{perSecond: map[int]float64{500: 10}},
			metric:  successRateMin99,
			want:    Result{Metric: "request-success-rate", Verdict: VerdictFail, Value: 0, Message: "success rate 0.00% < 99%"},
		},
		{
			// 612ms falls in the bucket (500ms, 700ms]: histogram_quantile
			// interpolates its 99th percentile to 500 + 200 × 0.99 = 698.
			name: "a request duration above the maximum fails in milliseconds", namespace: "slow",
			traffic: &traffic{perSecond: map[int]float64{200: 10}, latency: 612 * time.Millisecond},
			metric:  durationMax500,
			want:    Result{Metric: "request-duration", Verdict: VerdictFail, Value: 698, Message: "request duration 698ms > 500ms"},
		},
		{
			// 20ms falls in (10ms, 25ms]: 10 + 15 × 0.99 = 24.85.
			name: "a request duration below the maximum passes", namespace: "fast",
			traffic: &traffic{perSecond: map[int]float64{200: 10}, latency: 20 * time.Millisecond},
			metric:  durationMax500,
			want:    Result{Metric: "request-duration", Verdict: VerdictPass, Value: 24.85, Message: "request duration 25ms <= 500ms"},
		},
		{
			name: "a workload that never received traffic has no data", namespace: "never",
			metric: successRateMin99,
			want: Result{Metric: "request-success-rate", Verdict: VerdictNoData,
				Message: "no values found for metric request-success-rate, canary detail.never may not be receiving traffic"},
		},
		{
			name: "a workload whose traffic stopped has a NaN success rate: no data", namespace: "stopped",
			traffic: &traffic{perSecond: map[int]float64{200: 0}},
			metric:  successRateMin99,
			want: Result{Metric: "request-success-rate", Verdict: VerdictNoData,
				Message: "metric request-success-rate is NaN, canary detail.stopped may not be receiving traffic"},
		},
		{
			name: "a workload whose traffic stopped has a NaN request duration: no data", namespace: "stopped-duration",
			traffic: &traffic{perSecond: map[int]float64{200: 0}},
			metric:  durationMax500,
			want: Result{Metric: "request-duration", Verdict: VerdictNoData,
				Message: "metric request-duration is NaN, canary detail.stopped-duration may not be receiving traffic"},
		},
		{
			name: "a custom query above its maximum fails with its name", namespace: "budget",
			traffic: &traffic{perSecond: map[int]float64{200: 98, 500: 2}},
			metric: v1alpha1.CanaryMetric{
				Name: "error-budget", Interval: "30s", ThresholdRange: &v1alpha1.ThresholdRange{Max: ptr(0.01)},
				Query: `sum(rate(http_requests_total{namespace="{{ namespace }}",workload="{{ target }}",code=~"{{ variables.errors }}"}[{{ interval }}]))` +
					` / sum(rate(http_requests_total{namespace="{{ namespace }}",workload="{{ target }}"}[{{ interval }}]))`,
				TemplateVariables: map[string]string{"errors": "5.."},
			},
			want: Result{Metric: "error-budget", Verdict: VerdictFail, Value: 0.02, Message: "error-budget 0.02 > 0.01"},
		},
		{
			name: "a scalar result is a value like any other", namespace: "scalar",
			metric: v1alpha1.CanaryMetric{Name: "constant", Query: "scalar(vector(0.5))", ThresholdRange: &v1alpha1.ThresholdRange{Min: ptr(0), Max: ptr(1)}},
			want:   Result{Metric: "constant", Verdict: VerdictPass, Value: 0.5, Message: "constant 0.5 in [0, 1]"},
		},
	}
	checker := playgroundChecker(t, "")
	for _, tt := range tests {
		if tt.traffic != nil {
			tt.traffic.mesh, tt.traffic.namespace, tt.traffic.workload = MeshGeneric, tt.namespace, "detail"
			addTraffic(t, tt.traffic)
		}
		// The primary's traffic, failing and slow, must not count.
		addTraffic(t, &traffic{mesh: MeshGeneric, namespace: tt.namespace, workload: "detail-primary",
			perSecond: map[int]float64{500: 50}, latency: 5 * time.Second})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			canary := canaryIn(tt.namespace, v1alpha1.ProviderGatewayAPI)
			var got Result
			eventually(func() bool {
				got = checker.Check(t.Context(), canary, tt.metric, nil)
				return cmp.Equal(tt.want, got, resultOptions...)
			})
			if diff := cmp.Diff(tt.want, got, resultOptions...); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
			want, err := RenderQuery(canary, tt.metric, "")
			if err != nil || got.Query != want || got.Err != nil {
				t.Errorf("Check ran %q (error %v), want %q and no error", got.Query, got.Err, want)
			}
		})
	}
}

func TestCheckHaltMessageReadsAsTheSeed(t *testing.T) {
	checker := playgroundChecker(t, "")
	addTraffic(t, &traffic{mesh: MeshGeneric, namespace: "seed", workload: "detail", perSecond: map[int]float64{200: 23.03, 500: 76.97}})
	canary := canaryIn("seed", v1alpha1.ProviderGatewayAPI)
	var got Result
	eventually(func() bool {
		got = checker.Check(t.Context(), canary, successRateMin99, nil)
		return got.Verdict == VerdictFail
	})
	if msg, want := HaltMessage("detail", "flagger", got), "Halt detail.flagger advancement success rate 23.03% < 99%"; msg != want {
		t.Errorf("HaltMessage = %q, want %q", msg, want)
	}
}

func TestCheckAllReadsEveryMeshsMetrics(t *testing.T) {
	tests := []struct {
		name     string
		mesh     Mesh
		provider string
		override Mesh
	}{
		{name: "gatewayapi reads the generic metrics", mesh: MeshGeneric, provider: v1alpha1.ProviderGatewayAPI},
		{name: "kubernetes reads the generic metrics", mesh: MeshGeneric, provider: v1alpha1.ProviderKubernetes},
		{name: "istio reads the istio metrics", mesh: MeshIstio, provider: v1alpha1.ProviderIstio},
		{name: "appmesh reads the envoy metrics of the canary's inbound traffic", mesh: MeshEnvoy, provider: v1alpha1.ProviderAppMesh},
		{name: "the linkerd mesh option reads the linkerd metrics", mesh: MeshLinkerd, provider: v1alpha1.ProviderGatewayAPI, override: MeshLinkerd},
	}
	want := []Result{
		{Metric: "request-success-rate", Verdict: VerdictFail, Value: 95, Message: "success rate 95.00% < 99%"},
		{Metric: "request-duration", Verdict: VerdictFail, Value: 698, Message: "request duration 698ms > 500ms"},
	}
	for _, tt := range tests {
		namespace := "mesh-" + tt.provider + "-" + string(tt.mesh)
		if tt.provider != v1alpha1.ProviderKubernetes { // shares the gatewayapi traffic
			addTraffic(t, &traffic{mesh: tt.mesh, namespace: namespace, workload: "detail",
				perSecond: map[int]float64{200: 95, 500: 5}, latency: 612 * time.Millisecond, egressErrors: tt.mesh == MeshEnvoy})
			addTraffic(t, &traffic{mesh: tt.mesh, namespace: namespace, workload: "detail-primary",
				perSecond: map[int]float64{500: 50}, latency: 5 * time.Second})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			namespace := "mesh-" + tt.provider + "-" + string(tt.mesh)
			if tt.provider == v1alpha1.ProviderKubernetes {
				namespace = "mesh-" + v1alpha1.ProviderGatewayAPI + "-" + string(tt.mesh)
			}
			checker := playgroundChecker(t, tt.override)
			canary := canaryIn(namespace, tt.provider, successRateMin99, durationMax500)
			var got []Result
			var verdict Verdict
			eventually(func() bool {
				got, verdict = checker.CheckAll(t.Context(), canary, nil)
				return cmp.Equal(want, got, resultOptions...)
			})
			if diff := cmp.Diff(want, got, resultOptions...); diff != "" {
				t.Errorf("CheckAll (-want +got):\n%s", diff)
			}
			if verdict != VerdictFail {
				t.Errorf("CheckAll verdict = %s, want fail", verdict)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	metric := func(name, query string) v1alpha1.CanaryMetric {
		return v1alpha1.CanaryMetric{Name: name, Query: query, ThresholdRange: &v1alpha1.ThresholdRange{Max: ptr(1)}}
	}
	tests := []struct {
		name    string
		address string // of Prometheus; empty means the playground's
		metric  v1alpha1.CanaryMetric
		message string // the start of the result's message
		cause   func(error) bool
	}{
		{
			name: "an unreachable Prometheus is an error", address: "http://" + closedAddress(t),
			metric:  successRateMin99,
			message: "metric request-success-rate: prometheus query failed: ",
			cause: func(err error) bool {
				var q *QueryError
				return errors.As(err, &q) && q.Metric == "request-success-rate" && strings.Contains(err.Error(), "connection refused")
			},
		},
		{
			name: "invalid PromQL is an error", metric: metric("bad-promql", "sum(rate(http_requests_total[30s])"),
			message: "metric bad-promql: prometheus query failed: bad_data: ",
			cause: func(err error) bool {
				var p *promv1.Error
				return errors.As(err, &p) && p.Type == promv1.ErrBadData
			},
		},
		{
			name: "a query that returns more than one series is an error", metric: metric("two-series", `vector(1) or label_replace(vector(2), "x", "y", "", "")`),
			message: "metric two-series: prometheus query failed: the query returned 2 series, want one: aggregate them, e.g. with sum()",
			cause:   func(err error) bool { var q *QueryError; return errors.As(err, &q) },
		},
		{
			name: "a query that returns a range vector is an error", metric: metric("range", "vector(1)[1m:10s]"),
			message: "metric range: prometheus query failed: the query returned a matrix, want a scalar or an instant vector",
			cause:   func(err error) bool { var q *QueryError; return errors.As(err, &q) },
		},
		{
			name: "a query with an unknown variable is an error", metric: metric("typo", `up{job="{{ variables.job }}"}`),
			message: "metric typo: query uses unknown variable {{ variables.job }}",
			cause: func(err error) bool {
				var u *UnknownVariableError
				return errors.As(err, &u) && u.Variable == "variables.job"
			},
		},
		{
			name: "a metric without a threshold range is an error", metric: v1alpha1.CanaryMetric{Name: "unbounded", Query: "vector(1)"},
			message: "metric unbounded: thresholdRange needs min, max or both",
			cause:   func(err error) bool { return err != nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			address := tt.address
			if address == "" {
				address = playgroundtest.Playground().Prometheus.URL
			}
			checker, err := NewChecker(CheckerOptions{Address: address})
			if err != nil {
				t.Fatal(err)
			}
			got := checker.Check(t.Context(), canaryIn("errors", ""), tt.metric, nil)
			if got.Verdict != VerdictError || got.Value != 0 || !strings.HasPrefix(got.Message, tt.message) || !tt.cause(got.Err) {
				t.Errorf("Check = %+v\nwant an error whose message starts with %q", got, tt.message)
			}
			if got.Err != nil && got.Message != got.Err.Error() {
				t.Errorf("message %q is not the error %q", got.Message, got.Err)
			}
		})
	}
}

func TestCheckAllWithUnreachablePrometheusHolds(t *testing.T) {
	checker, err := NewChecker(CheckerOptions{Address: "http://" + closedAddress(t)})
	if err != nil {
		t.Fatal(err)
	}
	results, verdict := checker.CheckAll(t.Context(), canaryIn("flagger", "", successRateMin99, durationMax500), nil)
	if verdict != VerdictError || len(results) != 2 || results[0].Verdict != VerdictError || results[1].Verdict != VerdictError {
		t.Errorf("CheckAll = %+v, %s; want two errors and the verdict error", results, verdict)
	}
}

func TestCheckStopsAtTheQueryTimeout(t *testing.T) {
	// A server that accepts connections and never answers.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- conn
		}
	}()
	defer func() {
		listener.Close()
		for conn := range accepted {
			conn.Close()
		}
	}()
	checker, err := NewChecker(CheckerOptions{Address: "http://" + listener.Addr().String(), QueryTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := checker.Check(context.Background(), canaryIn("flagger", ""), successRateMin99, nil)
	if took := time.Since(start); got.Verdict != VerdictError || !errors.Is(got.Err, context.DeadlineExceeded) || took > 5*time.Second {
		t.Errorf("Check = %+v after %s, want an error from the 200ms deadline", got, took)
	}
}

func TestNewCheckerErrors(t *testing.T) {
	tests := []struct {
		name string
		opts CheckerOptions
		want string
	}{
		{name: "no address", opts: CheckerOptions{}, want: "analysis: prometheus address is empty"},
		{name: "an unknown mesh", opts: CheckerOptions{Address: "http://prometheus:9090", Mesh: "consul"},
			want: `analysis: unknown mesh "consul": known meshes are generic, istio, linkerd, envoy`},
		{name: "an address that is not a URL", opts: CheckerOptions{Address: "http://[::1"},
			want: `analysis: prometheus address "http://[::1": parse "http://[::1": missing ']' in host`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewChecker(tt.opts)
			if err == nil || err.Error() != tt.want {
				t.Errorf("NewChecker error = %v, want %s", err, tt.want)
			}
		})
	}
}

// closedAddress returns a loopback address where nothing listens.
func closedAddress(t testing.TB) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close()
	return address
}

func BenchmarkCheck(b *testing.B) {
	checker := playgroundChecker(b, "")
	addTraffic(b, &traffic{mesh: MeshGeneric, namespace: "bench", workload: "detail", perSecond: map[int]float64{200: 100}})
	canary := canaryIn("bench", v1alpha1.ProviderGatewayAPI)
	if !eventually(func() bool { return checker.Check(b.Context(), canary, successRateMin99, nil).Verdict == VerdictPass }) {
		b.Fatal("no data")
	}
	for b.Loop() {
		if r := checker.Check(b.Context(), canary, successRateMin99, nil); r.Verdict != VerdictPass {
			b.Fatalf("Check = %+v", r)
		}
	}
}
