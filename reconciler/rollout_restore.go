package reconciler

import (
	"context"
	"fmt"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

// checkouter is a Source that can check out any commit, as
// gitsync.Repository can.
type checkouter interface {
	Checkout(ctx context.Context, ref string) (gitsync.Checkout, error)
	Release(co gitsync.Checkout)
}

// restorePrimary puts the primary back on the last promoted revision after
// a promotion failed half-way: it renders the commit of that revision again
// and applies the primary derived from it. A source that cannot check out
// a commit, or a rendering whose revision is not the one asked for (the
// rendering options changed since), is an error, retried at the next step.
// It returns the target it made the primary from.
func (r *Reconciler) restorePrimary(ctx context.Context, canary *v1alpha1.Canary, a planner.RestorePrimary) (applier.Changes, *manifests.Target, error) {
	source, ok := r.source.(checkouter)
	if !ok {
		return nil, nil, fmt.Errorf("%w: the source cannot check out commit %s", ErrCannotRestorePrimary, short(a.Commit))
	}
	gitCtx, cancel := context.WithTimeout(ctx, r.opts.GitTimeout)
	co, err := source.Checkout(gitCtx, a.Commit)
	cancel()
	if err != nil {
		return nil, nil, r.gitTimedOut(ctx, err)
	}
	rendering, err := manifests.Render(co.Dir, r.opts.Path, r.opts.Render)
	source.Release(co) // the rendering is all that is needed of it
	if err != nil {
		return nil, nil, fmt.Errorf("render commit %s: %w", short(a.Commit), err)
	}
	for i, c := range rendering.Canaries {
		if c.Name == canary.Name && c.Namespace == canary.Namespace {
			target := rendering.Targets[i]
			changes, err := r.promoteToPrimary(ctx, canary, target, planner.PromoteToPrimary{Revision: a.Revision, Commit: a.Commit})
			return changes, &target, err
		}
	}
	return nil, nil, fmt.Errorf("commit %s renders no Canary %s/%s", short(a.Commit), canary.Namespace, canary.Name)
}
