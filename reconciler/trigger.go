package reconciler

import "time"

// TriggerDebounce is how long Run waits after a Trigger before it polls,
// so that a burst of pushes (a merge queue, a push of several branches
// that each notify) gives one poll, not one per push.
const TriggerDebounce = 250 * time.Millisecond

// Trigger asks Run to poll the branch within TriggerDebounce, instead of
// at the next interval: a push webhook calls it when the watched branch
// moved. It never blocks; triggers that arrive before Run takes the
// pending one are merged with it, and a trigger never delays a poll that
// is due sooner. A trigger that arrives during a poll gives one more poll
// after it, since the push may have landed after the poll read the head.
// Safe to call from any goroutine, before Run too.
func (r *Reconciler) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default: // one is pending already: this push is merged with it
	}
}

// triggered moves nextPoll forward to TriggerDebounce from now when that is
// sooner.
func (r *Reconciler) triggered(nextPoll time.Time) time.Time {
	if due := r.opts.Now().Add(TriggerDebounce); due.Before(nextPoll) {
		return due
	}
	return nextPoll
}
