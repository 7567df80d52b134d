package manifests

import "k8s.io/apimachinery/pkg/runtime/schema"

// Options tune Render. The zero value is the safe default: nothing outside
// the checkout is read, no program is run, and objects without a namespace
// belong to "default".
type Options struct {
	// DefaultNamespace is the namespace of namespaced objects rendered
	// without one: Render sets it in their metadata.namespace, and Canaries
	// and their targets are matched in it. It is never set on cluster-scoped
	// kinds (see ClusterScopedKinds). Empty means "default".
	DefaultNamespace string

	// AllowRemoteBases lets kustomizations refer to remote bases and files:
	// git repositories (https://, ssh://, file://, git@host:, github.com/…)
	// and http(s) URLs. When false they are refused with an *InvalidError
	// before anything is fetched. Files of remote bases are never listed in
	// Target.SourceFiles.
	AllowRemoteBases bool

	// AllowExecPlugins lets kustomize run generator, transformer and
	// validator plugins that execute programs: exec and container KRM
	// functions and legacy exec plugins. Such programs run outside the
	// sandbox. When false only kustomize's built-in plugins run, and a
	// kustomization that needs another one fails to build. Helm chart
	// inflation is disabled either way.
	AllowExecPlugins bool

	// ClusterScopedKinds are kinds that never get DefaultNamespace, in
	// addition to the cluster-scoped kinds of Kubernetes and Gateway API
	// (Namespace, ClusterRole, CustomResourceDefinition, GatewayClass, …)
	// and the kinds that a CustomResourceDefinition in the same rendering
	// declares with scope Cluster. Any other kind is taken as namespaced.
	ClusterScopedKinds []schema.GroupKind

	// MaxFileBytes bounds each file a rendering reads; zero means
	// DefaultMaxFileBytes. MaxTotalBytes bounds them all together; zero
	// means DefaultMaxTotalBytes. MaxAliasNodes bounds the nodes YAML
	// aliases add to one file once expanded; zero means
	// DefaultMaxAliasNodes. A file past a bound is refused with an
	// *InvalidError naming it and the bound, before kustomize parses it.
	MaxFileBytes, MaxTotalBytes, MaxAliasNodes int64

	// DefaultProvider is the provider of a Canary that names none, as
	// Flagger's -mesh-provider: written into the Canary applied, so the
	// cluster says what it runs. Empty means v1alpha1.DefaultProvider
	// (gatewayapi). Flagger's versioned spellings are accepted.
	DefaultProvider string

	// SecretKey, when set, keys the hash of every Secret's data that goes
	// into a revision and ConfigRef.DataHash (HMAC-SHA256), so that the
	// hashes shown in a Canary's status cannot be used to guess a secret
	// offline. The same key must be used for every rendering of one
	// installation: another key gives other revisions. Nil hashes plainly.
	SecretKey []byte
}

// namespace returns the namespace of objects rendered without one.
func (o Options) namespace() string {
	if o.DefaultNamespace == "" {
		return "default"
	}
	return o.DefaultNamespace
}
