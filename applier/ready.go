package applier

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// NotReadyError says why a Deployment is not ready yet, in Flagger's words:
// "detail-primary.flagger not ready: waiting for rollout to finish: 1 of 2
// updated replicas are available".
type NotReadyError struct {
	Name, Namespace, Reason string
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("%s.%s not ready: %s", e.Name, e.Namespace, e.Reason)
}

// DeploymentReady returns nil when the Deployment's controller has seen its
// latest spec and every desired replica is updated and available, a
// *NotReadyError while the rollout goes on, and another error when the
// Deployment cannot be read.
func (a *Applier) DeploymentReady(ctx context.Context, key client.ObjectKey) error {
	var deploy appsv1.Deployment
	if err := a.client.Get(ctx, key, &deploy); err != nil {
		return fmt.Errorf("applier: read deployment %s: %w", key, err)
	}
	if reason := rolloutPending(&deploy); reason != "" {
		return &NotReadyError{Name: key.Name, Namespace: key.Namespace, Reason: reason}
	}
	return nil
}

// rolloutPending returns why the Deployment's rollout is not finished, or ""
// when it is.
func rolloutPending(d *appsv1.Deployment) string {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	switch {
	case st.ObservedGeneration < d.Generation:
		return "waiting for rollout to finish: observed deployment generation less than desired generation"
	case st.UpdatedReplicas < want:
		return fmt.Sprintf("waiting for rollout to finish: %d out of %d new replicas have been updated", st.UpdatedReplicas, want)
	case st.Replicas > st.UpdatedReplicas:
		return fmt.Sprintf("waiting for rollout to finish: %d old replicas are pending termination", st.Replicas-st.UpdatedReplicas)
	case st.AvailableReplicas < st.UpdatedReplicas:
		return fmt.Sprintf("waiting for rollout to finish: %d of %d updated replicas are available", st.AvailableReplicas, st.UpdatedReplicas)
	}
	return ""
}
