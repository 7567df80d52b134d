package reconciler

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
)

// reconcileRoutes makes the routing objects of every Canary of the
// rendering (HTTPRoute, VirtualService, …, chosen by spec.provider) match
// its spec, keeping the split they route now; missing ones route all the
// traffic to the primary. It writes nothing when they already match, and
// nothing for a suspended Canary (spec.suspend), whose routing stays as it
// is. A
// Canary whose routing fails (its provider's CRDs are missing, say) gets a
// Warning event and the error is returned, after the other Canaries were
// reconciled.
func (r *Reconciler) reconcileRoutes(ctx context.Context, rendering *manifests.Rendering) error {
	var errs []error
	for _, canary := range rendering.Canaries {
		if r.busy(client.ObjectKeyFromObject(canary)) {
			continue // its step sets the routes it needs
		}
		if canary.Spec.Suspend {
			continue
		}
		changes, err := r.reconcileRoute(ctx, canary)
		logChanges(r, changes)
		if err != nil {
			err = fmt.Errorf("canary %s/%s: reconcile routing: %w", canary.Namespace, canary.Name, err)
			r.events.record(ctx, canary, corev1.EventTypeWarning, "RoutingFailed", err.Error())
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// reconcileRoute reconciles the routing objects of one Canary.
func (r *Reconciler) reconcileRoute(ctx context.Context, canary *v1alpha1.Canary) (applier.Changes, error) {
	router, err := r.applier.Router(canary.Spec.Provider)
	if err != nil {
		return nil, err
	}
	return router.Reconcile(ctx, canary)
}

// logChanges logs every change that wrote something.
func logChanges(r *Reconciler, changes applier.Changes) {
	for _, change := range changes {
		if change.Action != applier.Unchanged {
			r.opts.Log.Info(fmt.Sprintf("%s %s", change.Subject, change.Action))
		}
	}
}
