package applier

import (
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Services returns the Services of canary, whose target is target: the
// apex Service (canary.ApexServiceName()) and <apex>-primary, which select
// the primary pods, and <apex>-canary, which selects the canary's.
//
// Each has the port spec.service.port, named portName (http when empty),
// to targetPort (a number or the name of a container port; port when
// empty), with spec.service.appProtocol; with portDiscovery, every other
// container port of the target too (see discoveredPorts). The labels and
// annotations of spec.service.apex, .primary and .canary go on their
// Service, sluice's own labels winning over them; spec.service.
// trafficDistribution goes on all three.
func Services(canary *v1alpha1.Canary, target *appsv1.Deployment) []*corev1.Service {
	selector := target.Spec.Selector.MatchLabels
	ports := servicePorts(canary.Spec.Service, target)
	service := func(name string, selects map[string]string, metadata *v1alpha1.CustomMetadata) *corev1.Service {
		svc := &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: target.Namespace},
			Spec: corev1.ServiceSpec{
				Selector: selects,
				Ports:    append([]corev1.ServicePort(nil), ports...),
			},
		}
		if distribution := canary.Spec.Service.TrafficDistribution; distribution != "" {
			svc.Spec.TrafficDistribution = &distribution
		}
		svc.Labels, svc.Annotations = withCustomMetadata(routeLabels(), metadata)
		return svc
	}
	apex, spec := canary.ApexServiceName(), canary.Spec.Service
	primarySelector := primaryLabels(selector, selector)
	return []*corev1.Service{
		service(apex, primarySelector, spec.Apex),
		service(PrimaryName(apex), primarySelector, spec.Primary),
		service(CanaryServiceName(apex), maps.Clone(selector), spec.Canary),
	}
}

// withCustomMetadata returns the labels and annotations of a generated
// object: those of metadata (nil for none), with own's labels over them.
func withCustomMetadata(own map[string]string, metadata *v1alpha1.CustomMetadata) (labels, annotations map[string]string) {
	labels = map[string]string{}
	if metadata != nil {
		maps.Copy(labels, metadata.Labels)
		annotations = maps.Clone(metadata.Annotations)
	}
	maps.Copy(labels, own)
	return labels, annotations
}

// servicePorts returns the ports of the Services: spec.service.port
// first, then, with portDiscovery, the discovered ones.
func servicePorts(service v1alpha1.CanaryService, target *appsv1.Deployment) []corev1.ServicePort {
	targetPort := service.TargetPort
	if targetPort.Type == intstr.Int && targetPort.IntVal == 0 {
		targetPort = intstr.FromInt32(service.Port)
	}
	name := service.PortName
	if name == "" {
		name = v1alpha1.DefaultPortName
	}
	main := corev1.ServicePort{Name: name, Port: service.Port, Protocol: corev1.ProtocolTCP, TargetPort: targetPort}
	if service.AppProtocol != "" {
		main.AppProtocol = &service.AppProtocol
	}
	ports := []corev1.ServicePort{main}
	if service.PortDiscovery {
		ports = append(ports, discoveredPorts(target, main)...)
	}
	return ports
}

// meshSidecars are the containers whose ports port discovery skips, as
// Flagger does: the mesh's proxies, not the application.
var meshSidecars = map[string]bool{"istio-proxy": true, "envoy": true}

// discoveredPorts returns, as Flagger's portDiscovery does, a Service
// port for every port of the target's containers (mesh sidecars
// excepted) but the one main forwards to: named as the container port, or
// tcp-<container>-<index> when it has no name, on its own number, with
// its protocol (TCP when unset; Flagger writes TCP for every port). A
// port whose name, or whose number and protocol, another port of the
// Service already has is left out: the API server would refuse the
// Service.
func discoveredPorts(target *appsv1.Deployment, main corev1.ServicePort) []corev1.ServicePort {
	type numbered struct {
		port     int32
		protocol corev1.Protocol
	}
	names := map[string]bool{main.Name: true}
	numbers := map[numbered]bool{{main.Port, main.Protocol}: true}
	var out []corev1.ServicePort
	for _, container := range target.Spec.Template.Spec.Containers {
		if meshSidecars[container.Name] {
			continue
		}
		for i, p := range container.Ports {
			if forwardsTo(main.TargetPort, p) {
				continue
			}
			name := p.Name
			if name == "" {
				name = fmt.Sprintf("tcp-%s-%d", container.Name, i)
			}
			protocol := p.Protocol
			if protocol == "" {
				protocol = corev1.ProtocolTCP
			}
			key := numbered{p.ContainerPort, protocol}
			if names[name] || numbers[key] {
				continue
			}
			names[name], numbers[key] = true, true
			out = append(out, corev1.ServicePort{Name: name, Port: p.ContainerPort, Protocol: protocol, TargetPort: intstr.FromInt32(p.ContainerPort)})
		}
	}
	return out
}

// forwardsTo reports whether a Service port with targetPort forwards to
// the container port p: by number, or by name for a named targetPort.
func forwardsTo(targetPort intstr.IntOrString, p corev1.ContainerPort) bool {
	if targetPort.Type == intstr.String {
		return p.Name == targetPort.StrVal
	}
	return p.ContainerPort == targetPort.IntVal
}
