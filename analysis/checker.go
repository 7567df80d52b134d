package analysis

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// DefaultQueryTimeout bounds one Prometheus query when CheckerOptions does
// not say.
const DefaultQueryTimeout = 30 * time.Second

// CheckerOptions configures NewChecker.
type CheckerOptions struct {
	// Address is the base URL of the Prometheus HTTP API, e.g.
	// http://prometheus.monitoring:9090. Required.
	Address string
	// Mesh selects the query templates of the built-in metrics for every
	// Canary, whatever its provider: set it to MeshLinkerd when the traffic
	// is measured by Linkerd. Zero means MeshForProvider(spec.provider) of
	// each Canary.
	Mesh Mesh
	// QueryTimeout bounds one query, on the client and as Prometheus's own
	// evaluation timeout. Zero means DefaultQueryTimeout.
	QueryTimeout time.Duration
	// RoundTripper carries the HTTP requests, e.g. to add authentication.
	// Nil means client_golang's api.DefaultRoundTripper.
	RoundTripper http.RoundTripper
}

// Checker checks the metrics of Canaries against one Prometheus, and the
// metrics of MetricTemplates against the Prometheus each names (the same
// one when it names none). It is safe for concurrent use.
type Checker struct {
	prometheus promv1.API
	mesh       Mesh
	timeout    time.Duration
	address    string
	// sources are the clients of the MetricTemplates' own addresses and
	// credentials.
	sources *sourceClients
}

// NewChecker returns a Checker for the Prometheus at opts.Address. It does
// not contact Prometheus: an unreachable one shows as VerdictError results.
// An empty address, an address that is not a URL and an unknown mesh are
// errors.
func NewChecker(opts CheckerOptions) (*Checker, error) {
	if opts.Address == "" {
		return nil, errors.New("analysis: prometheus address is empty")
	}
	if opts.Mesh != "" && !opts.Mesh.IsKnown() {
		return nil, fmt.Errorf("analysis: unknown mesh %q: known meshes are %s", opts.Mesh, joinMeshes())
	}
	client, err := api.NewClient(api.Config{Address: opts.Address, RoundTripper: opts.RoundTripper})
	if err != nil {
		return nil, fmt.Errorf("analysis: prometheus address %q: %w", opts.Address, err)
	}
	timeout := opts.QueryTimeout
	if timeout == 0 {
		timeout = DefaultQueryTimeout
	}
	return &Checker{prometheus: promv1.NewAPI(client), mesh: opts.Mesh, timeout: timeout, address: opts.Address, sources: &sourceClients{}}, nil
}

// Result is the outcome of checking one metric.
type Result struct {
	// Metric is the name of the metric checked.
	Metric string
	// Verdict is pass, fail, no data or error.
	Verdict Verdict
	// Value is the measured value with VerdictPass and VerdictFail (percent
	// for request-success-rate, milliseconds for request-duration), the
	// median of the canary's samples for a comparison; zero otherwise, so
	// that a Result always encodes to JSON.
	Value float64
	// Query is the PromQL that was run; empty when it could not be rendered.
	Query string
	// Message says what was found, in the words of Flagger's events:
	// "success rate 23.03% < 99%", "request duration 612ms > 500ms",
	// "error-budget 0.02 > 0.01", "no values found for metric …", a
	// comparison's "p99 latency of canary 312 ms vs primary 81 ms (+285 %,
	// p=0.001)", or the error. HaltMessage puts it in a halt event.
	Message string
	// Err is the cause of VerdictError, nil with any other verdict: a
	// *QueryError, an *UnknownVariableError, an *UnknownProviderError or
	// another rendering error.
	Err error
}

// QueryError is a query that Prometheus did not answer with one value: it
// was unreachable, answered an HTTP or PromQL error, or returned something
// other than a scalar or a vector of at most one sample.
type QueryError struct {
	// Metric is the name of the metric whose query failed.
	Metric string
	// Err is the cause; a *promv1.Error when Prometheus answered with an
	// error.
	Err error
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("metric %s: prometheus query failed: %v", e.Metric, e.Err)
}

func (e *QueryError) Unwrap() error { return e.Err }
