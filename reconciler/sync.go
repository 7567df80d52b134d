package reconciler

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

// Result is what one Sync did.
type Result struct {
	// Commit is the commit synced.
	Commit string
	// Changes are the objects created, configured, unchanged or pruned.
	Changes applier.Changes
	// Settling is true while a Canary waits for its primary to be ready:
	// the caller should sync again soon rather than at the next interval.
	Settling bool
	// RequeueAfter is when the soonest Canary rollout wants its next step
	// (a pending revision to start, an analysis step due, a Deployment to
	// become ready). Zero means no rollout asked: sync at the next
	// interval.
	RequeueAfter time.Duration
}

// Sync converges the cluster to one checkout:
// render → observe → plan → act → persist, then routes every Canary's
// traffic objects and takes the next step of every rollout pending or in
// flight (see rollouts): a sync of the same head every interval moves the
// rollouts on without ever restarting them.
// A checkout that does not render, or that asks for something sluice
// refuses, is refused as a whole: nothing from it is applied, the error is
// logged and set on the Ready condition of the Canaries, and the last good
// state stays.
func (r *Reconciler) Sync(ctx context.Context, co gitsync.Checkout) (Result, error) {
	result := Result{Commit: co.Commit}

	// The installation's key for hashing Secret data (status hashes must
	// not let anyone guess a secret offline).
	if r.opts.Render.SecretKey == nil {
		key, err := r.applier.HashKey(ctx, true)
		if err != nil {
			return result, err
		}
		r.opts.Render.SecretKey = key
	}

	// Render: the whole commit, or nothing. A head refused for its
	// manifests is rendered and reported once, until it changes.
	if r.lastRefusal.commit == co.Commit {
		return result, r.lastRefusal.err
	}
	rendering, err := r.render(co)
	// Shard: this sluice acts on its shard's part only; the rest tells
	// what not to prune.
	var others *manifests.Rendering
	if err == nil {
		rendering, others, err = splitShard(rendering, r.opts.Shard)
	}
	if err == nil {
		err = r.checkScope(rendering)
	}
	if err != nil {
		refused := r.refuse(ctx, co.Commit, err)
		var invalid *manifests.InvalidError
		if errors.As(err, &invalid) {
			r.lastRefusal = refusedHead{commit: co.Commit, err: refused}
		}
		return result, refused
	}
	r.lastRefusal = refusedHead{}
	defer r.tellNotices(ctx, rendering)

	// Canaries that left Git keep no metrics.
	inGit := make(map[types.NamespacedName]bool, len(rendering.Canaries))
	for _, canary := range rendering.Canaries {
		inGit[client.ObjectKeyFromObject(canary)] = true
	}
	r.metrics.forgetCanariesBut(inGit)

	// Observe: the live status of each Canary and whether its primary runs.
	observations, err := r.observe(ctx, rendering, co.Commit)
	if err != nil {
		return result, err
	}

	// Plan: what each target needs; pure. An installed primary reads the
	// configs of this rendering.
	decisions := make([]planner.SyncDecision, len(observations))
	for i, obs := range observations {
		if r.busy(client.ObjectKeyFromObject(rendering.Canaries[i])) {
			// A step of its rollout is in flight: it owns the status.
			decisions[i] = planner.SyncDecision{Status: obs.Status}
			continue
		}
		decisions[i] = planner.DecideSync(obs)
		if decisions[i].Install {
			decisions[i].Status.TrackedConfigs = trackedHashes(rendering.Targets[i])
		}
		result.Settling = result.Settling || !obs.PrimaryReady && decisions[i].Install
	}

	// Observe: what sluice owns, the Canaries that left Git, and the
	// replicas the autoscaled primaries run (their autoscalers' to keep).
	var previous applier.Inventory
	var departures []departure
	if r.opts.Prune {
		if previous, err = r.applier.ReadInventory(ctx); err != nil {
			return result, err
		}
		moved, err := r.otherShards(ctx, others, previous)
		if err != nil {
			return result, err
		}
		if len(moved) > 0 {
			r.opts.Log.Info(fmt.Sprintf("%d objects moved to another shard: handed over, not pruned", len(moved)), "objects", moved)
			previous = previous.Minus(moved)
		}
		if departures, err = r.departures(ctx, rendering, previous); err != nil {
			return result, err
		}
	}
	live, err := r.liveReplicas(ctx, rendering)
	if err != nil {
		return result, err
	}

	// Act: one staged apply of everything, a hand-over for the Canaries
	// that left, then pruning.
	desired, err := desiredState(rendering, decisions, departingEntries(departures), live)
	if err != nil {
		return result, r.refuse(ctx, co.Commit, err)
	}
	var handingOver bool
	result.Changes, handingOver, err = r.apply(ctx, desired, departures, previous)
	if err != nil {
		return result, r.refuse(ctx, co.Commit, err)
	}
	result.Settling = result.Settling || handingOver
	if err := r.fault(faultAfterApply); err != nil {
		return result, err
	}

	// Persist: the commit statuses to the forge (those it did not take go
	// into the status), the statuses and their messages.
	for i, canary := range rendering.Canaries {
		if r.busy(client.ObjectKeyFromObject(canary)) {
			continue
		}
		decisions[i].Status.UndeliveredStatuses = r.deliver(ctx, canary, decisions[i].Status, observations[i].Status.UndeliveredStatuses, decisions[i].CommitStatuses)
		if err := r.persist(ctx, canary, decisions[i], co.Commit); err != nil {
			return result, err
		}
	}

	r.synced.Store(time.Now().UnixNano())

	// Route: each Canary's routing objects match its spec, keeping the
	// split they route now.
	if err := r.reconcileRoutes(ctx, rendering); err != nil {
		return result, err
	}

	// Roll out: each Canary whose revision was pending before this sync, or
	// whose rollout is in flight, takes its next step (rollout.go).
	result.RequeueAfter, err = r.rollouts(ctx, rendering, observations, decisions, co.Commit)

	// Write back: open or close revert pull requests (writeback.go).
	return result, errors.Join(err, r.writeBack(ctx, rendering, co.Commit))
}

// tellNotices records each notice of a rendering once, as a Warning Event
// on its Canary (once the sync has applied it) and a log line.
func (r *Reconciler) tellNotices(ctx context.Context, rendering *manifests.Rendering) {
	for _, notice := range rendering.Notices {
		if r.noticed[notice.Message] {
			continue
		}
		if notice.Canary.Name == "" {
			r.noticed[notice.Message] = true
			r.opts.Log.Warn(notice.Message)
			continue
		}
		var live v1alpha1.Canary
		if err := r.client.Get(ctx, notice.Canary, &live); err != nil {
			continue // told at a later sync, once the Canary exists
		}
		r.noticed[notice.Message] = true
		r.events.record(ctx, &live, corev1.EventTypeWarning, "FlaggerCanary", notice.Message)
	}
}

// apply applies the desired objects, hands the departed Canaries' traffic
// over to their targets (departure.go), prunes what left Git when asked
// to, and saves the new inventory. It reports whether a hand-over waits
// for a target to be ready.
func (r *Reconciler) apply(ctx context.Context, desired state, departures []departure, previous applier.Inventory) (applier.Changes, bool, error) {
	changes, err := r.applier.Apply(ctx, desired.objects)
	if err != nil {
		return changes, false, err
	}
	inventory := desired.inventory
	waiting := false
	if r.opts.Prune {
		handedOver, held, holding, err := r.handOver(ctx, departures, desired.deferred)
		changes, waiting = append(changes, handedOver...), holding
		if err != nil {
			return changes, waiting, err
		}
		inventory = inventory.Union(held)
		pruned, err := r.applier.Prune(ctx, previous, inventory)
		changes = append(changes, pruned...)
		if err != nil {
			return changes, waiting, err
		}
	}
	if err := r.applier.WriteInventory(ctx, inventory); err != nil {
		return changes, waiting, err
	}
	for _, change := range changes {
		if change.Action != applier.Unchanged {
			r.opts.Log.Info(fmt.Sprintf("%s %s", change.Subject, change.Action))
		}
	}
	return changes, waiting, nil
}

// renderedCommit is a commit, the directory of its checkout and its
// rendering.
type renderedCommit struct {
	commit, dir string
	rendering   *manifests.Rendering
}

// changeLister is a Source that can list the paths changed between two of
// its checkouts (gitsync.Repository).
type changeLister interface {
	ChangedPaths(from, to gitsync.Checkout) ([]string, error)
}

// render renders the checkout co, or returns the rendering of the last
// sync when co is the same commit: a commit's files never change, and the
// options do not change between syncs. Renderings are shared, never
// modified (see manifests.Renderer).
func (r *Reconciler) render(co gitsync.Checkout) (*manifests.Rendering, error) {
	if r.lastRendered.commit == co.Commit && co.Commit != "" {
		return r.lastRendered.rendering, nil
	}
	rendering, err := r.renderer.RenderChangesWithin(r.opts.RenderTimeout, co.Dir, r.opts.Path, r.opts.Render, r.changesSince(co))
	if err != nil {
		r.lastRendered = renderedCommit{}
		return nil, err
	}
	r.lastRendered = renderedCommit{commit: co.Commit, dir: co.Dir, rendering: rendering}
	return rendering, nil
}

// changesSince tells the renderer which paths changed between the last
// rendered checkout and co, so that it checks only what those changes can
// affect; nil (check everything) when the source cannot tell.
func (r *Reconciler) changesSince(co gitsync.Checkout) *manifests.Changes {
	last := r.lastRendered
	lister, ok := r.source.(changeLister)
	if !ok || last.dir == "" || co.Dir == "" {
		return nil
	}
	paths, err := lister.ChangedPaths(gitsync.Checkout{Commit: last.commit, Dir: last.dir}, co)
	if err != nil {
		return nil
	}
	return &manifests.Changes{Since: last.dir, Paths: paths}
}
