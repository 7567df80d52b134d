package applier

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// TestRolloutPendingHonoursTheReadyThreshold judges rolloutPending against
// Deployment statuses written by hand: a Canary's primaryReadyThreshold or
// canaryReadyThreshold is the share of the updated replicas that must be
// available, rounded up; the wording of a wait stays Flagger's.
func TestRolloutPendingHonoursTheReadyThreshold(t *testing.T) {
	deployment := func(replicas, updated, available int32) *appsv1.Deployment {
		d := &appsv1.Deployment{}
		d.Generation = 2
		d.Spec.Replicas = &replicas
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: updated, UpdatedReplicas: updated, AvailableReplicas: available}
		return d
	}
	tests := []struct {
		name      string
		d         *appsv1.Deployment
		threshold int32
		want      string
	}{
		{"every replica available is ready", deployment(2, 2, 2), 100, ""},
		{"1 of 2 available is not ready at the default threshold", deployment(2, 2, 1), 100,
			"waiting for rollout to finish: 1 of 2 updated replicas are available"},
		{"1 of 2 available is ready at threshold 50", deployment(2, 2, 1), 50, ""},
		{"0 of 2 available is not ready at threshold 50, in the same words", deployment(2, 2, 0), 50,
			"waiting for rollout to finish: 0 of 2 updated replicas are available"},
		{"the share is rounded up: 1 of 3 is not 50%", deployment(3, 3, 1), 50,
			"waiting for rollout to finish: 1 of 3 updated replicas are available"},
		{"2 of 3 is 50%", deployment(3, 3, 2), 50, ""},
		{"a threshold of 1% still needs one available replica", deployment(2, 2, 0), 1,
			"waiting for rollout to finish: 0 of 2 updated replicas are available"},
		{"a threshold of 1% is met by one", deployment(10, 10, 1), 1, ""},
		{"no threshold (0) means 100", deployment(2, 2, 1), 0,
			"waiting for rollout to finish: 1 of 2 updated replicas are available"},
		{"a Deployment scaled to zero is ready", deployment(0, 0, 0), 50, ""},
		{"a threshold does not excuse replicas not yet updated", deployment(2, 1, 1), 50,
			"waiting for rollout to finish: 1 out of 2 new replicas have been updated"},
		{"nor old replicas still running", func() *appsv1.Deployment {
			d := deployment(2, 2, 2)
			d.Status.Replicas = 3
			return d
		}(), 50, "waiting for rollout to finish: 1 old replicas are pending termination"},
		{"nor a spec the controller has not seen", func() *appsv1.Deployment {
			d := deployment(2, 2, 2)
			d.Generation = 3
			return d
		}(), 50, "waiting for rollout to finish: observed deployment generation less than desired generation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rolloutPending(tt.d, tt.threshold); got != tt.want {
				t.Errorf("rolloutPending(threshold %d) = %q, want %q", tt.threshold, got, tt.want)
			}
		})
	}
}
