package analysis

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Mesh names the family of metrics the built-in checks read: the metric
// names and labels that whatever carries the canary's traffic exports.
type Mesh string

// The meshes sluice has query templates for; see builtinQueries.
const (
	// MeshGeneric reads http_requests_total and
	// http_request_duration_seconds_bucket labelled with namespace and
	// workload, as the sluice playground gateway exports them and as a Gateway
	// API implementation can be relabelled to; see the package documentation.
	MeshGeneric Mesh = "generic"
	// MeshIstio reads the Istio standard metrics istio_requests_total and
	// istio_request_duration_milliseconds_bucket reported by the destination
	// workload's proxy.
	MeshIstio Mesh = "istio"
	// MeshLinkerd reads the Linkerd proxy metrics response_total and
	// response_latency_ms_bucket of the canary Deployment's inbound traffic.
	MeshLinkerd Mesh = "linkerd"
	// MeshEnvoy reads the Envoy sidecar metrics envoy_cluster_upstream_rq and
	// envoy_cluster_upstream_rq_time_bucket of the canary's pods, as AWS App
	// Mesh's Envoy exports them: pods selected by kubernetes_pod_name, inbound
	// traffic by its App Mesh ingress cluster (envoy_cluster_name
	// cds_ingress_…).
	MeshEnvoy Mesh = "envoy"
)

// meshes lists the meshes in the order error messages name them.
var meshes = []Mesh{MeshGeneric, MeshIstio, MeshLinkerd, MeshEnvoy}

// providerMeshes maps each provider to the metrics its traffic produces.
var providerMeshes = map[string]Mesh{
	v1alpha1.ProviderGatewayAPI: MeshGeneric,
	v1alpha1.ProviderKubernetes: MeshGeneric,
	v1alpha1.ProviderIstio:      MeshIstio,
	v1alpha1.ProviderAppMesh:    MeshEnvoy,
	v1alpha1.ProviderLinkerd:    MeshLinkerd,
}

// Meshes returns the known meshes. The slice is the caller's to keep or
// change.
func Meshes() []Mesh { return slices.Clone(meshes) }

// IsKnown reports whether m is one of Meshes.
func (m Mesh) IsKnown() bool { return slices.Contains(meshes, m) }

// UnknownProviderError is returned for a Canary whose provider has no mesh.
type UnknownProviderError struct {
	Provider string
}

func (e *UnknownProviderError) Error() string {
	return fmt.Sprintf("unknown provider %q: known providers are %s",
		e.Provider, strings.Join(v1alpha1.Providers(), ", "))
}

// MeshForProvider returns the mesh whose metrics a provider's traffic
// produces: gatewayapi and kubernetes → generic, istio → istio, appmesh →
// envoy, linkerd → linkerd. The empty provider is gatewayapi, as the API
// documents. An unknown provider is an *UnknownProviderError, never a
// silent default. CheckerOptions.Mesh overrides it, e.g. to read Linkerd's
// metrics of a gatewayapi Canary whose pods are meshed.
func MeshForProvider(provider string) (Mesh, error) {
	if provider == "" {
		provider = v1alpha1.DefaultProvider
	}
	mesh, ok := providerMeshes[provider]
	if !ok {
		return "", &UnknownProviderError{Provider: provider}
	}
	return mesh, nil
}
