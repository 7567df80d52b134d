package reconciler

import (
	"context"
	"errors"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/manifests"
)

// DefaultWorkers is how many rollout steps Run takes at once when
// Options.Workers is zero.
const DefaultWorkers = 8

// stepper takes Run's rollout steps on goroutines of their own, at most
// Options.Workers at a time, so that a step that waits (a webhook that
// hangs until its timeout, a slow Prometheus) delays its own Canary only:
// the loop goes on polling Git and starting the steps of the others. A
// Canary has one step in flight at most; while it has, Sync leaves its
// status alone (it would write back a status read before the step).
//
// Only Run's goroutine touches inflight; steps report on done.
type stepper struct {
	workers  chan struct{}
	inflight map[types.NamespacedName]bool
	done     chan stepResult
	running  sync.WaitGroup
}

// stepResult is what one asynchronous step reports.
type stepResult struct {
	canary types.NamespacedName
	after  time.Duration
	err    error
}

func newStepper(workers int) *stepper {
	if workers <= 0 {
		workers = DefaultWorkers
	}
	return &stepper{workers: make(chan struct{}, workers), inflight: map[types.NamespacedName]bool{}, done: make(chan stepResult, workers)}
}

// busy reports whether canary has a step in flight; never without a
// stepper (Sync and Step called directly).
func (r *Reconciler) busy(canary types.NamespacedName) bool {
	return r.async != nil && r.async.inflight[canary]
}

// launchDue starts the step of every Canary whose step is due and that has
// none in flight, while workers are free; the others stay due.
func (r *Reconciler) launchDue(ctx context.Context) {
	s := &r.schedule
	if s.rendering == nil {
		return
	}
	now := r.opts.Now()
	for i, canary := range s.rendering.Canaries {
		key := types.NamespacedName{Namespace: canary.Namespace, Name: canary.Name}
		at, ok := s.next[key]
		if !ok || at.After(now) || r.async.inflight[key] {
			continue
		}
		select {
		case r.async.workers <- struct{}{}:
		default:
			return // every worker is busy: the rest wait for one
		}
		r.async.inflight[key] = true
		delete(s.next, key)
		r.async.running.Add(1)
		go r.stepAsync(ctx, s.rendering, i, s.commit)
	}
}

// stepAsync takes one step of the i-th Canary of rendering, opens or
// closes its revert when the step calls for it, and reports.
func (r *Reconciler) stepAsync(ctx context.Context, rendering *manifests.Rendering, i int, commit string) {
	defer r.async.running.Done()
	defer func() { <-r.async.workers }()
	canary, target := rendering.Canaries[i], rendering.Targets[i]
	after, err := r.rollout(ctx, canary, target, commit)
	if r.opts.Forge != nil {
		if wbErr := r.writeBackOne(ctx, canary, target, commit); wbErr != nil && err == nil {
			err = wbErr
		}
	}
	r.async.done <- stepResult{canary: types.NamespacedName{Namespace: canary.Namespace, Name: canary.Name}, after: after, err: err}
}

// collect plans the next step of a Canary whose step ended.
func (r *Reconciler) collect(res stepResult) {
	delete(r.async.inflight, res.canary)
	if res.err != nil && !isCanceled(res.err) {
		r.opts.Log.Error("Rollout step failed", "canary", res.canary.Name+"."+res.canary.Namespace, "error", res.err.Error())
	}
	r.schedule.plan(res.canary, r.opts.Now(), res.after)
	r.wokenDuringStep(res.canary)
}

// drain collects every step that ended, without waiting.
func (r *Reconciler) drain() {
	for {
		select {
		case res := <-r.async.done:
			r.collect(res)
		default:
			return
		}
	}
}

// isCanceled reports whether err comes from the end of Run's context.
func isCanceled(err error) bool { return errors.Is(err, context.Canceled) }

// waitSteps waits for the steps in flight to end, collecting them.
func (r *Reconciler) waitSteps() {
	ended := make(chan struct{})
	go func() { r.async.running.Wait(); close(ended) }()
	for {
		select {
		case res := <-r.async.done:
			r.collect(res)
		case <-ended:
			r.drain()
			return
		}
	}
}
