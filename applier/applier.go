// Package applier writes desired state into the cluster with server-side
// apply (field manager "sluice"): plain objects with a dry-run diff first so
// that unchanged objects are not written, pruning of objects that left Git,
// and the objects sluice derives for a Canary target (its primary and its
// Services). With a metadata client (Options.Metadata) it watches what it
// applied, and an object neither Git nor the cluster changed since a dry run
// found it unchanged costs no request. It returns what it changed; it never
// decides what to change.
package applier

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/metadata"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager is the server-side apply field manager of every write.
const FieldManager = "sluice"

// ForceAnnotation, set to "enabled" on an object in Git, lets sluice delete
// and recreate it when a change touches an immutable field. Without it such a
// change is an error that names the object.
const ForceAnnotation = "sluice.dev/force"

// Options configures an Applier. The zero value is ready to use.
type Options struct {
	// Owner names the sync in the owner labels sluice puts on every object
	// (sluice.dev/name, sluice.dev/namespace). Zero means "sluice".
	Owner string
	// OwnerNamespace is the namespace part of the owner labels and where
	// the inventory lives. Zero means "default".
	OwnerNamespace string
	// Concurrency is how many objects are dry-run and applied at once.
	// Zero means 10.
	Concurrency int
	// WaitTimeout bounds the wait for CRDs and Namespaces to be ready before
	// the objects that need them are applied. Zero means 1 minute.
	WaitTimeout time.Duration
	// Metadata, when set, lets Apply skip the dry run of an object that
	// neither Git nor the cluster changed since a dry run found it
	// unchanged: Apply watches the metadata of the kinds it applies
	// (label-selected on the owner labels, started the first time a kind is
	// applied, stopped by Close) and trusts an object only while its
	// resourceVersion is the one it had when it was proven unchanged. A kind
	// that cannot be listed or watched is dry-run every time, as with nil.
	// Nil means every object is dry-run on every Apply.
	Metadata metadata.Interface
	// WatchNamespace restricts the watches of namespaced kinds to one
	// namespace (for a sluice whose role is a namespace's); objects in
	// other namespaces are then always dry-run. Zero means all namespaces.
	WatchNamespace string
	// RecheckAfter is how long an object proven unchanged is trusted on the
	// watch's word alone before it is dry-run again: a bound on what a
	// watch cannot see (a new default of a CRD's schema, a mutating
	// webhook's new opinion). Zero means 1 hour.
	RecheckAfter time.Duration
	// Log receives the notice that a kind cannot be watched. Nil discards.
	Log *slog.Logger
}

// Applier applies objects to one cluster. It is safe for concurrent use.
type Applier struct {
	client  client.Client
	manager *ssa.ResourceManager
	opts    Options
	// live and proven are nil without Options.Metadata.
	live   *liveWatch
	proven *memo
	// saved is the inventory last read or written, with Options.Metadata
	// only: an idle sync asks the API server nothing (see ReadInventory).
	saved savedInventory
}

// New returns an Applier writing through c, whose scheme and REST mapper are
// used for every object.
func New(c client.Client, opts Options) (*Applier, error) {
	if opts.Owner == "" {
		opts.Owner = "sluice"
	}
	if opts.OwnerNamespace == "" {
		opts.OwnerNamespace = "default"
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 10
	}
	if opts.WaitTimeout == 0 {
		opts.WaitTimeout = time.Minute
	}
	if opts.RecheckAfter == 0 {
		opts.RecheckAfter = time.Hour
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	mapper := c.RESTMapper()
	if mapper == nil {
		return nil, fmt.Errorf("applier: client has no REST mapper")
	}
	poller := polling.NewStatusPoller(c, meta.RESTMapper(mapper), polling.Options{})
	manager := ssa.NewResourceManager(c, poller, ssa.Owner{Field: FieldManager, Group: "sluice.dev"})
	// Dry runs of independent objects in parallel: an idle reconcile of many
	// objects is bound by API round trips, not by CPU.
	manager.SetConcurrency(opts.Concurrency)
	a := &Applier{client: c, manager: manager, opts: opts}
	if opts.Metadata != nil {
		a.live = newLiveWatch(opts.Metadata, opts.WatchNamespace, manager.GetOwnerLabels(opts.Owner, opts.OwnerNamespace), opts.Log)
		a.proven = newMemo()
	}
	return a, nil
}

// Close stops the watches of Options.Metadata and forgets what they
// proved; later Applies dry-run every object. It is idempotent, and a no-op
// without Options.Metadata.
func (a *Applier) Close() {
	if a.live == nil {
		return
	}
	a.live.close()
	a.proven.clear()
}
