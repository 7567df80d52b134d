package reconciler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sluicehq/sluice/gitsync"
)

// settleInterval is how soon Run syncs again while a primary rolls out.
const settleInterval = 2 * time.Second

// Run polls the branch every Options.Interval and syncs each new head; it
// also re-syncs the same head at every interval, so that drift in the
// cluster is corrected. Between polls, each Canary's rollout takes its
// steps on its own cadence (see Step), each step on a goroutine of its
// own (at most Options.Workers at once), so a step that waits delays
// neither the polls nor the other Canaries (stepper.go). Trigger brings
// the next poll forward (a push webhook); CanaryChanged brings a Canary's
// step forward when a manual request arrives on it (wake.go). A failed poll changes nothing in the
// cluster and is retried with exponential backoff; a refused commit is
// retried at the next interval (a new commit may fix it). Run returns when
// ctx ends.
func (r *Reconciler) Run(ctx context.Context) error {
	r.async = newStepper(r.opts.Workers)
	defer func() { r.waitSteps(); r.async = nil }()
	failures := 0
	nextPoll := r.opts.Now()
	for {
		r.drain()
		if now := r.opts.Now(); !now.Before(nextPoll) {
			nextPoll = now.Add(r.poll(ctx, &failures))
		}
		r.launchDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		r.heartbeat.Store(time.Now().UnixNano())
		wait := nextPoll.Sub(r.opts.Now())
		// With every worker busy, a due step waits for one to end, not
		// for a timer.
		if step := r.untilNextStep(); step > 0 && len(r.async.workers) < cap(r.async.workers) {
			wait = min(wait, step)
		}
		select {
		case <-ctx.Done():
			return nil
		case res := <-r.async.done:
			r.collect(res)
		case <-r.trigger:
			nextPoll = r.triggered(nextPoll)
		case <-r.wakes.signal:
			r.woken()
		case <-time.After(wait):
		}
	}
}

// poll polls and syncs once and returns how long until the next poll: the
// interval, a short settle while a primary rolls out, or the backoff after
// failures, which it counts.
func (r *Reconciler) poll(ctx context.Context, failures *int) time.Duration {
	appliedBefore := r.synced.Load()
	result, err := r.runOnce(ctx)
	if ctx.Err() == nil {
		r.recordSync(err, r.synced.Load() != appliedBefore)
	}
	var pollErr *gitsync.Error
	switch {
	case ctx.Err() != nil:
		return 0
	case errors.As(err, &pollErr):
		*failures++
		wait := gitsync.DefaultBackoff.Delay(*failures, rand.Float64())
		r.opts.Log.Error(fmt.Sprintf("Poll of %s failed, retrying in %s", r.source.URL(), wait.Round(time.Millisecond)),
			"error", pollErr.Error(), "kind", pollErr.Kind.String(), "failures", *failures)
		return wait
	case err != nil:
		*failures = 0
		var refused *RefusedError
		if !errors.As(err, &refused) { // a refusal is reported by refuse, once
			r.opts.Log.Error("Sync failed, retrying at the next interval", "error", err.Error())
		}
		return r.opts.Interval
	case result.Settling:
		*failures = 0
		return settleInterval
	default:
		*failures = 0
		return r.opts.Interval
	}
}

// runOnce polls the source, within Options.GitTimeout, and syncs its
// head.
func (r *Reconciler) runOnce(ctx context.Context) (Result, error) {
	pollCtx, cancel := context.WithTimeout(ctx, r.opts.GitTimeout)
	co, changed, err := r.source.Poll(pollCtx)
	cancel()
	if err != nil {
		r.metrics.observePoll(pollFailed)
		return Result{}, r.gitTimedOut(ctx, err)
	}
	if changed {
		r.metrics.observePoll(pollChanged)
		r.opts.Log.Info(fmt.Sprintf("Syncing commit %s of %s", short(co.Commit), r.source.URL()), "commit", co.Commit)
	} else {
		r.metrics.observePoll(pollUnchanged)
	}
	start := time.Now()
	result, err := r.Sync(ctx, co)
	r.metrics.observeSync(time.Since(start), err, time.Now())
	return result, err
}

// gitTimedOut rewords an error of a Git call that ran out of
// Options.GitTimeout (while ctx itself goes on) so that it names the
// remote and the deadline; other errors are returned as they are. A
// *gitsync.Error stays one.
func (r *Reconciler) gitTimedOut(ctx context.Context, err error) error {
	if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var gitErr *gitsync.Error
	if errors.As(err, &gitErr) {
		timedOut := *gitErr
		timedOut.Err = fmt.Errorf("no answer from %s within %s (--git-timeout): %w", r.source.URL(), r.opts.GitTimeout, context.DeadlineExceeded)
		return &timedOut
	}
	return fmt.Errorf("git: no answer from %s within %s (--git-timeout): %w", r.source.URL(), r.opts.GitTimeout, err)
}

// Health tells whether Run is alive: nil while it finished a turn of its
// loop within maxStall of now (before the first turn, within maxStall of
// the first call), an error saying how long it has been stuck otherwise.
// A loop stuck on a call without a deadline fails it, so that the
// liveness probe restarts sluice. A replica waiting for the Lease in
// RunElected is healthy: it has no loop yet; its stall is counted from
// when it starts leading. It is safe to call from any goroutine.
func (r *Reconciler) Health(now time.Time, maxStall time.Duration) error {
	if r.standby.Load() {
		r.heartbeat.Store(0)
		return nil
	}
	last := r.heartbeat.Load()
	if last == 0 {
		r.heartbeat.CompareAndSwap(0, now.UnixNano())
		return nil
	}
	if stalled := now.Sub(time.Unix(0, last)); stalled > maxStall {
		return fmt.Errorf("the sync loop has not finished a turn for %s (more than %s)", stalled.Round(time.Second), maxStall)
	}
	return nil
}

// recordSync keeps the outcome of a poll and sync for Ready: a failure
// unless the commit was applied (an error of routing or of a rollout
// after the apply does not count, as for the first commit).
func (r *Reconciler) recordSync(err error, applied bool) {
	if err == nil || applied {
		r.lastSyncErr.Store(nil)
		return
	}
	msg := err.Error() // a *gitsync.Error's message is redacted
	r.lastSyncErr.Store(&msg)
}

// Ready tells whether Run's last poll and sync applied the head (rendered,
// applied and its Canaries' statuses saved, whatever became of routing or
// rollouts): nil when so, an error saying why not before the first commit
// is applied and while the last poll or sync failed before the apply (Git
// unreachable, a refused commit, an apply the API server refused). A
// replica waiting for the Lease in RunElected is ready: a healthy
// standby, which a rolling update of sluice's Deployment must be able to
// count as available. It is safe to call from any goroutine.
func (r *Reconciler) Ready() error {
	if r.standby.Load() {
		return nil
	}
	if r.synced.Load() == 0 {
		return errors.New("no commit has been applied yet")
	}
	if msg := r.lastSyncErr.Load(); msg != nil {
		return fmt.Errorf("the last sync failed: %s", *msg)
	}
	return nil
}
