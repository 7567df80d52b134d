package reconciler

import (
	"context"
	"errors"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
)

// primaryAutoscaler returns the primary's copy of the autoscaler that the
// Canary's spec.autoscalerRef names, with its primaryScalerReplicas; nil
// when it names none.
func primaryAutoscaler(canary *v1alpha1.Canary, target manifests.Target) *autoscalingv2.HorizontalPodAutoscaler {
	if target.Autoscaler == nil {
		return nil
	}
	var bounds *v1alpha1.ScalerReplicas
	if ref := canary.Spec.AutoscalerRef; ref != nil {
		bounds = ref.PrimaryScalerReplicas
	}
	return applier.PrimaryAutoscaler(target.Autoscaler, bounds)
}

// scaledReplicas returns the replicas to give the primary of a target
// that has an autoscaler (applier.PrimaryReplicas: live, the count it
// runs now, when it exists); nil when the target has none, and the
// primary takes the target's count.
func scaledReplicas(canary *v1alpha1.Canary, target manifests.Target, live *int32) *int32 {
	scaler := primaryAutoscaler(canary, target)
	if scaler == nil {
		return nil
	}
	return new(applier.PrimaryReplicas(target.Deployment, scaler, live))
}

// liveReplicas reads, for each target of the rendering that has an
// autoscaler, the replicas its primary asks for: the autoscaler's count,
// which applying the primary must keep. Index i is for rendering.Targets[i];
// nil for a target without an autoscaler or whose primary does not exist.
func (r *Reconciler) liveReplicas(ctx context.Context, rendering *manifests.Rendering) ([]*int32, error) {
	live := make([]*int32, len(rendering.Targets))
	for i, target := range rendering.Targets {
		if target.Autoscaler == nil {
			continue
		}
		replicas, err := r.primaryReplicas(ctx, target)
		if err != nil {
			return nil, err
		}
		live[i] = replicas
	}
	return live, nil
}

// primaryReplicas reads the replicas the primary of target asks for; nil
// when it does not exist.
func (r *Reconciler) primaryReplicas(ctx context.Context, target manifests.Target) (*int32, error) {
	key := client.ObjectKey{Namespace: target.Deployment.Namespace, Name: applier.PrimaryName(target.Deployment.Name)}
	replicas, err := r.applier.Replicas(ctx, key)
	switch {
	case apierrors.IsNotFound(errors.Unwrap(err)):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &replicas, nil
}
