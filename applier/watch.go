package applier

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
)

// firstListTimeout bounds the wait for a new watch's first list: Apply
// dry-runs the objects of a kind whose list is not done by then.
const firstListTimeout = 10 * time.Second

// distrustAfterError is how long a kind's watch is not trusted after a
// list or watch error: the reflector is reconnecting and its store may miss
// changes until it has.
const distrustAfterError = time.Minute

// retryRefusedAfter is how long a kind whose list or watch was refused is
// dry-run before its watch is tried again: the role may have been extended
// since, as the ForbiddenError of its apply asks.
const retryRefusedAfter = 10 * time.Minute

// liveWatch keeps, per resource, a metadata-only informer of the objects
// carrying the owner labels: the live resourceVersions Apply compares with
// its proofs. It is safe for concurrent use.
type liveWatch struct {
	client    metadata.Interface
	namespace string
	selector  string
	log       *slog.Logger
	ctx       context.Context
	stop      context.CancelFunc

	mu    sync.Mutex
	kinds map[schema.GroupVersionResource]*kindWatch
	// refusalLogged holds the resources whose refusal was logged: once per
	// resource, however often it is retried.
	refusalLogged map[schema.GroupVersionResource]bool
}

// kindWatch is the informer of one resource.
type kindWatch struct {
	informer   cache.SharedIndexInformer
	namespaced bool

	mu sync.Mutex
	// refusedAt is set when the server refused the list or watch (RBAC, a
	// resource it does not serve): the kind is not trusted until a new
	// watch replaces this one.
	refusedAt time.Time
	// lastError is the time of the last other list or watch error.
	lastError time.Time
}

func newLiveWatch(client metadata.Interface, namespace string, ownerLabels map[string]string, log *slog.Logger) *liveWatch {
	ctx, stop := context.WithCancel(context.Background())
	return &liveWatch{
		client: client, namespace: namespace, selector: labels.SelectorFromSet(ownerLabels).String(), log: log,
		ctx: ctx, stop: stop, kinds: map[schema.GroupVersionResource]*kindWatch{},
		refusalLogged: map[schema.GroupVersionResource]bool{},
	}
}

// watch starts an informer for each mapping not watched yet (or refused
// more than retryRefusedAfter ago) and waits, at most firstListTimeout or
// until ctx ends, for their first lists.
func (w *liveWatch) watch(ctx context.Context, mappings []*meta.RESTMapping, now time.Time) {
	var started []*kindWatch
	w.mu.Lock()
	for _, mapping := range mappings {
		if kind, ok := w.kinds[mapping.Resource]; (ok && !kind.retryable(now)) || w.ctx.Err() != nil {
			continue
		}
		kind := w.start(mapping)
		w.kinds[mapping.Resource] = kind
		started = append(started, kind)
	}
	w.mu.Unlock()
	if len(started) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, firstListTimeout)
	defer cancel()
	for _, kind := range started {
		_ = waitUntil(ctx, kind.settled)
	}
}

// start runs the informer of one resource until the watch is closed.
func (w *liveWatch) start(mapping *meta.RESTMapping) *kindWatch {
	namespaced := mapping.Scope == nil || mapping.Scope.Name() == meta.RESTScopeNameNamespace
	namespace := metav1.NamespaceAll
	if namespaced {
		namespace = w.namespace
	}
	informer := metadatainformer.NewFilteredMetadataInformer(w.client, mapping.Resource, namespace, 0, cache.Indexers{},
		func(opts *metav1.ListOptions) { opts.LabelSelector = w.selector }).Informer()
	kind := &kindWatch{informer: informer, namespaced: namespaced}
	ctx, stop := context.WithCancel(w.ctx)
	_ = informer.SetTransform(keepIdentity(mapping.GroupVersionKind.GroupKind()))
	_ = informer.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		if !isRefusal(err) {
			kind.failed(time.Now())
			return
		}
		// Logged before the kind is marked refused: whoever sees the mark
		// (Apply, a test reading the log) sees the log line too.
		w.logRefusal(mapping.Resource, err)
		kind.refuse(time.Now())
		stop()
	})
	go informer.RunWithContext(ctx)
	return kind
}

// logRefusal logs the first refusal of resource.
func (w *liveWatch) logRefusal(resource schema.GroupVersionResource, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.refusalLogged[resource] {
		w.refusalLogged[resource] = true
		w.log.Info("Cannot watch "+resource.GroupResource().String()+"; its objects are dry-run on every apply", "error", err.Error())
	}
}

// isRefusal reports an error that retrying will not cure.
func isRefusal(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err)
}

// resourceVersion returns the live resourceVersion of an object (its live
// state, for the kinds liveState says one of), and false
// when the watch cannot vouch for it: the resource is not watched, its
// first list is not done, it was refused or recently failed, the object is
// outside the watched namespace, or it is not there (with the owner
// labels).
func (w *liveWatch) resourceVersion(resource schema.GroupVersionResource, namespace, name string, now time.Time) (string, bool) {
	w.mu.Lock()
	kind, ok := w.kinds[resource]
	closed := w.ctx.Err() != nil
	w.mu.Unlock()
	if !ok || closed || !kind.trusted(now) {
		return "", false
	}
	key := name
	if kind.namespaced {
		if w.namespace != "" && namespace != w.namespace {
			return "", false
		}
		key = namespace + "/" + name
	}
	item, exists, err := kind.informer.GetStore().GetByKey(key)
	if err != nil || !exists {
		return "", false
	}
	obj, ok := item.(*metav1.PartialObjectMetadata)
	if !ok {
		return "", false
	}
	if state := obj.Annotations[liveStateKey]; state != "" {
		return state, true
	}
	return obj.ResourceVersion, true
}

// close stops every informer; resourceVersion then vouches for nothing.
func (w *liveWatch) close() { w.stop() }

func (k *kindWatch) trusted(now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.refusedAt.IsZero() && now.Sub(k.lastError) >= distrustAfterError && k.informer.HasSynced()
}

// retryable reports a watch refused more than retryRefusedAfter ago.
func (k *kindWatch) retryable(now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !k.refusedAt.IsZero() && now.Sub(k.refusedAt) >= retryRefusedAfter
}

// settled reports whether the first list is done or failed: waiting longer
// would not make the kind trusted sooner.
func (k *kindWatch) settled() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !k.refusedAt.IsZero() || !k.lastError.IsZero() || k.informer.HasSynced()
}

func (k *kindWatch) refuse(at time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refusedAt = at
}

func (k *kindWatch) failed(at time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lastError = at
}

// waitUntil polls done until it is true or ctx ends.
func waitUntil(ctx context.Context, done func() bool) error {
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	for !done() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
	return nil
}

// keepIdentity trims the cached objects of kind gk to what resourceVersion
// reads: their identity and live state (see liveState). The managed fields
// of thousands of objects would otherwise sit in memory.
func keepIdentity(gk schema.GroupKind) func(any) (any, error) {
	return func(obj any) (any, error) {
		m, ok := obj.(*metav1.PartialObjectMetadata)
		if !ok {
			return obj, nil
		}
		kept := &metav1.PartialObjectMetadata{
			TypeMeta: m.TypeMeta,
			ObjectMeta: metav1.ObjectMeta{
				Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
			},
		}
		if state := liveState(gk, m); state != "" {
			kept.Annotations = map[string]string{liveStateKey: state}
		}
		return kept, nil
	}
}

// liveStateKey keeps an object's live state in its trimmed copy.
const liveStateKey = "sluice.dev/live-state"

// generationKinds are the kinds whose metadata.generation moves with every
// change but those of metadata and status: their workloads' controllers
// and sluice's rollouts write their status all the time.
var generationKinds = map[schema.GroupKind]bool{
	{Group: "apps", Kind: "Deployment"}:           true,
	{Group: "apps", Kind: "DaemonSet"}:            true,
	{Group: "apps", Kind: "StatefulSet"}:          true,
	{Group: "sluice.dev", Kind: "Canary"}:         true,
	{Group: "sluice.dev", Kind: "MetricTemplate"}: true,
	{Group: "sluice.dev", Kind: "AlertProvider"}:  true,
}

// liveState is what a proof of an object of kind gk holds it to, when not
// its resource version: for generationKinds, its generation and a digest
// of the metadata an apply can change (labels, annotations, owners,
// finalizers, deletion), so that a write of its status alone — most of a
// rollout's writes — leaves the proof standing; "" for other kinds.
func liveState(gk schema.GroupKind, m *metav1.PartialObjectMetadata) string {
	if !generationKinds[gk] || m.Generation == 0 {
		return ""
	}
	meta, err := json.Marshal(struct {
		Labels, Annotations map[string]string
		Owners              []metav1.OwnerReference
		Finalizers          []string
		Deleted             *metav1.Time
	}{m.Labels, m.Annotations, m.OwnerReferences, m.Finalizers, m.DeletionTimestamp})
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(meta)
	return fmt.Sprintf("generation %d, metadata %x", m.Generation, sum[:12])
}
