package manifests

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Rendering is what a checkout renders to.
type Rendering struct {
	// Objects are the rendered objects other than Canaries, the
	// Deployments that Canaries target included, in the order of the
	// sources (kustomize's FIFO order: depth first, in the order of the
	// entries of each kustomization) unless the kustomization sets
	// sortOptions. The order says nothing about the order of applying.
	Objects []*unstructured.Unstructured
	// Canaries are the Canary policies, decoded, defaulted and validated,
	// sorted by namespace then name.
	Canaries []*v1alpha1.Canary
	// CanaryObjects are the same Canaries as rendered (not defaulted), for
	// server-side apply: CanaryObjects[i] is Canaries[i].
	CanaryObjects []*unstructured.Unstructured
	// Targets are the targets of the Canaries: Targets[i] is the target
	// of Canaries[i].
	Targets []Target
	// Notices say what was read otherwise than written, for the user to
	// hear once: a Canary of Flagger's group read as sluice's.
	Notices []Notice
}

// Notice is something a rendering read otherwise than written, about one
// Canary, or (Canary zero) about another object, such as a MetricTemplate.
type Notice struct {
	Canary  types.NamespacedName
	Message string
}

// Render renders the kustomization at path, a directory relative to the
// checkout at root, and splits the result into plain objects, Canaries and
// their targets. It reads the file system only.
//
// Sandbox. Everything kustomize reads must lie inside root: a path or a
// symbolic link that leads outside is refused, whether it is path itself,
// an entry of a kustomization or a link met on the way. kustomize's own
// load restriction is off, so an overlay may read patch files from sibling
// directories of the checkout. Remote bases and files, and plugins that run
// programs, are refused unless opts allow them (see Options); the check is
// made on each kustomization file as kustomize loads it, before anything is
// fetched.
//
// A directory without a kustomization file (kustomization.yaml,
// kustomization.yml or Kustomization) renders every *.yaml and *.yml file
// below it, recursively, in lexical order of their paths; a subdirectory
// that has a kustomization file is built as such and not descended into;
// names starting with "." are skipped; symbolic links to files are followed
// (inside the checkout), those to directories are not.
//
// Namespaces. A namespaced object rendered without a namespace gets
// opts.DefaultNamespace ("default" when empty) in its metadata; a
// cluster-scoped one (see Options.ClusterScopedKinds) never does. Canaries
// and targets are matched after this.
//
// Targets. A Canary's target is the apps/v1 Deployment named by its
// spec.targetRef in the Canary's namespace, in the same rendering. Its
// Revision and Configs are described on Target and ConfigRef.
//
// Source files. Target.SourceFiles are the checkout files that fed the
// target, among those kustomize actually read: the files defining the
// Deployment, the Canary and the ConfigMaps and Secrets of Configs found in
// the rendering, the files and env files of the generators that made those,
// and the kustomizations on the way to each of these objects (from the one
// that lists it up to the one built, with their components) together with
// their patch and replacement files that apply to the object and their
// plugin, CRD, configuration and OpenAPI files. Kustomization files on the
// way are shared with every other object below them; patch files, resource
// files and generator sources of other objects are not included. For a
// directory without a kustomization file, the generated kustomization is
// not a file and is not listed. Files of remote bases are never listed.
//
// Large trees. Kustomize's work on one tree grows with the square of its
// objects. A kustomization that only lists local resources — the root of
// many apps typically — is therefore built one entry at a time and the
// results concatenated, when kustomize's root-level steps (ID conflicts,
// name references across entries, vars, custom configurations) cannot act
// across entries; otherwise it is built in one run. The result is the same.
// The entries are built GOMAXPROCS at a time, each in a sandbox of its
// own; the order of the result and the errors are those of building them
// one after the other. A Renderer builds again only the entries whose
// files changed since its previous rendering.
//
// Concurrency. Render may be called from several goroutines. A
// kustomization with an openapi field changes kustomize's process-wide
// schema, which renderings running at the same time then share.
//
// Errors. Bad input — a kustomization that does not build, YAML that does
// not parse, a path outside the checkout, a remote base, a Canary that does
// not decode or validate, whose target is missing, not a Deployment, or
// already the target of another Canary — gives an *InvalidError naming the
// object or file and the field; nothing of the rendering is returned. A
// root that cannot be read gives another error.
func Render(root, path string, opts Options) (*Rendering, error) {
	return renderWith(root, path, opts, true)
}

// renderWith is Render; aggregate false builds in one kustomize run even
// when the kustomization is an aggregator (see buildAggregate).
func renderWith(root, path string, opts Options, aggregate bool) (*Rendering, error) {
	box, objects, err := buildCheckout(root, path, opts, aggregate, nil)
	if err != nil {
		return nil, err
	}
	return finish(box, objects, opts, nil)
}

// finish turns the objects built in box into a Rendering: it gives them
// their namespaces, splits the Canaries off and finds their targets. It
// modifies the objects without a namespace, the MetricTemplates and
// AlertProviders, and the Canaries unless memo is given (see ownObjects
// and decodings).
func finish(box *sandbox, objects []object, opts Options, memo *decodings) (*Rendering, error) {
	defaultNamespaces(objects, opts.namespace(), opts.ClusterScopedKinds)
	// The sources are indexed from the sandbox alone, meanwhile.
	indexed := make(chan *sources, 1)
	go func() { indexed <- newSources(box) }()
	plain, canaries, notices, err := split(objects, opts.DefaultProvider, memo)
	src := <-indexed
	if err != nil {
		return nil, err
	}
	found, err := targets(plain, canaries, src, opts.SecretKey, memo)
	if err != nil {
		return nil, err
	}
	rendering := &Rendering{Objects: make([]*unstructured.Unstructured, len(plain)), Targets: found, Notices: notices}
	for i, obj := range plain {
		rendering.Objects[i] = obj.Unstructured
	}
	for _, c := range canaries {
		rendering.Canaries = append(rendering.Canaries, c.policy)
		rendering.CanaryObjects = append(rendering.CanaryObjects, c.Unstructured)
	}
	return rendering, nil
}
