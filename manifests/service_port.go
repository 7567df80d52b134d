package manifests

import (
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkTargetPort refuses a Canary whose spec.service.targetPort names a
// port that no container of its target declares: its Services would
// forward to nothing, the primary's included, so the commit is refused
// before anything is applied. A numeric targetPort is not checked: a
// container may listen on a port it does not declare.
func checkTargetPort(c canary, deployment *appsv1.Deployment) error {
	port := c.policy.Spec.Service.TargetPort
	if port.Type != intstr.String {
		return nil
	}
	spec := deployment.Spec.Template.Spec
	for _, container := range slices.Concat(spec.InitContainers, spec.Containers) {
		if slices.ContainsFunc(container.Ports, func(p corev1.ContainerPort) bool { return p.Name == port.StrVal }) {
			return nil
		}
	}
	return &InvalidError{Object: describe("canary", c.object), Field: "spec.service.targetPort",
		Reason: fmt.Sprintf("no container of %s %s has a port named %q", c.policy.Spec.TargetRef.Kind, deployment.Name, port.StrVal)}
}
