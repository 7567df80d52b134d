package applier

import (
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// RevisionAnnotation records on the primary the target revision it runs.
const RevisionAnnotation = "sluice.dev/revision"

// CommitAnnotation records on the primary the commit its revision was
// promoted (or first installed) from.
const CommitAnnotation = "sluice.dev/commit"

// PrimaryName is the name of the primary Deployment of target, and of the
// primary Service of an apex Service (see v1alpha1.Canary.ApexServiceName).
func PrimaryName(name string) string { return name + "-primary" }

// CanaryServiceName is the name of the Service selecting the canary pods,
// given the apex Service's name.
func CanaryServiceName(apex string) string { return apex + "-canary" }

// Primary returns the primary Deployment derived from the rendered target:
// named <target>-primary, with every selector label value suffixed with
// -primary (in the selector and the pod template) so that primary and canary
// pods never match each other's selector, the target's replicas (1 when
// unset), the commit in CommitAnnotation (when not empty), the revision
// recorded in RevisionAnnotation on the Deployment and
// on its pod template (so that a change of config data alone rolls the
// primary's pods), and every reference to a tracked config pointed at its
// -primary copy (see PrimaryConfigs). A selector with matchExpressions is
// refused: sluice cannot rewrite it safely.
func Primary(target *appsv1.Deployment, revision, commit string, tracked []TrackedConfig) (*appsv1.Deployment, error) {
	if target.Spec.Selector == nil || len(target.Spec.Selector.MatchLabels) == 0 {
		return nil, fmt.Errorf("deployment %s/%s: spec.selector.matchLabels is empty", target.Namespace, target.Name)
	}
	if len(target.Spec.Selector.MatchExpressions) > 0 {
		return nil, fmt.Errorf("deployment %s/%s: spec.selector.matchExpressions is not supported for a Canary target", target.Namespace, target.Name)
	}
	primary := &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        PrimaryName(target.Name),
			Namespace:   target.Namespace,
			Labels:      primaryLabels(target.Labels, target.Spec.Selector.MatchLabels),
			Annotations: map[string]string{RevisionAnnotation: revision},
		},
		Spec: *target.Spec.DeepCopy(),
	}
	if commit != "" {
		primary.Annotations[CommitAnnotation] = commit
	}
	primary.Spec.Selector = &metav1.LabelSelector{MatchLabels: primaryLabels(target.Spec.Selector.MatchLabels, target.Spec.Selector.MatchLabels)}
	primary.Spec.Template.Labels = primaryLabels(target.Spec.Template.Labels, target.Spec.Selector.MatchLabels)
	primary.Spec.Template.Annotations = maps.Clone(primary.Spec.Template.Annotations)
	if primary.Spec.Template.Annotations == nil {
		primary.Spec.Template.Annotations = map[string]string{}
	}
	primary.Spec.Template.Annotations[RevisionAnnotation] = revision
	usePrimaryConfigs(&primary.Spec.Template.Spec, tracked)
	if primary.Spec.Replicas == nil {
		one := int32(1)
		primary.Spec.Replicas = &one
	}
	return primary, nil
}

// primaryLabels returns labels with the value of every selector key
// suffixed with -primary.
func primaryLabels(labels, selector map[string]string) map[string]string {
	out := maps.Clone(labels)
	if out == nil {
		out = map[string]string{}
	}
	for key, value := range selector {
		if out[key] == value {
			out[key] = value + "-primary"
		}
	}
	return out
}

// ScaledToZero returns a copy of the rendered target with no replicas: the
// canary Deployment rests at zero between rollouts.
func ScaledToZero(target *appsv1.Deployment) *appsv1.Deployment {
	scaled := target.DeepCopy()
	zero := int32(0)
	scaled.Spec.Replicas = &zero
	return scaled
}

// ToUnstructured converts typed objects, whose TypeMeta must be set, for Apply.
func ToUnstructured(objects ...runtime.Object) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(objects))
	for _, obj := range objects {
		content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, fmt.Errorf("applier: convert %T: %w", obj, err)
		}
		u := &unstructured.Unstructured{Object: content}
		unstructured.RemoveNestedField(u.Object, "status")
		unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
		out = append(out, u)
	}
	return out, nil
}
