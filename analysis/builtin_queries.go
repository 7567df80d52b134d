package analysis

import "github.com/sluicehq/sluice/api/v1alpha1"

// builtinQueries holds, per mesh, the query templates of the built-in
// metrics, written with the same variables as custom queries.
//
// Every success rate is 100 × (non-5xx rate) / (all requests rate). The
// numerator falls back to 0 with "or vector(0)" because a canary that has
// answered nothing but 5xx has no non-5xx series at all: without the
// fallback it would read as "no data" instead of the 0 % it is. When there is
// no traffic the denominator is empty or 0, the result is empty or NaN, and
// the check reports VerdictNoData.
//
// Every duration is the 99th percentile of a classic histogram summed by
// bucket, in milliseconds (the generic histogram is in seconds, hence × 1000).
// With no traffic histogram_quantile returns NaN: VerdictNoData again.
var builtinQueries = map[Mesh]map[string]string{
	MeshGeneric: {
		v1alpha1.MetricRequestSuccessRate: `100 * (sum(rate(http_requests_total{namespace="{{ namespace }}",workload="{{ target }}",code!~"5.."}[{{ interval }}])) or vector(0))` +
			` / sum(rate(http_requests_total{namespace="{{ namespace }}",workload="{{ target }}"}[{{ interval }}]))`,
		v1alpha1.MetricRequestDuration: `1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{ namespace }}",workload="{{ target }}"}[{{ interval }}])))`,
	},
	MeshIstio: {
		v1alpha1.MetricRequestSuccessRate: `100 * (sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}",response_code!~"5.."}[{{ interval }}])) or vector(0))` +
			` / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"}[{{ interval }}]))`,
		v1alpha1.MetricRequestDuration: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"}[{{ interval }}])))`,
	},
	// Linkerd classifies every response; "failure" is a 5xx (or a gRPC
	// error), which is the success rate's definition of a failure.
	MeshLinkerd: {
		v1alpha1.MetricRequestSuccessRate: `100 * (sum(rate(response_total{namespace="{{ namespace }}",deployment="{{ target }}",direction="inbound",classification!="failure"}[{{ interval }}])) or vector(0))` +
			` / sum(rate(response_total{namespace="{{ namespace }}",deployment="{{ target }}",direction="inbound"}[{{ interval }}]))`,
		v1alpha1.MetricRequestDuration: `histogram_quantile(0.99, sum by (le) (rate(response_latency_ms_bucket{namespace="{{ namespace }}",deployment="{{ target }}",direction="inbound"}[{{ interval }}])))`,
	},
	// The canary's pods are named <target>-<replicaset hash>-<pod suffix>,
	// which the primary's (<target>-primary-…-…) never match. Their Envoy
	// also counts the app's outbound calls (cds_egress_… clusters): only the
	// ingress cluster measures the requests the canary serves.
	MeshEnvoy: {
		v1alpha1.MetricRequestSuccessRate: `100 * (sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+-[0-9a-zA-Z]+",envoy_cluster_name=~"cds_ingress_.+",envoy_response_code!~"5.."}[{{ interval }}])) or vector(0))` +
			` / sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+-[0-9a-zA-Z]+",envoy_cluster_name=~"cds_ingress_.+"}[{{ interval }}]))`,
		v1alpha1.MetricRequestDuration: `histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+-[0-9a-zA-Z]+",envoy_cluster_name=~"cds_ingress_.+"}[{{ interval }}])))`,
	},
}
