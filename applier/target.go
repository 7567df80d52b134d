package applier

import (
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// RevisionAnnotation records on the primary the target revision it runs.
const RevisionAnnotation = "sluice.dev/revision"

// CommitAnnotation records on the primary the commit its revision was
// promoted (or first installed) from.
const CommitAnnotation = "sluice.dev/commit"

// PrimaryName is the name of the primary Deployment and Service of target.
func PrimaryName(target string) string { return target + "-primary" }

// CanaryServiceName is the name of the Service selecting the canary pods.
func CanaryServiceName(target string) string { return target + "-canary" }

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

// Services returns the apex Service <target> and <target>-primary, which
// select the primary pods, and <target>-canary, which selects the canary's.
func Services(canary *v1alpha1.Canary, target *appsv1.Deployment) []*corev1.Service {
	selector := target.Spec.Selector.MatchLabels
	port := canary.Spec.Service
	targetPort := port.TargetPort
	if targetPort.Type == intstr.Int && targetPort.IntVal == 0 {
		targetPort = intstr.FromInt32(port.Port)
	}
	portName := port.PortName
	if portName == "" {
		portName = "http"
	}
	service := func(name string, selects map[string]string) *corev1.Service {
		return &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: target.Namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": "sluice"}},
			Spec: corev1.ServiceSpec{
				Selector: selects,
				Ports: []corev1.ServicePort{{
					Name: portName, Port: port.Port, Protocol: corev1.ProtocolTCP,
					TargetPort: targetPort,
				}},
			},
		}
	}
	primarySelector := primaryLabels(selector, selector)
	return []*corev1.Service{
		service(target.Name, primarySelector),
		service(PrimaryName(target.Name), primarySelector),
		service(CanaryServiceName(target.Name), maps.Clone(selector)),
	}
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
