package applier_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// shopDeployment is a target with several containers and ports: the app
// serving http (8080) and metrics (9090), and a UDP port without a name;
// a sidecar whose ports clash with the Service's by name (metrics) and
// by number (80); Envoy, whose ports port discovery skips.
const shopDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: detail, namespace: NS}
spec:
  replicas: 1
  selector: {matchLabels: {app: detail}}
  template:
    metadata: {labels: {app: detail}}
    spec:
      containers:
      - name: app
        image: detail:1.0
        ports:
        - {name: http, containerPort: 8080}
        - {name: metrics, containerPort: 9090}
        - {containerPort: 7070, protocol: UDP}
      - name: sidecar
        image: sidecar:1.0
        ports:
        - {name: metrics, containerPort: 9091}
        - {containerPort: 80}
      - name: envoy
        image: envoy:1.0
        ports:
        - {name: admin, containerPort: 15000}
`

// shopCanary is the Canary of shopDeployment with Flagger's Service
// options: a name of its own, a named targetPort, appProtocol, port
// discovery and metadata for each Service.
func shopCanary(ns string) *v1alpha1.Canary {
	canary := detailCanary(ns, v1alpha1.ProviderGatewayAPI)
	s := &canary.Spec.Service
	s.Name, s.Port, s.TargetPort = "shop", 80, intstr.FromString("http")
	s.AppProtocol, s.PortDiscovery = "kubernetes.io/h2c", true
	s.Apex = &v1alpha1.CustomMetadata{
		Labels:      map[string]string{"tier": "web", "app.kubernetes.io/managed-by": "someone-else"},
		Annotations: map[string]string{"example.com/exposed": "true"},
	}
	s.Primary = &v1alpha1.CustomMetadata{Annotations: map[string]string{"example.com/role": "primary"}}
	s.Canary = &v1alpha1.CustomMetadata{Labels: map[string]string{"role": "canary"}}
	return canary
}

// liveService reads the Service name of ns.
func liveService(t *testing.T, ns, name string) *corev1.Service {
	t.Helper()
	var svc corev1.Service
	if err := playgroundtest.Client().Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &svc); err != nil {
		t.Fatalf("read service %s: %v", name, err)
	}
	return &svc
}

func TestServicesTakeFlaggersServiceOptions(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	target := objects(t, ns, shopDeployment)[0]
	var deployment appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(target.Object, &deployment); err != nil {
		t.Fatal(err)
	}
	services := applier.Services(shopCanary(ns), &deployment)
	objs, err := applier.ToUnstructured(services[0], services[1], services[2])
	if err != nil {
		t.Fatal(err)
	}
	// The API server refuses a Service with two ports of one name, or of
	// one number and protocol: the sidecar's are left out.
	if _, err := a.Apply(ctx, append(objs, target)); err != nil {
		t.Fatal(err)
	}

	h2c := "kubernetes.io/h2c"
	wantPorts := []corev1.ServicePort{
		{Name: "http", Protocol: corev1.ProtocolTCP, AppProtocol: &h2c, Port: 80, TargetPort: intstr.FromString("http")},
		{Name: "metrics", Protocol: corev1.ProtocolTCP, Port: 9090, TargetPort: intstr.FromInt32(9090)},
		{Name: "tcp-app-2", Protocol: corev1.ProtocolUDP, Port: 7070, TargetPort: intstr.FromInt32(7070)},
	}
	sluice := map[string]string{"app.kubernetes.io/managed-by": "sluice"}
	want := []struct {
		name        string
		selector    map[string]string
		labels      map[string]string
		annotations map[string]string
	}{
		{"shop", map[string]string{"app": "detail-primary"}, map[string]string{"tier": "web"}, map[string]string{"example.com/exposed": "true"}},
		{"shop-primary", map[string]string{"app": "detail-primary"}, nil, map[string]string{"example.com/role": "primary"}},
		{"shop-canary", map[string]string{"app": "detail"}, map[string]string{"role": "canary"}, nil},
	}
	for _, w := range want {
		t.Run(w.name, func(t *testing.T) {
			svc := liveService(t, ns, w.name)
			if diff := cmp.Diff(wantPorts, svc.Spec.Ports); diff != "" {
				t.Errorf("ports (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(w.selector, svc.Spec.Selector); diff != "" {
				t.Errorf("selector (-want +got):\n%s", diff)
			}
			// sluice's labels win over the Canary's.
			for key, value := range sluice {
				if svc.Labels[key] != value {
					t.Errorf("label %s = %q, want %q", key, svc.Labels[key], value)
				}
			}
			for key, value := range w.labels {
				if svc.Labels[key] != value {
					t.Errorf("label %s = %q, want %q (labels %v)", key, svc.Labels[key], value, svc.Labels)
				}
			}
			for key, value := range w.annotations {
				if svc.Annotations[key] != value {
					t.Errorf("annotation %s = %q, want %q (annotations %v)", key, svc.Annotations[key], value, svc.Annotations)
				}
			}
		})
	}
	// The Services are named after service.name, not the target.
	for _, name := range []string{"detail", "detail-primary", "detail-canary"} {
		var svc corev1.Service
		if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &svc); err == nil {
			t.Errorf("service %s exists, want the Services named after service.name only", name)
		}
	}
}

func TestServicesWithoutPortDiscoveryExposeThePortOnly(t *testing.T) {
	ns := "flagger"
	target := objects(t, ns, shopDeployment)[0]
	var deployment appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(target.Object, &deployment); err != nil {
		t.Fatal(err)
	}
	canary := shopCanary(ns)
	canary.Spec.Service.PortDiscovery, canary.Spec.Service.AppProtocol = false, ""
	for _, svc := range applier.Services(canary, &deployment) {
		want := []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromString("http")}}
		if diff := cmp.Diff(want, svc.Spec.Ports); diff != "" {
			t.Errorf("service %s ports (-want +got):\n%s", svc.Name, diff)
		}
	}
}

// Flagger's service.trafficDistribution goes on all three Services, and
// the API server keeps it.
func TestServicesCarryTheTrafficDistribution(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	target := objects(t, ns, shopDeployment)[0]
	var deployment appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(target.Object, &deployment); err != nil {
		t.Fatal(err)
	}
	canary := shopCanary(ns)
	canary.Spec.Service.PortDiscovery = false
	canary.Spec.Service.TrafficDistribution = corev1.ServiceTrafficDistributionPreferClose
	c := playgroundtest.Client()
	for _, svc := range applier.Services(canary, &deployment) {
		if err := c.Create(context.Background(), svc); err != nil {
			t.Fatalf("create %s: %v", svc.Name, err)
		}
		var live corev1.Service
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(svc), &live); err != nil {
			t.Fatal(err)
		}
		if d := live.Spec.TrafficDistribution; d == nil || *d != corev1.ServiceTrafficDistributionPreferClose {
			t.Errorf("service %s trafficDistribution %v, want PreferClose", svc.Name, d)
		}
	}
}
