package reconciler

import (
	"maps"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// wakes holds the Canaries whose next step was asked for now, from any
// goroutine, until Run takes them.
type wakes struct {
	mu      sync.Mutex
	pending map[types.NamespacedName]bool
	// signal holds at most one pending notice for Run.
	signal chan struct{}
	// afterStep are the Canaries woken while their step was in flight:
	// that step may have read the Canary before the change, so another
	// follows at once. Only Run's goroutine touches it.
	afterStep map[types.NamespacedName]bool
}

func newWakes() *wakes {
	return &wakes{pending: map[types.NamespacedName]bool{}, signal: make(chan struct{}, 1), afterStep: map[types.NamespacedName]bool{}}
}

// CanaryChanged is told, by a watch of the live Canaries, that one
// changed from old to changed. When a manual request (sluice promote,
// abort, pause, resume) appeared on it or was replaced by another, Run
// takes the Canary's step now rather than at its next scheduled step, which
// can be a whole analysis interval away: the request is carried out within
// the watch's delay. Any other change (sluice's own status writes, the
// clearing of a handled request) wakes nothing. It reads the Canaries only,
// keeping neither. It never blocks and is safe
// to call from any goroutine, before Run too; a Canary this replica does
// not roll out (another shard's, one no commit holds) is ignored by Run.
func (r *Reconciler) CanaryChanged(old, changed *v1alpha1.Canary) {
	if changed == nil || !requestArrived(old, changed) {
		return
	}
	w := r.wakes
	w.mu.Lock()
	w.pending[types.NamespacedName{Namespace: changed.Namespace, Name: changed.Name}] = true
	w.mu.Unlock()
	select {
	case w.signal <- struct{}{}:
	default: // one is pending already; it takes this Canary too
	}
}

// requestArrived reports whether changed holds a manual request that old
// (nil for a Canary just seen) did not hold as it is.
func requestArrived(old, changed *v1alpha1.Canary) bool {
	req, ok := v1alpha1.RequestOf(changed.Annotations)
	if !ok {
		return false
	}
	if old == nil {
		return true
	}
	before, had := v1alpha1.RequestOf(old.Annotations)
	return !had || before.Action != req.Action || before.By != req.By || !before.At.Equal(&req.At)
}

// woken makes the step of every Canary woken since the last call due now,
// or, for one whose step is in flight, due as soon as that step ends.
// Only Run's goroutine calls it.
func (r *Reconciler) woken() {
	w := r.wakes
	w.mu.Lock()
	pending := w.pending
	w.pending = map[types.NamespacedName]bool{}
	w.mu.Unlock()
	if len(pending) == 0 || r.schedule.rendering == nil {
		return
	}
	now := r.opts.Now()
	for _, canary := range r.schedule.rendering.Canaries {
		key := types.NamespacedName{Namespace: canary.Namespace, Name: canary.Name}
		switch {
		case !pending[key]:
		case r.busy(key):
			w.afterStep[key] = true
		default:
			r.schedule.next[key] = now
		}
	}
}

// wokenDuringStep makes the next step of canary due now when it was woken
// while its step was in flight. Only Run's goroutine calls it, after the
// step's own plan.
func (r *Reconciler) wokenDuringStep(canary types.NamespacedName) {
	if r.wakes.afterStep[canary] {
		delete(r.wakes.afterStep, canary)
		r.schedule.next[canary] = r.opts.Now()
	}
}

// pendingWakes lists the Canaries woken and not yet taken by Run, for
// tests.
func (r *Reconciler) pendingWakes() map[types.NamespacedName]bool {
	r.wakes.mu.Lock()
	defer r.wakes.mu.Unlock()
	return maps.Clone(r.wakes.pending)
}
