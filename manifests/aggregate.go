package manifests

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	kusttypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// buildAggregate builds an aggregator — a kustomization at dir that does
// nothing but list local resources — one entry at a time, and concatenates
// the results in the order of the entries. Kustomize's work on one tree
// grows with the square of its objects (every object added is checked
// against all others, every name reference against every candidate), so
// this is much faster for a root that lists many apps: for 1,000 small apps,
// seconds instead of a minute or more.
//
// The result must be the one a single run gives: the steps kustomize takes
// at the root of one run (checking that no two objects share an ID, fixing
// name references to renamed objects, resolving vars, applying custom
// transformer configurations) must have nothing to do across entries. So
// buildAggregate reports ok = false, and the caller builds dir in one run in
// a fresh sandbox, unless all of these hold:
//
//   - the kustomization at dir has only resources (and apiVersion, kind,
//     metadata), all local, none a directory containing dir, each
//     directory a kustomization of kind Kustomization; no buildMetadata,
//     for origin annotations kept in the objects would name files from
//     each entry instead of from dir;
//   - no kustomization met in the entries renames objects or changes how
//     kustomize sees them: no namePrefix, nameSuffix, generators,
//     transformers, validators, replacements, vars, configurations, crds,
//     openapi, helm charts, sortOptions, patches allowed to change names or
//     kinds, or buildMetadata other than originAnnotations (configMap and
//     secret generators are allowed: the hash suffix they add is handled
//     below);
//   - no two entries define objects with the same group, kind, namespace and
//     name (before the hash suffix of generated ConfigMaps and Secrets);
//   - no object of a kind that kustomize's name references start from
//     (workloads, Ingress, RBAC bindings, …; see referrerKinds) holds,
//     outside its own name and namespace, a string equal to the name (with
//     or without hash suffix) of an object of a kind they lead to
//     (ConfigMap, Secret, Service, ServiceAccount, …) in another entry that
//     kustomize would match from there: in the same namespace, or across
//     namespaces for ServiceAccounts and cluster-scoped kinds. Such a string
//     may be a name reference kustomize would resolve across entries.
//
// An entry that fails to build also gives ok = false: a single run decides,
// with its own message. Refusals of the sandbox are returned as errors.
func (s *sandbox) buildAggregate(dir string) (objects []object, ok bool, err error) {
	root, entries, ok, err := s.aggregator(dir)
	if err != nil || !ok {
		return nil, false, err
	}
	groups := groupEntries(entries)
	built := s.buildGroups(dir, root, groups)
	parts := make([][]object, 0, len(built))
	for _, b := range built {
		if err := s.adopt(b.box); err != nil {
			return nil, false, err
		}
		if b.err != nil {
			return nil, false, nil
		}
		parts = append(parts, b.objects)
	}
	s.kustomizations[root.dir] = root
	if !s.separable(root, entries, built) {
		return nil, false, nil
	}
	return slices.Concat(parts...), true, nil
}

// entryGroup is what one build of an aggregator's entries covers: a
// directory entry, or consecutive file entries.
type entryGroup struct {
	dir   bool
	path  string   // of the directory entry, symlink-free
	names []string // of the file entries, as written
}

// groupEntries groups the entries of an aggregator into the builds that
// make it (see buildAggregate).
func groupEntries(entries []aggregatorEntry) []entryGroup {
	var groups []entryGroup
	for i := 0; i < len(entries); i++ {
		if entries[i].dir {
			groups = append(groups, entryGroup{dir: true, path: entries[i].path})
			continue
		}
		group := entryGroup{names: []string{entries[i].name}}
		for i+1 < len(entries) && !entries[i+1].dir {
			i++
			group.names = append(group.names, entries[i].name)
		}
		groups = append(groups, group)
	}
	return groups
}

// builtEntry is the build of one entryGroup, in a sandbox of its own:
// its objects, or kustomize's error, and the sandbox for what it read.
type builtEntry struct {
	objects []object
	err     error
	box     *sandbox
	// names is what separable needs of the objects, made once.
	names *entryNames
}

// failed reports whether the build failed or was refused.
func (b *builtEntry) failed() bool { return b.err != nil || b.box.refused != nil }

// buildGroups builds the groups of an aggregator's entries at dir, each in
// a sandbox of its own, GOMAXPROCS at a time, and returns the builds in
// the order of the groups, up to the first that failed (see adopt for how
// they add up to one sandbox's build). A group whose earlier build is kept
// in s.entries, and whose inputs are unchanged, is not built again.
func (s *sandbox) buildGroups(dir string, root *kustomization, groups []entryGroup) []*builtEntry {
	built := make([]*builtEntry, len(groups))
	var next, firstFailed atomic.Int64
	firstFailed.Store(math.MaxInt64)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(groups)) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(groups)) || i > firstFailed.Load() {
					return
				}
				built[i] = s.buildGroup(dir, root, groups[i])
				if built[i].failed() {
					lowerTo(&firstFailed, i)
				}
			}
		})
	}
	wg.Wait()
	if failed := firstFailed.Load(); failed < int64(len(groups)) {
		built = built[:failed+1]
	}
	if s.entries != nil {
		s.entries.keep(s, groups, built)
	}
	return built
}

// lowerTo sets v to i when i is lower.
func lowerTo(v *atomic.Int64, i int64) {
	for {
		old := v.Load()
		if i >= old || v.CompareAndSwap(old, i) {
			return
		}
	}
}

// buildGroup builds one group of entries of the aggregator at dir, or
// reuses its earlier build.
func (s *sandbox) buildGroup(dir string, root *kustomization, group entryGroup) *builtEntry {
	if s.entries != nil {
		if b := s.entries.reusable(s, group); b != nil {
			return b
		}
	}
	box := s.child()
	b := &builtEntry{box: box}
	if group.dir {
		b.objects, b.err = box.buildEntry(group.path)
	} else {
		b.objects, b.err = box.buildFiles(dir, root.file, group.names)
	}
	return b
}

// child returns an empty sandbox on the same checkout with the same
// options, which records its inputs when s keeps builds for reuse.
func (s *sandbox) child() *sandbox {
	box := &sandbox{
		root:           s.root,
		opts:           s.opts,
		cloneParent:    s.cloneParent,
		overrides:      map[string]override{},
		realDirs:       map[string]string{},
		reads:          map[string]string{},
		kustomizations: map[string]*kustomization{},
	}
	if s.entries != nil {
		box.inputs = newInputs()
	}
	return box
}

// adopt adds what the build of an entry read, in box, to what s read, as
// if s had built the entry itself: the files counted against
// MaxTotalBytes in order (the first that brings the total of s over the
// bound is refused, naming the total of s), the refusal of box, the files
// read and the kustomizations loaded.
func (s *sandbox) adopt(box *sandbox) error {
	limit := orDefault64(s.opts.MaxTotalBytes, DefaultMaxTotalBytes)
	for i, read := range box.sized {
		if box.refused != nil && i >= box.refusedAt {
			break
		}
		s.totalBytes += read.size
		s.sized = append(s.sized, read)
		if s.totalBytes > limit {
			return s.refuse(tooManyBytes(read.file, s.totalBytes, limit))
		}
	}
	if box.refused != nil {
		return s.refuse(box.refused)
	}
	for _, file := range box.readOrder {
		if _, seen := s.reads[file]; !seen {
			s.readOrder = append(s.readOrder, file)
		}
		s.reads[file] = box.reads[file]
	}
	maps.Copy(s.kustomizations, box.kustomizations)
	for dir, real := range box.realDirs {
		dir, inRoot := rebase(dir, box.root, s.root)
		real, realInRoot := rebase(real, box.root, s.root)
		if _, known := s.realDirs[dir]; inRoot && realInRoot && !known {
			s.realDirs[dir] = real
		}
	}
	return nil
}

// rebase returns p, a path in the checkout at from, in the checkout at
// to; ok is false when p is not in the checkout at from. The resolved
// directories of a build reused from another checkout of the same files
// hold in this one: their resolution was checked (see Renderer).
func rebase(p, from, to string) (string, bool) {
	if from == to {
		return p, true
	}
	if !within(from, p) {
		return "", false
	}
	return to + p[len(from):], true
}

// aggregatorEntry is a resource of an aggregator.
type aggregatorEntry struct {
	name string // as written in the kustomization
	path string // symlink-free
	dir  bool   // a directory, else a file
}

// aggregator reads the kustomization at dir and returns it with its
// entries when it is an aggregator (see buildAggregate).
func (s *sandbox) aggregator(dir string) (*kustomization, []aggregatorEntry, bool, error) {
	files, err := s.kustomizationFiles(dir)
	if err != nil || len(files) != 1 {
		return nil, nil, false, err
	}
	if _, err := s.ReadFile(files[0]); err != nil {
		return nil, nil, false, s.refusedOr(nil)
	}
	root, ok := s.kustomizations[s.rel(dir)]
	if !ok || !onlyResources(&root.spec) {
		return nil, nil, false, nil
	}
	entries := make([]aggregatorEntry, 0, len(root.spec.Resources))
	for _, name := range root.spec.Resources {
		if isRemote(name) {
			return nil, nil, false, nil
		}
		real, err := s.resolve(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, nil, false, err
		}
		info, err := os.Stat(real)
		switch {
		case err != nil:
			return nil, nil, false, nil
		case info.IsDir() && (within(real, dir) || !s.hasKustomization(real)):
			return nil, nil, false, nil
		}
		entries = append(entries, aggregatorEntry{name: name, path: real, dir: info.IsDir()})
	}
	return root, entries, true, nil
}

// refusedOr returns the sandbox's refusal, if any, else err.
func (s *sandbox) refusedOr(err error) error {
	if s.refused != nil {
		return s.refused
	}
	return err
}

// onlyResources reports whether a kustomization does nothing but list
// resources.
func onlyResources(k *kusttypes.Kustomization) bool {
	rest := *k
	rest.TypeMeta, rest.MetaData, rest.Resources = kusttypes.TypeMeta{}, nil, nil
	data, err := json.Marshal(rest)
	return err == nil && string(data) == "{}" && k.Kind == kusttypes.KustomizationKind
}

// onlyOriginAnnotations reports whether buildMetadata asks for nothing but
// origin annotations.
func onlyOriginAnnotations(buildMetadata []string) bool {
	for _, option := range buildMetadata {
		if option != kusttypes.OriginAnnotations {
			return false
		}
	}
	return true
}

// buildEntry builds a directory entry of an aggregator as a kustomization
// of its own. Origin annotations are stripped, as the aggregator would
// have them (see prepare).
func (s *sandbox) buildEntry(dir string) ([]object, error) {
	if err := s.prepare(dir); err != nil {
		return nil, err
	}
	s.originAdded = true
	return s.run(dir)
}

// buildFiles builds consecutive file entries of the aggregator at dir,
// whose kustomization file is file, with a kustomization that lists only
// them in place of the aggregator's.
func (s *sandbox) buildFiles(dir, file string, names []string) ([]object, error) {
	data, err := yaml.Marshal(kusttypes.Kustomization{
		TypeMeta:      kusttypes.TypeMeta{APIVersion: kusttypes.KustomizationVersion, Kind: kusttypes.KustomizationKind},
		Resources:     names,
		BuildMetadata: []string{kusttypes.OriginAnnotations},
	})
	if err != nil {
		return nil, err
	}
	real, err := s.resolve(file)
	if err != nil {
		return nil, err
	}
	s.overrides[real] = override{data: data, generated: true}
	defer delete(s.overrides, real)
	s.originAdded = true
	return s.run(dir)
}

// separable reports whether the builds of the entries of an aggregator
// concatenate to what one run gives (see buildAggregate).
func (s *sandbox) separable(root *kustomization, entries []aggregatorEntry, built []*builtEntry) bool {
	for _, k := range s.kustomizations {
		if k.dir != root.dir && !isolated(&k.spec) {
			return false
		}
	}
	for _, entry := range entries {
		if k, ok := s.kustomizations[s.rel(entry.path)]; entry.dir && (!ok || k.spec.Kind != kusttypes.KustomizationKind) {
			return false
		}
	}
	defined := map[objectID]int{}
	referrals := map[string][]referral{}
	for i, b := range built {
		for _, def := range b.namesOf().defined {
			if j, seen := defined[def.id]; seen && j != i {
				return false
			}
			defined[def.id] = i
			if def.referral {
				for _, name := range def.names {
					referrals[name] = append(referrals[name], referral{part: i, namespace: def.id.namespace, anyNamespace: def.anyNamespace})
				}
			}
		}
	}
	for i, b := range built {
		for _, referrer := range b.namesOf().referrers {
			from := referral{part: i, namespace: referrer.namespace, anyNamespace: referrer.anyNamespace}
			for _, value := range referrer.values {
				for _, to := range referrals[value] {
					if from.reaches(to) {
						return false
					}
				}
			}
		}
	}
	return true
}

// objectID identifies an object to kustomize, by its name before the hash
// suffix of generated ConfigMaps and Secrets.
type objectID struct{ group, kind, namespace, name string }

// entryNames is what separable needs of the objects of one entry's build:
// the objects it defines, and the strings that objects of referrer kinds
// hold (see collectValues).
type entryNames struct {
	defined []definedName
	// referrers are the objects of referrerKinds.
	referrers []referrerValues
}

type definedName struct {
	id           objectID
	names        []string // see namesOf
	referral     bool     // of referralKinds
	anyNamespace bool
}

type referrerValues struct {
	namespace    string
	anyNamespace bool
	values       []string // distinct, in no order
}

// namesOf returns the entryNames of the build, made on first use; the
// objects of a build are never modified.
func (b *builtEntry) namesOf() *entryNames {
	if b.names != nil {
		return b.names
	}
	names := &entryNames{}
	for _, obj := range b.objects {
		all := namesOf(obj)
		gvk := obj.GroupVersionKind()
		scope, isReferral := referralKinds[gvk.Kind]
		names.defined = append(names.defined, definedName{
			id:    objectID{gvk.Group, gvk.Kind, obj.GetNamespace(), all[len(all)-1]},
			names: all, referral: isReferral, anyNamespace: scope,
		})
		if scope, ok := referrerKinds[obj.GetKind()]; ok {
			values := map[string]bool{}
			collectValues(obj.Object, true, values)
			names.referrers = append(names.referrers, referrerValues{obj.GetNamespace(), scope, slices.Collect(maps.Keys(values))})
		}
	}
	b.names = names
	return names
}

// isolated reports whether a kustomization leaves object names and
// kustomize's view of objects alone (see buildAggregate).
func isolated(k *kusttypes.Kustomization) bool {
	for _, patch := range slices.Concat(k.Patches, k.PatchesJson6902) {
		if patch.Options != nil && (patch.Options.AllowNameChange || patch.Options.AllowKindChange) {
			return false
		}
	}
	return k.NamePrefix == "" && k.NameSuffix == "" &&
		len(k.Generators) == 0 && len(k.Transformers) == 0 && len(k.Validators) == 0 &&
		len(k.Replacements) == 0 && len(k.Vars) == 0 && len(k.Configurations) == 0 &&
		len(k.Crds) == 0 && len(k.OpenAPI) == 0 && len(k.HelmCharts) == 0 && k.HelmGlobals == nil &&
		k.SortOptions == nil && onlyOriginAnnotations(k.BuildMetadata)
}

// namesOf returns the names an object is known by to kustomize's name
// references: its name and, for a generated ConfigMap or Secret, its name
// before the hash suffix, which comes last.
func namesOf(obj object) []string {
	names := []string{obj.GetName()}
	if obj.origin.generator == "ConfigMapGenerator" || obj.origin.generator == "SecretGenerator" {
		if m := hashSuffix.FindStringSubmatch(obj.GetName()); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

// referrerKinds are the kinds that kustomize's default name references
// start from, and referralKinds the kinds they lead to
// (sigs.k8s.io/kustomize/api internal/konfig/builtinpluginconsts
// namereference.go, v0.21.2). The value is true for the kinds whose
// references kustomize resolves in any namespace: cluster-scoped kinds and,
// as a referral, ServiceAccount.
var (
	referrerKinds = map[string]bool{
		"APIService": true, "ClusterRole": true, "ClusterRoleBinding": true, "CronJob": false,
		"DaemonSet": false, "Deployment": false, "HorizontalPodAutoscaler": false, "Ingress": false,
		"Job": false, "MutatingWebhookConfiguration": true, "Node": true, "PersistentVolume": true,
		"PersistentVolumeClaim": false, "Pod": false, "PodTemplate": false, "ReplicaSet": false,
		"ReplicationController": false, "Role": false, "RoleBinding": false, "Service": false,
		"ServiceAccount": false, "StatefulSet": false, "StorageClass": true,
		"ValidatingAdmissionPolicyBinding": true, "ValidatingWebhookConfiguration": true,
	}
	referralKinds = map[string]bool{
		"ConfigMap": false, "Deployment": false, "PersistentVolumeClaim": false, "ReplicaSet": false,
		"ReplicationController": false, "Role": false, "Secret": false, "Service": false, "StatefulSet": false,
		"ServiceAccount": true, "ClusterRole": true, "IngressClass": true, "PersistentVolume": true,
		"PriorityClass": true, "StorageClass": true, "ValidatingAdmissionPolicy": true,
	}
)

// referral is where an object that a name reference may lead to, or start
// from, lives.
type referral struct {
	part      int // the entry of the aggregator
	namespace string
	// anyNamespace: kustomize matches it across namespaces.
	anyNamespace bool
}

// reaches reports whether kustomize could resolve a reference from "from"
// to "to" in one run: they are in different entries and in the same
// namespace, or one of them is matched across namespaces. An empty
// namespace matches any.
func (from referral) reaches(to referral) bool {
	return from.part != to.part && (from.anyNamespace || to.anyNamespace ||
		from.namespace == "" || to.namespace == "" || from.namespace == to.namespace)
}

// collectValues adds to values the strings an object holds, skipping its
// own metadata.name and metadata.namespace (top is true for the object
// itself): those that may be name references to objects of other entries.
func collectValues(value any, top bool, values map[string]bool) {
	switch v := value.(type) {
	case string:
		values[v] = true
	case []any:
		for _, item := range v {
			collectValues(item, false, values)
		}
	case map[string]any:
		for key, item := range v {
			if top && key == "metadata" {
				if meta, ok := item.(map[string]any); ok {
					for metaKey, metaItem := range meta {
						if metaKey != "name" && metaKey != "namespace" {
							collectValues(metaItem, false, values)
						}
					}
					continue
				}
			}
			collectValues(item, false, values)
		}
	}
}
