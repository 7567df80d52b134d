package applier

import (
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// PrimaryAutoscalerName is the name of the primary's copy of the
// HorizontalPodAutoscaler name.
func PrimaryAutoscalerName(name string) string { return name + "-primary" }

// PrimaryAutoscaler returns the primary's copy of the target's
// HorizontalPodAutoscaler hpa, as Flagger makes it: named
// PrimaryAutoscalerName, in the same namespace with the same labels,
// scaling PrimaryName of the Deployment hpa scales, with the same metrics
// and behavior, and the minReplicas and maxReplicas of bounds where they
// are set (nil bounds, or a nil field, keeps hpa's). It has no
// annotations, status or server fields. hpa is not modified.
func PrimaryAutoscaler(hpa *autoscalingv2.HorizontalPodAutoscaler, bounds *v1alpha1.ScalerReplicas) *autoscalingv2.HorizontalPodAutoscaler {
	spec := hpa.Spec.DeepCopy()
	spec.ScaleTargetRef.Name = PrimaryName(spec.ScaleTargetRef.Name)
	if bounds != nil && bounds.MinReplicas != nil {
		spec.MinReplicas = new(*bounds.MinReplicas)
	}
	if bounds != nil && bounds.MaxReplicas != nil {
		spec.MaxReplicas = *bounds.MaxReplicas
	}
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      PrimaryAutoscalerName(hpa.Name),
			Namespace: hpa.Namespace,
			Labels:    maps.Clone(hpa.Labels),
		},
		Spec: *spec,
	}
}

// PrimaryReplicas returns the replicas to apply to a primary Deployment
// that the HorizontalPodAutoscaler primaryHPA (its PrimaryAutoscaler)
// scales: live, the count the primary asks for now, which is the
// autoscaler's to change; or, for a primary not made yet (live nil), the
// target's replicas (1 when unset or zero) brought within the autoscaler's
// bounds (a minReplicas unset is 1).
func PrimaryReplicas(target *appsv1.Deployment, primaryHPA *autoscalingv2.HorizontalPodAutoscaler, live *int32) int32 {
	if live != nil {
		return *live
	}
	replicas := int32(1)
	if target.Spec.Replicas != nil && *target.Spec.Replicas > 0 {
		replicas = *target.Spec.Replicas
	}
	low := int32(1)
	if primaryHPA.Spec.MinReplicas != nil {
		low = *primaryHPA.Spec.MinReplicas
	}
	return max(low, min(replicas, primaryHPA.Spec.MaxReplicas))
}

// CanaryReplicas returns the replicas that a canary Deployment, which the
// target's HorizontalPodAutoscaler hpa scales, starts a rollout with, as
// Flagger scales it up from zero: the target's when Git sets more than
// zero, else hpa's minReplicas (1 when unset). An autoscaler does not act
// on a Deployment at zero, so the count comes from here.
func CanaryReplicas(target *appsv1.Deployment, hpa *autoscalingv2.HorizontalPodAutoscaler) int32 {
	switch {
	case target.Spec.Replicas != nil && *target.Spec.Replicas > 0:
		return *target.Spec.Replicas
	case hpa.Spec.MinReplicas != nil && *hpa.Spec.MinReplicas > 0:
		return *hpa.Spec.MinReplicas
	}
	return 1
}
