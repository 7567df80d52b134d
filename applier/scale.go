package applier

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Scale sets the replicas of a Deployment, leaving the rest of it as it
// is: the canary is scaled up for a rollout and down to zero after it
// without its pod template being rewritten. It writes nothing when the
// Deployment already asks for replicas, so it is idempotent. A missing
// Deployment is an error that satisfies apierrors.IsNotFound once
// unwrapped.
func (a *Applier) Scale(ctx context.Context, key client.ObjectKey, replicas int32) (Changes, error) {
	var deploy appsv1.Deployment
	if err := a.client.Get(ctx, key, &deploy); err != nil {
		return nil, fmt.Errorf("applier: scale deployment %s: %w", key, err)
	}
	subject := "Deployment/" + key.Namespace + "/" + key.Name
	if deploy.Spec.Replicas != nil && *deploy.Spec.Replicas == replicas {
		return Changes{{Subject: subject, Action: Unchanged}}, nil
	}
	patch := client.MergeFrom(deploy.DeepCopy())
	deploy.Spec.Replicas = &replicas
	if err := a.client.Patch(ctx, &deploy, patch, client.FieldOwner(FieldManager)); err != nil {
		return nil, fmt.Errorf("applier: scale deployment %s to %d: %w", key, replicas, err)
	}
	return Changes{{Subject: subject, Action: Configured}}, nil
}

// Replicas returns the replicas a Deployment asks for (1 when unset), or
// an error that satisfies apierrors.IsNotFound once unwrapped when it does
// not exist.
func (a *Applier) Replicas(ctx context.Context, key client.ObjectKey) (int32, error) {
	var deploy appsv1.Deployment
	if err := a.client.Get(ctx, key, &deploy); err != nil {
		return 0, fmt.Errorf("applier: read deployment %s: %w", key, err)
	}
	if deploy.Spec.Replicas == nil {
		return 1, nil
	}
	return *deploy.Spec.Replicas, nil
}
