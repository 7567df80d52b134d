// Package applier writes desired state into the cluster with server-side
// apply (field manager "sluice"): plain objects with a dry-run diff first so
// that unchanged objects are not written, pruning of objects that left Git,
// and the objects sluice derives for a Canary target (its primary and its
// Services). It returns what it changed; it never decides what to change.
package applier

import (
	"fmt"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	"k8s.io/apimachinery/pkg/api/meta"
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
}

// Applier applies objects to one cluster. It is safe for concurrent use.
type Applier struct {
	client  client.Client
	manager *ssa.ResourceManager
	opts    Options
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
	mapper := c.RESTMapper()
	if mapper == nil {
		return nil, fmt.Errorf("applier: client has no REST mapper")
	}
	poller := polling.NewStatusPoller(c, meta.RESTMapper(mapper), polling.Options{})
	manager := ssa.NewResourceManager(c, poller, ssa.Owner{Field: FieldManager, Group: "sluice.dev"})
	// Dry runs of independent objects in parallel: an idle reconcile of many
	// objects is bound by API round trips, not by CPU.
	manager.SetConcurrency(opts.Concurrency)
	return &Applier{client: c, manager: manager, opts: opts}, nil
}
