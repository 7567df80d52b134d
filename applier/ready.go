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

// DeploymentReady is DeploymentReadyAt with a threshold of 100: every
// updated replica must be available.
func (a *Applier) DeploymentReady(ctx context.Context, key client.ObjectKey) error {
	return a.DeploymentReadyAt(ctx, key, 100)
}

// DeploymentReadyAt returns nil when the Deployment's controller has seen
// its latest spec, every desired replica is updated and at least threshold
// percent of the updated replicas are available (rounded up, so at least
// one of any), a *NotReadyError while the rollout goes on, and another
// error when the Deployment cannot be read. A threshold outside 1..100
// means 100. It is a Canary's primaryReadyThreshold or
// canaryReadyThreshold.
func (a *Applier) DeploymentReadyAt(ctx context.Context, key client.ObjectKey, threshold int32) error {
	var deploy appsv1.Deployment
	if err := a.client.Get(ctx, key, &deploy); err != nil {
		return fmt.Errorf("applier: read deployment %s: %w", key, err)
	}
	if reason := rolloutPending(&deploy, threshold); reason != "" {
		return &NotReadyError{Name: key.Name, Namespace: key.Namespace, Reason: reason}
	}
	return nil
}

// rolloutPending returns why the Deployment's rollout is not finished, or ""
// when it is, threshold percent of the updated replicas being enough.
func rolloutPending(d *appsv1.Deployment, threshold int32) string {
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
	case st.AvailableReplicas < availableNeeded(st.UpdatedReplicas, threshold):
		return fmt.Sprintf("waiting for rollout to finish: %d of %d updated replicas are available", st.AvailableReplicas, st.UpdatedReplicas)
	}
	return ""
}

// availableNeeded is threshold percent of updated, rounded up: a threshold
// never lets a Deployment with updated replicas count as ready with none
// available (Flagger rounds down, so 1% of 2 needs none). A threshold
// outside 1..100 means 100.
func availableNeeded(updated, threshold int32) int32 {
	if threshold < 1 || threshold > 100 {
		threshold = 100
	}
	return int32((int64(updated)*int64(threshold) + 99) / 100)
}
