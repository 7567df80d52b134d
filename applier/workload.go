package applier

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The workload functions take the kind of a Canary's target (Deployment
// or DaemonSet, see v1alpha1.TargetRef) and act on the Deployment or
// DaemonSet key names: the canary or its primary.

// WorkloadReadyAt is DeploymentReadyAt or DaemonSetReadyAt.
func (a *Applier) WorkloadReadyAt(ctx context.Context, kind string, key client.ObjectKey, threshold int32) error {
	if kind == "DaemonSet" {
		return a.DaemonSetReadyAt(ctx, key, threshold)
	}
	return a.DeploymentReadyAt(ctx, key, threshold)
}

// WorkloadReplicas is Replicas for a Deployment; a DaemonSet, which runs
// a pod per node, counts 1 when scaled up and 0 at rest (see
// ScaleDaemonSet). A missing one is an error that satisfies
// apierrors.IsNotFound once unwrapped.
func (a *Applier) WorkloadReplicas(ctx context.Context, kind string, key client.ObjectKey) (int32, error) {
	if kind != "DaemonSet" {
		return a.Replicas(ctx, key)
	}
	var ds appsv1.DaemonSet
	if err := a.client.Get(ctx, key, &ds); err != nil {
		return 0, fmt.Errorf("applier: read daemonset %s: %w", key, err)
	}
	if DaemonSetScaledUp(&ds) {
		return 1, nil
	}
	return 0, nil
}

// ScaleWorkload is Scale for a Deployment; a DaemonSet is scaled up for
// any replicas above zero and down for zero (see ScaleDaemonSet).
func (a *Applier) ScaleWorkload(ctx context.Context, kind string, key client.ObjectKey, replicas int32) (Changes, error) {
	if kind == "DaemonSet" {
		return a.ScaleDaemonSet(ctx, key, replicas > 0)
	}
	return a.Scale(ctx, key, replicas)
}
