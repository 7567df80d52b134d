package applier

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/fluxcd/pkg/ssa"
	"github.com/fluxcd/pkg/ssa/utils"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// observation is what Apply knows of one object before any request.
type observation struct {
	key         objectKey
	desiredHash string // empty when it could not be hashed
	// resourceVersion is the watch's, read before the dry run; empty when
	// the watch cannot vouch for the object.
	resourceVersion string
	// proven is set when a proof covers the object as it is: no request.
	proven bool
}

// applyWatched is Apply with the watch. An object a proof covers is
// unchanged without a request; the others go through applyAll, and those it
// finds unchanged are proven at the resourceVersion the watch showed before
// their dry run. That version is at or before the one the dry run compared
// with: if the object moved in between, the next Apply sees a different
// version and dry-runs again. A written object is not proven (its new
// version is not known yet): the next Apply dry-runs it once more.
func (a *Applier) applyWatched(ctx context.Context, objects []*unstructured.Unstructured) (Changes, error) {
	now := time.Now()
	observations := a.observe(ctx, objects, now)
	var pending []*unstructured.Unstructured
	for i, obj := range objects {
		if !observations[i].proven {
			pending = append(pending, obj)
		}
	}
	var changeSet *ssa.ChangeSet
	var err error
	if len(pending) > 0 {
		changeSet, err = a.applyAll(ctx, pending)
	}
	actions := actionsByKey(changeSet)
	if err != nil {
		for _, o := range observations {
			a.proven.forget(o.key)
		}
	} else {
		a.remember(observations, actions, now)
	}
	return inHandledOrder(objects, observations, actions), err
}

// observe hashes each object and reads its live resourceVersion from the
// watch, starting the watches of kinds not watched yet.
func (a *Applier) observe(ctx context.Context, objects []*unstructured.Unstructured, now time.Time) []observation {
	mappings := map[schema.GroupVersionKind]*meta.RESTMapping{}
	for _, obj := range objects {
		gvk := obj.GroupVersionKind()
		if _, seen := mappings[gvk]; seen {
			continue
		}
		// A kind the mapper does not know yet (its CRD is in this apply)
		// is dry-run, and watched from a later Apply.
		mapping, err := a.client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			mapping = nil
		}
		mappings[gvk] = mapping
	}
	var watched []*meta.RESTMapping
	for _, mapping := range mappings {
		if mapping != nil {
			watched = append(watched, mapping)
		}
	}
	a.live.watch(ctx, watched, now)

	observations := make([]observation, len(objects))
	for i, obj := range objects {
		o := observation{key: keyOfObject(obj)}
		mapping := mappings[obj.GroupVersionKind()]
		hash, err := desiredHash(obj)
		if mapping != nil && err == nil {
			o.desiredHash = hash
			o.resourceVersion, _ = a.live.resourceVersion(mapping.Resource, obj.GetNamespace(), obj.GetName(), now)
			o.proven = o.resourceVersion != "" && a.proven.proves(o.key, hash, o.resourceVersion, now, a.opts.RecheckAfter)
		}
		observations[i] = o
	}
	return observations
}

// remember proves the objects the dry run found unchanged at the version
// observed before it, and forgets those that were written.
func (a *Applier) remember(observations []observation, actions map[objectKey]ssa.ChangeSetEntry, now time.Time) {
	for _, o := range observations {
		entry, handled := actions[o.key]
		switch {
		case o.proven:
		case handled && entry.Action == ssa.UnchangedAction && o.resourceVersion != "" && o.desiredHash != "":
			a.proven.remember(o.key, proof{desiredHash: o.desiredHash, resourceVersion: o.resourceVersion, at: now})
		default:
			a.proven.forget(o.key)
		}
	}
}

func actionsByKey(changeSet *ssa.ChangeSet) map[objectKey]ssa.ChangeSetEntry {
	actions := map[objectKey]ssa.ChangeSetEntry{}
	if changeSet == nil {
		return actions
	}
	for _, entry := range changeSet.Entries {
		actions[keyOf(entry.ObjMetadata.GroupKind, entry.ObjMetadata.Namespace, entry.ObjMetadata.Name)] = entry
	}
	return actions
}

// inHandledOrder lists the outcomes in the order ApplyAllStaged handles
// objects (cluster definitions, then classes, then the rest; each sorted
// by kind), as Apply does without the watch. An object neither proven nor
// handled (its stage failed) is left out.
func inHandledOrder(objects []*unstructured.Unstructured, observations []observation, actions map[objectKey]ssa.ChangeSetEntry) Changes {
	proven := map[objectKey]bool{}
	for _, o := range observations {
		proven[o.key] = o.proven
	}
	stage := func(obj *unstructured.Unstructured) int {
		switch {
		case utils.IsClusterDefinition(obj):
			return 0
		case utils.IsClassDefinition(obj):
			return 1
		}
		return 2
	}
	var changes Changes
	for s := range 3 {
		var staged []*unstructured.Unstructured
		for _, obj := range objects {
			if stage(obj) == s {
				staged = append(staged, obj)
			}
		}
		sorted := slices.Clone(staged)
		sort.Sort(ssa.SortableUnstructureds(sorted))
		for _, obj := range sorted {
			key := keyOfObject(obj)
			if proven[key] {
				changes = append(changes, Change{Subject: subjectOf(obj), Action: Unchanged})
			} else if entry, ok := actions[key]; ok {
				changes = append(changes, Change{Subject: entry.Subject, Action: Action(entry.Action)})
			}
		}
	}
	return changes
}
