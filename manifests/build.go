package manifests

import (
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	kusttypes "sigs.k8s.io/kustomize/api/types"
)

// originAnnotation is where kustomize writes the origin of an object.
const originAnnotation = "config.kubernetes.io/origin"

// object is a rendered object and where it came from.
type object struct {
	*unstructured.Unstructured
	origin origin
}

// origin tells where kustomize found or made an object. Paths are relative
// to the checkout root and slash-separated; all are empty for objects of
// remote bases.
type origin struct {
	// file is the file the object was read from; empty when it was
	// generated.
	file string
	// configuredIn is the kustomization file whose generator made the
	// object, and generator the kind of that generator (ConfigMapGenerator,
	// SecretGenerator, …); empty when the object was read from a file.
	configuredIn, generator string
}

// buildCheckout builds the kustomization at path in the checkout at root: part by
// part when aggregate is true and it is an aggregator that allows it (see
// buildAggregate), else in one kustomize run. It returns the sandbox of the
// build that counts. entries, when not nil, holds the builds of the
// entries of the previous rendering and receives those of this one (see
// Renderer).
func buildCheckout(root, path string, opts Options, aggregate bool, entries *entryCache) (*sandbox, []object, error) {
	box, dir, err := openSandbox(root, path, opts)
	if err != nil {
		return nil, nil, err
	}
	if entries != nil {
		entries.answers = newAnswers(box.root, entries.questions())
		entries.answers.changed = entries.changed
		box.entries = entries
	}
	if aggregate {
		objects, ok, err := box.buildAggregate(dir)
		if err != nil || ok {
			return box, objects, err
		}
		if box, dir, err = openSandbox(root, path, opts); err != nil {
			return nil, nil, err
		}
	}
	objects, err := box.build(dir)
	return box, objects, err
}

// build runs kustomize once on the kustomization at dir inside the sandbox
// and returns the objects in kustomize's FIFO order: depth first, in the
// order of the entries of each kustomization, unless the kustomization sets
// sortOptions. The origin annotation is stripped unless the user asked for
// it.
func (s *sandbox) build(dir string) ([]object, error) {
	if err := s.prepare(dir); err != nil {
		return nil, err
	}
	objects, err := s.run(dir)
	if s.refused != nil {
		return nil, s.refused
	}
	if err != nil {
		return nil, s.explain(err, dir)
	}
	return objects, nil
}

// run runs kustomize on dir, as prepared, and converts its output; errors
// are kustomize's.
func (s *sandbox) run(dir string) ([]object, error) {
	resources, err := krusty.MakeKustomizer(s.krustyOptions()).Run(s, dir)
	if err != nil {
		return nil, err
	}
	objects := make([]object, 0, resources.Size())
	for _, res := range resources.Resources() {
		obj, err := s.object(res, dir)
		if err != nil {
			return nil, err
		}
		objects = append(objects, obj)
	}
	return objects, nil
}

// krustyOptions returns kustomize's options for the sandbox: FIFO order
// (the order of the sources; it lets an aggregator be built part by part,
// see buildAggregate), no load restriction of kustomize's own (the sandbox
// confines reads to the checkout, so overlays may read files of sibling
// directories), built-in plugins only unless exec plugins are allowed, no
// helm.
func (s *sandbox) krustyOptions() *krusty.Options {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionNone
	opts.LoadRestrictions = kusttypes.LoadRestrictionsNone
	if s.opts.AllowExecPlugins {
		opts.PluginConfig = &kusttypes.PluginConfig{
			PluginRestrictions: kusttypes.PluginRestrictionsNone,
			BpLoadingOptions:   kusttypes.BploUseStaticallyLinked,
			FnpLoadingOptions:  kusttypes.FnPluginLoadingOptions{EnableExec: true},
		}
	}
	return opts
}

// object converts a kustomize resource built at dir.
func (s *sandbox) object(res *resource.Resource, dir string) (object, error) {
	var obj object
	from, ok := plainOrigin(res.GetAnnotations()[originAnnotation])
	if !ok {
		var err error
		if from, err = res.GetOrigin(); err != nil {
			return obj, err
		}
	}
	var err error
	if obj.Unstructured, err = decodeResource(res); err != nil {
		return obj, err
	}
	if s.originAdded {
		annotations := obj.GetAnnotations()
		delete(annotations, originAnnotation)
		if len(annotations) == 0 {
			annotations = nil
		}
		obj.SetAnnotations(annotations)
	}
	if from != nil && from.Repo == "" {
		if from.Path != "" {
			obj.origin.file = s.canonical(filepath.Join(dir, filepath.FromSlash(from.Path)))
		}
		if from.ConfiguredIn != "" {
			obj.origin.configuredIn = s.canonical(filepath.Join(dir, filepath.FromSlash(from.ConfiguredIn)))
			obj.origin.generator = from.ConfiguredBy.Kind
		}
	}
	return obj, nil
}
