package reconciler

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

// observe reads, for each Canary of the rendering, its live status, the
// readiness of its primary and what the primary records (the revision it
// runs, the last that failed), which outlives the status.
func (r *Reconciler) observe(ctx context.Context, rendering *manifests.Rendering, commit string) ([]planner.SyncObservation, error) {
	observations := make([]planner.SyncObservation, len(rendering.Canaries))
	for i, canary := range rendering.Canaries {
		var live v1alpha1.Canary
		err := r.client.Get(ctx, client.ObjectKeyFromObject(canary), &live)
		// A cluster without the Canary CRD yet (sluice plan before the first
		// run) has no Canary either.
		if err != nil && !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
			return nil, fmt.Errorf("canary %s/%s: read: %w", canary.Namespace, canary.Name, err)
		}
		target, kind := rendering.Targets[i].Deployment.Name, rendering.Targets[i].Kind()
		ready, err := r.primaryReady(ctx, kind, canary.Namespace, target, canary.Spec.Analysis.PrimaryReadyThreshold)
		if err != nil {
			return nil, err
		}
		record, err := r.applier.ReadWorkloadRecord(ctx, kind, client.ObjectKey{Namespace: canary.Namespace, Name: applier.PrimaryName(target)})
		if err != nil {
			return nil, err
		}
		observations[i] = planner.SyncObservation{
			Name: canary.Name, Namespace: canary.Namespace,
			Status:   live.Status,
			Revision: rendering.Targets[i].Revision, Commit: commit,
			PrimaryReady: ready,
			Primary:      planner.PrimaryRecord(record),
			Suspended:    canary.Spec.Suspend,
			Now:          r.opts.Now(),
		}
	}
	return observations, nil
}

// primaryReady reports whether <target>-primary exists and has rolled out,
// threshold percent of its replicas available (nil means all of them). Why
// it is not is logged when that changes.
func (r *Reconciler) primaryReady(ctx context.Context, kind, namespace, target string, threshold *int32) (bool, error) {
	key := client.ObjectKey{Namespace: namespace, Name: applier.PrimaryName(target)}
	err := r.applier.WorkloadReadyAt(ctx, kind, key, readyThreshold(threshold))
	var notReady *applier.NotReadyError
	switch {
	case err == nil:
		delete(r.waitingFor, key)
		return true, nil
	case errors.As(err, &notReady):
		if reason := notReady.Error(); r.waitingFor[key] != reason {
			r.waitingFor[key] = reason
			r.opts.Log.Info(reason)
		}
		return false, nil
	case apierrors.IsNotFound(errors.Unwrap(err)):
		return false, nil
	default:
		return false, err
	}
}

// withTypeMeta returns d with apiVersion and kind set, as apply needs them.
func withTypeMeta(d *appsv1.Deployment) *appsv1.Deployment {
	d = d.DeepCopy()
	d.TypeMeta = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}
	return d
}
