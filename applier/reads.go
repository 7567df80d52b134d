package applier

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// CachedReads is a client.Client whose reads of Canaries, Deployments,
// DaemonSets and Services come from watch-fed caches once Start has filled them: a
// rollout step or a sync reads the objects it decides from without asking
// the API server. Everything else (writes, lists, other kinds, dry runs)
// goes to the client it wraps.
//
// A cache lags the API server by the time a watch event takes. So that
// sluice never decides from a state older than its own last write, every
// write through CachedReads of a cached kind sets a floor for its object:
// the resource version the write returned. A read of that object goes to
// the API server until the cache has shown that version (its watch
// passed it, or a read found the cache at it); a watch delivers an
// object's versions in order, so from then on the cache is at least as
// new as the write. Writes that return no version (a delete, a write of a
// subresource such as scale) set a floor that only a read from the API
// server lifts.
//
// It is safe for concurrent use.
type CachedReads struct {
	client.Client
	config    *rest.Config
	namespace string

	mu     sync.Mutex
	cache  cache.Cache // nil until Start has filled it
	floors map[readKey]floor
	// shown are the last versions of each object the watches delivered,
	// newest last: a write whose version the watch delivered before the
	// write's floor was set is seen all the same.
	shown map[readKey][]string
	stop  context.CancelFunc

	// hits and misses count reads of cached kinds served by the cache and
	// by the API server (tests and benchmarks read them through Reads).
	hits, misses atomic.Int64

	// canaryChanged is told of every Canary the watch sees change; set
	// by NotifyCanaryChanges before Start.
	canaryChanged func(old, changed *v1alpha1.Canary)
}

// NotifyCanaryChanges has fn told, on the watch's goroutine, of every
// Canary the watch sees added (old nil) or changed once Start started it.
// The Canaries are the cache's own: fn must neither modify nor keep them,
// and must return quickly (a thousand Canaries rolling out change several
// times a second). Call it before Start; without it nothing is told.
func (c *CachedReads) NotifyCanaryChanges(fn func(old, changed *v1alpha1.Canary)) {
	c.canaryChanged = fn
}

// tellCanary passes a watch's Canary event to canaryChanged.
func (c *CachedReads) tellCanary(old, changed any) {
	if c.canaryChanged == nil {
		return
	}
	now, ok := changed.(*v1alpha1.Canary)
	if !ok {
		return
	}
	before, _ := old.(*v1alpha1.Canary)
	c.canaryChanged(before, now)
}

// cachedKinds are the kinds CachedReads serves from its caches (each
// read typed or as metadata only): what every sync and rollout step reads
// about each Canary, its workloads and the Services its routing switches.
// They are fixed, so a read finds its kind by a map lookup, not in the
// scheme.
var cachedKinds = map[schema.GroupVersionKind]func() client.Object{
	v1alpha1.GroupVersion.WithKind("Canary"):         func() client.Object { return &v1alpha1.Canary{} },
	appsv1.SchemeGroupVersion.WithKind("Deployment"): func() client.Object { return &appsv1.Deployment{} },
	appsv1.SchemeGroupVersion.WithKind("DaemonSet"):  func() client.Object { return &appsv1.DaemonSet{} },
	corev1.SchemeGroupVersion.WithKind("Service"):    func() client.Object { return &corev1.Service{} },
}

// canaryKind is the kind NotifyCanaryChanges tells of.
var canaryKind = v1alpha1.GroupVersion.WithKind("Canary").GroupKind()

// readKey names one object of a cached kind.
type readKey struct {
	kind            schema.GroupKind
	namespace, name string
}

// floor is the oldest state of an object that a read may return: the
// resource version of sluice's last write of it ("" when the write said
// none), whether the cache has shown it, and, until it has, the object at
// that version when the write (or a read from the API server) returned it
// whole: a read in between returns it rather than ask the API server.
type floor struct {
	version string
	seen    bool
	known   client.Object
	// at is when known was recorded: it answers reads for knownFor at
	// most, after which a read asks the API server (a watch that had to
	// list again may never show that very version).
	at time.Time
}

// knownFor is how long the object a write returned answers reads while
// the watch has not shown it.
const knownFor = time.Second

// shownVersions is how many versions of an object shown keeps.
const shownVersions = 4

// NewCachedReads wraps live, whose scheme and REST mapper it uses. Its
// caches watch namespace only when one is given (sluice run --namespace).
// Until Start, every read goes to live.
func NewCachedReads(config *rest.Config, live client.Client, namespace string) *CachedReads {
	return &CachedReads{Client: live, config: config, namespace: namespace, floors: map[readKey]floor{},
		shown: map[readKey][]string{}}
}

// Start starts the watches of the cached kinds and waits, at most
// timeout, until each has listed its objects; from then on reads of those
// kinds come from the caches until ctx ends. On an error (a kind that
// cannot be listed or watched, a timeout) every read keeps going to the
// API server and the error says which.
func (c *CachedReads) Start(ctx context.Context, timeout time.Duration) error {
	opts := cache.Options{
		Scheme: c.Scheme(), Mapper: c.RESTMapper(),
		// sluice reads no managed fields from these objects; dropping them
		// halves the memory of a cached Deployment.
		DefaultTransform: cache.TransformStripManagedFields(),
	}
	if c.namespace != "" {
		opts.DefaultNamespaces = map[string]cache.Config{c.namespace: {}}
	}
	informers, err := cache.New(c.config, opts)
	if err != nil {
		return fmt.Errorf("cached reads: %w", err)
	}
	ctx, stop := context.WithCancel(ctx)
	for gvk, newObject := range cachedKinds {
		obj := newObject()
		inf, err := informers.GetInformer(ctx, obj)
		if err != nil {
			stop()
			return fmt.Errorf("cached reads: watch %T: %w", obj, err)
		}
		gk := gvk.GroupKind()
		tell := func(old, changed any) {}
		if gk == canaryKind {
			tell = c.tellCanary
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { c.saw(gk, obj); tell(nil, obj) },
			UpdateFunc: func(old, obj any) { c.saw(gk, obj); tell(old, obj) },
			DeleteFunc: func(obj any) { c.forget(gk, obj) },
		}); err != nil {
			stop()
			return fmt.Errorf("cached reads: watch %T: %w", obj, err)
		}
	}
	go func() { _ = informers.Start(ctx) }()
	syncCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if !informers.WaitForCacheSync(syncCtx) {
		stop()
		return fmt.Errorf("cached reads: Canaries, Deployments, DaemonSets and Services not listed within %s; reading them from the API server", timeout)
	}
	c.mu.Lock()
	c.cache, c.stop = informers, stop
	c.mu.Unlock()
	return nil
}

// Stop stops the watches; later reads go to the API server. It is
// idempotent.
func (c *CachedReads) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop != nil {
		c.stop()
	}
	c.cache, c.stop = nil, nil
}

// Reads returns how many reads of cached kinds the caches served and how
// many went to the API server.
func (c *CachedReads) Reads() (cached, live int64) { return c.hits.Load(), c.misses.Load() }

// saw lifts the floor of an object whose watch delivered the version
// sluice wrote.
func (c *CachedReads) saw(gk schema.GroupKind, obj any) {
	o, ok := obj.(client.Object)
	if !ok {
		return
	}
	key := readKey{kind: gk, namespace: o.GetNamespace(), name: o.GetName()}
	version := o.GetResourceVersion()
	c.mu.Lock()
	defer c.mu.Unlock()
	shown := append(c.shown[key], version)
	if len(shown) > shownVersions {
		shown = shown[len(shown)-shownVersions:]
	}
	c.shown[key] = shown
	if f, ok := c.floors[key]; ok && !f.seen && f.version != "" && f.version == version {
		c.floors[key] = floor{version: f.version, seen: true} // the cache takes over from known
	}
}

// forget drops the versions shown of an object the watch saw deleted.
func (c *CachedReads) forget(gk schema.GroupKind, obj any) {
	if tombstone, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	o, ok := obj.(client.Object)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.shown, readKey{kind: gk, namespace: o.GetNamespace(), name: o.GetName()})
}

// Get reads key into obj: from the cache when obj is a typed Canary,
// Deployment, DaemonSet or Service (or a metadata-only one) that the
// cache holds at or past sluice's last write of it, from the API server
// otherwise.
func (c *CachedReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	informers, gk, cached := c.cacheFor(obj, key.Namespace)
	if informers == nil {
		return c.Client.Get(ctx, key, obj, opts...)
	}
	okey := readKey{kind: gk, namespace: key.Namespace, name: key.Name}
	// The floor is read before the cache: a floor seen then was in the
	// cache before this read of it.
	c.mu.Lock()
	f, ok := c.floors[okey]
	c.mu.Unlock()
	err := informers.Get(ctx, key, cached)
	if err != nil && !apierrors.IsNotFound(err) {
		return c.readLive(ctx, okey, key, obj, opts, false)
	}
	if err == nil {
		fresh := !ok || f.seen
		if !fresh && f.version != "" && f.version == cached.GetResourceVersion() {
			fresh = true
			c.mu.Lock()
			if now, still := c.floors[okey]; still && now == f {
				c.floors[okey] = floor{version: f.version, seen: true}
			}
			c.mu.Unlock()
		}
		if fresh {
			c.hits.Add(1)
			return copyInto(obj, cached)
		}
	}
	// Not in the cache (new, or outside what it watches) or older than
	// sluice's last write: that write's answer, when it was whole, is the
	// newest state sluice knows.
	if ok && !f.seen && f.known != nil && f.known.GetResourceVersion() == f.version && time.Now().Sub(f.at) < knownFor {
		c.hits.Add(1)
		return copyInto(obj, f.known.DeepCopyObject().(client.Object))
	}
	return c.readLive(ctx, okey, key, obj, opts, err == nil)
}

// readLive reads from the API server and keeps the version read as the
// object's floor; an object gone that the cache still holds keeps a floor
// that only another live read lifts.
func (c *CachedReads) readLive(ctx context.Context, okey readKey, key client.ObjectKey, obj client.Object, opts []client.GetOption, cacheHolds bool) error {
	c.misses.Add(1)
	err := c.Client.Get(ctx, key, obj, opts...)
	switch {
	case err == nil:
		c.setFloor(okey, obj.GetResourceVersion(), c.typedCopy(obj))
	case apierrors.IsNotFound(err) && cacheHolds:
		c.setFloor(okey, "", nil)
	case apierrors.IsNotFound(err):
		c.mu.Lock()
		delete(c.floors, okey) // nothing to be newer than; a create sets one
		c.mu.Unlock()
	}
	return err
}

// setFloor records version as the newest state of an object that sluice
// knows of, and known as that state when it is whole (nil otherwise).
func (c *CachedReads) setFloor(key readKey, version string, known client.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != "" && slices.Contains(c.shown[key], version) {
		c.floors[key] = floor{version: version, seen: true} // the watch was first
		return
	}
	c.floors[key] = floor{version: version, known: known, at: time.Now()}
}

// typedCopy returns a copy of obj, as the typed object of its kind (an
// unstructured one converted), or nil when obj is not a whole object of
// a cached kind (metadata only, or an unknown type).
func (c *CachedReads) typedCopy(obj client.Object) client.Object {
	switch o := obj.(type) {
	case *metav1.PartialObjectMetadata:
		return nil
	case *unstructured.Unstructured:
		typed, err := c.Scheme().New(o.GroupVersionKind())
		if err != nil {
			return nil
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, typed); err != nil {
			return nil
		}
		known, ok := typed.(client.Object)
		if !ok {
			return nil
		}
		return known
	}
	if gvk, err := apiutil.GVKForObject(obj, c.Scheme()); err == nil && cachedKinds[gvk] != nil {
		return obj.DeepCopyObject().(client.Object)
	}
	return nil
}

// cacheFor returns the started cache, obj's kind and an empty object of
// that kind to read the cache into, when reads of obj in namespace come
// from the cache; a nil cache otherwise.
func (c *CachedReads) cacheFor(obj client.Object, namespace string) (cache.Cache, schema.GroupKind, client.Object) {
	c.mu.Lock()
	informers := c.cache
	c.mu.Unlock()
	if informers == nil || (c.namespace != "" && namespace != c.namespace) {
		return nil, schema.GroupKind{}, nil
	}
	var gvk schema.GroupVersionKind
	if partial, ok := obj.(*metav1.PartialObjectMetadata); ok {
		gvk = partial.GroupVersionKind()
	} else {
		var err error
		if gvk, err = apiutil.GVKForObject(obj, c.Scheme()); err != nil {
			return nil, schema.GroupKind{}, nil
		}
		if _, isUnstructured := obj.(runtime.Unstructured); isUnstructured {
			return nil, schema.GroupKind{}, nil
		}
	}
	newObject, ok := cachedKinds[gvk]
	if !ok {
		return nil, schema.GroupKind{}, nil
	}
	return informers, gvk.GroupKind(), newObject()
}

// copyInto copies cached, a deep copy of the cache's object, into obj: of
// the same type, or the metadata of it into a PartialObjectMetadata.
func copyInto(obj, cached client.Object) error {
	if partial, ok := obj.(*metav1.PartialObjectMetadata); ok {
		accessor, ok := cached.(metav1.ObjectMetaAccessor)
		if !ok {
			return fmt.Errorf("cached reads: %T has no metadata", cached)
		}
		partial.ObjectMeta = *accessor.GetObjectMeta().(*metav1.ObjectMeta)
		return nil
	}
	dst, src := reflect.ValueOf(obj), reflect.ValueOf(cached)
	if dst.Type() != src.Type() {
		return fmt.Errorf("cached reads: cannot read %T into %T", cached, obj)
	}
	dst.Elem().Set(src.Elem())
	return nil
}

// groupKind is obj's kind, from its type or, for unstructured and
// metadata-only objects, from the kind it names.
func (c *CachedReads) groupKind(obj runtime.Object) (schema.GroupKind, error) {
	gvk, err := apiutil.GVKForObject(obj, c.Scheme())
	if err != nil {
		return schema.GroupKind{}, fmt.Errorf("cached reads: %w", err)
	}
	return gvk.GroupKind(), nil
}

// wrote records a write of obj: the version it returned becomes its
// floor, none (a delete, a subresource body) a floor only a live read
// lifts. A write refused for a conflict says the object changed since it
// was read: the next read asks the API server, so that a retry does not
// read the same old state from the cache. Dry runs and other failed
// writes change nothing.
func (c *CachedReads) wrote(obj client.Object, err error, dryRun bool, version string) {
	if apierrors.IsConflict(err) && !dryRun {
		err, version = nil, ""
	}
	if err != nil || dryRun {
		return
	}
	gk, kindErr := c.groupKind(obj)
	if kindErr != nil || !c.isCachedKind(gk) {
		return
	}
	var known client.Object
	if version != "" && version == obj.GetResourceVersion() {
		known = c.typedCopy(obj)
	}
	c.setFloor(readKey{kind: gk, namespace: obj.GetNamespace(), name: obj.GetName()}, version, known)
}

// isCachedKind reports whether gk is one of cachedKinds.
func (c *CachedReads) isCachedKind(gk schema.GroupKind) bool {
	for gvk := range cachedKinds {
		if gvk.GroupKind() == gk {
			return true
		}
	}
	return false
}

// Create creates obj and records the version it returned.
func (c *CachedReads) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	o := (&client.CreateOptions{}).ApplyOptions(opts)
	err := c.Client.Create(ctx, obj, opts...)
	c.wrote(obj, err, len(o.DryRun) > 0, obj.GetResourceVersion())
	return err
}

// Update updates obj and records the version it returned.
func (c *CachedReads) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	o := (&client.UpdateOptions{}).ApplyOptions(opts)
	err := c.Client.Update(ctx, obj, opts...)
	c.wrote(obj, err, len(o.DryRun) > 0, obj.GetResourceVersion())
	return err
}

// Patch patches obj (a server-side apply too) and records the version it
// returned.
func (c *CachedReads) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	o := (&client.PatchOptions{}).ApplyOptions(opts)
	err := c.Client.Patch(ctx, obj, patch, opts...)
	c.wrote(obj, err, len(o.DryRun) > 0, obj.GetResourceVersion())
	return err
}

// Delete deletes obj; until a read from the API server, reads of it do
// not trust the cache.
func (c *CachedReads) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	o := (&client.DeleteOptions{}).ApplyOptions(opts)
	err := c.Client.Delete(ctx, obj, opts...)
	recorded := err
	if apierrors.IsNotFound(err) {
		recorded = nil // gone either way: what the cache holds may be older
	}
	c.wrote(obj, recorded, len(o.DryRun) > 0, "")
	return err
}

// DeleteAllOf deletes objects of obj's kind; until a read from the API
// server, reads of that kind do not trust the cache.
func (c *CachedReads) DeleteAllOf(ctx context.Context, obj client.Object, opts ...client.DeleteAllOfOption) error {
	err := c.Client.DeleteAllOf(ctx, obj, opts...)
	if gk, kindErr := c.groupKind(obj); kindErr == nil && c.isCachedKind(gk) {
		c.Stop() // a rare call: reading everything live is simpler than tracking it
	}
	return err
}

// Status is the status subresource's writer, recording what it writes.
func (c *CachedReads) Status() client.SubResourceWriter { return c.SubResource("status") }

// SubResource is a subresource's client, recording what it writes.
func (c *CachedReads) SubResource(subResource string) client.SubResourceClient {
	return &cachedSubResource{SubResourceClient: c.Client.SubResource(subResource), reads: c, status: subResource == "status"}
}

// cachedSubResource records the writes of a subresource. A status write
// returns the whole object, whose version becomes its floor; any other
// (scale) returns its own body, so the object's floor waits for a live
// read.
type cachedSubResource struct {
	client.SubResourceClient
	reads  *CachedReads
	status bool
}

func (s *cachedSubResource) version(obj client.Object, body client.Object) string {
	if !s.status || (body != nil && body != obj) {
		return ""
	}
	return obj.GetResourceVersion()
}

func (s *cachedSubResource) Create(ctx context.Context, obj, subResource client.Object, opts ...client.SubResourceCreateOption) error {
	o := (&client.SubResourceCreateOptions{}).ApplyOptions(opts)
	err := s.SubResourceClient.Create(ctx, obj, subResource, opts...)
	s.reads.wrote(obj, err, len(o.DryRun) > 0, "")
	return err
}

func (s *cachedSubResource) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	o := (&client.SubResourceUpdateOptions{}).ApplyOptions(opts)
	err := s.SubResourceClient.Update(ctx, obj, opts...)
	s.reads.wrote(obj, err, len(o.DryRun) > 0, s.version(obj, o.SubResourceBody))
	return err
}

func (s *cachedSubResource) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	o := (&client.SubResourcePatchOptions{}).ApplyOptions(opts)
	err := s.SubResourceClient.Patch(ctx, obj, patch, opts...)
	s.reads.wrote(obj, err, len(o.DryRun) > 0, s.version(obj, o.SubResourceBody))
	return err
}
