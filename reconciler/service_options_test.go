package reconciler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// shopDeploymentYAML is the detail app serving on a named port, http,
// with a metrics port beside it.
func shopDeploymentYAML(tag string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: detail}
spec:
  replicas: 2
  selector: {matchLabels: {app: detail}}
  template:
    metadata: {labels: {app: detail}}
    spec:
      containers:
      - name: detail
        image: public.ecr.aws/u2g6w7p2/eks-workshop-demo/detail:` + tag + `
        ports: [{name: http, containerPort: 3000}, {name: metrics, containerPort: 9797}]
`
}

// shopCanaryYAML is a Canary as Flagger's Gateway API tutorial writes one,
// with every Service option of Flagger's that sluice builds for
// gatewayapi: the Services are named shop, the port is the container's
// by name, and the route has a listener, timeouts, a match, a rewrite and
// header filters. Its one metric passes only if {{ service }} is shop.
func shopCanaryYAML(webhookURL string) string {
	return `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: detail}
spec:
  provider: gatewayapi:v1
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  progressDeadlineSeconds: 60
  service:
    name: shop
    port: 80
    targetPort: http
    portName: web
    appProtocol: http
    portDiscovery: true
    timeout: 30s
    backendTimeout: 10s
    hosts: [shop.example.com]
    gatewayRefs:
    - {name: public, namespace: gateway, group: gateway.networking.k8s.io, kind: Gateway, sectionName: http, port: 80}
    match:
    - uri: {prefix: /catalogDetail}
      headers: {x-tenant: {regex: "^a.*"}}
    rewrite: {uri: /catalogDetail, authority: shop.internal}
    headers:
      request: {set: {x-via: sluice}, remove: [x-debug]}
      response: {add: {x-served-by: shop}}
    apex: {labels: {tier: web}, annotations: {example.com/exposed: "true"}}
    primary: {annotations: {example.com/role: primary}}
    canary: {labels: {role: canary}}
  analysis:
    interval: 1s
    threshold: 1
    stepWeight: 50
    maxWeight: 50
    metrics:
    - name: the-service-is-shop
      thresholdRange: {min: 1}
      interval: 10s
      query: |
        count(label_replace(vector(1), "service", "{{ service }}", "", "")
          and on(service) label_replace(vector(1), "service", "shop", "", ""))
    webhooks:
    - {name: gate, type: pre-rollout, url: "` + webhookURL + `"}
`
}

// httpRouteNamed reads the HTTPRoute name of the harness's namespace.
func (h *harness) httpRouteNamed(name string) (*gatewayv1.HTTPRoute, error) {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute"))
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: name}, live); err != nil {
		return nil, err
	}
	var route gatewayv1.HTTPRoute
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(live.Object, &route); err != nil {
		return nil, err
	}
	return &route, nil
}

// weightsOf returns the backendRefs of the route's first rule as
// "name:port=weight".
func weightsOf(route *gatewayv1.HTTPRoute) []string {
	var out []string
	for _, ref := range route.Spec.Rules[0].BackendRefs {
		out = append(out, fmt.Sprintf("%s:%d=%d", ref.Name, ptr.Deref(ref.Port, 0), ptr.Deref(ref.Weight, 1)))
	}
	return out
}

func TestAFlaggerGatewayAPICanaryWithServiceOptionsSyncsAndPromotes(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	repo.commit("detail 1.0", map[string]*string{
		"kustomization.yaml": text("resources: [deployment.yaml, canary.yaml]\n"),
		"deployment.yaml":    text(shopDeploymentYAML("1.0")),
		"canary.yaml":        text(shopCanaryYAML(passingWebhook.URL)),
	})
	h := newHarness(t, repo, ns, func(o *reconciler.Options) {
		o.PrometheusURL = playgroundtest.Playground().Prometheus.URL
	})
	h.settle()
	ctx := context.Background()

	// The Services are named after service.name and forward to the named
	// port, with appProtocol, the discovered metrics port and their
	// metadata.
	wantPorts := []corev1.ServicePort{
		{Name: "web", Protocol: corev1.ProtocolTCP, AppProtocol: ptr.To("http"), Port: 80, TargetPort: intstr.FromString("http")},
		{Name: "metrics", Protocol: corev1.ProtocolTCP, Port: 9797, TargetPort: intstr.FromInt32(9797)},
	}
	for _, want := range []struct {
		name               string
		selects            string
		label, annotation  string
		labelValue, annVal string
	}{
		{"shop", "detail-primary", "tier", "example.com/exposed", "web", "true"},
		{"shop-primary", "detail-primary", "", "example.com/role", "", "primary"},
		{"shop-canary", "detail", "role", "", "canary", ""},
	} {
		var svc corev1.Service
		if err := h.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: want.name}, &svc); err != nil {
			t.Fatalf("service %s: %v", want.name, err)
		}
		if diff := cmp.Diff(wantPorts, svc.Spec.Ports); diff != "" {
			t.Errorf("service %s ports (-want +got):\n%s", want.name, diff)
		}
		if svc.Spec.Selector["app"] != want.selects {
			t.Errorf("service %s selects %v, want app=%s", want.name, svc.Spec.Selector, want.selects)
		}
		if want.label != "" && svc.Labels[want.label] != want.labelValue {
			t.Errorf("service %s labels %v, want %s=%s", want.name, svc.Labels, want.label, want.labelValue)
		}
		if want.annotation != "" && svc.Annotations[want.annotation] != want.annVal {
			t.Errorf("service %s annotations %v, want %s=%s", want.name, svc.Annotations, want.annotation, want.annVal)
		}
	}
	if err := h.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &corev1.Service{}); !apierrors.IsNotFound(err) {
		t.Errorf("service detail: %v, want none: the apex is shop", err)
	}

	// The HTTPRoute shop attaches to the listener, routes to shop-primary
	// and shop-canary with the Service's match, filters and timeouts.
	route, err := h.httpRouteNamed("shop")
	if err != nil {
		t.Fatalf("httproute shop: %v", err)
	}
	parent := route.Spec.ParentRefs[0]
	if got := fmt.Sprintf("%s/%s %s:%d", ptr.Deref(parent.Namespace, ""), parent.Name, ptr.Deref(parent.SectionName, ""), ptr.Deref(parent.Port, 0)); got != "gateway/public http:80" {
		t.Errorf("parentRef %s, want gateway/public http:80", got)
	}
	rule := route.Spec.Rules[0]
	wantMatch := []gatewayv1.HTTPRouteMatch{{
		Path:    &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/catalogDetail")},
		Headers: []gatewayv1.HTTPHeaderMatch{{Type: ptr.To(gatewayv1.HeaderMatchRegularExpression), Name: "x-tenant", Value: "^a.*"}},
	}}
	if diff := cmp.Diff(wantMatch, rule.Matches); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
	wantFilters := []gatewayv1.HTTPRouteFilter{
		{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier, RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{
			Set: []gatewayv1.HTTPHeader{{Name: "x-via", Value: "sluice"}}, Remove: []string{"x-debug"}}},
		{Type: gatewayv1.HTTPRouteFilterResponseHeaderModifier, ResponseHeaderModifier: &gatewayv1.HTTPHeaderFilter{
			Add: []gatewayv1.HTTPHeader{{Name: "x-served-by", Value: "shop"}}}},
		{Type: gatewayv1.HTTPRouteFilterURLRewrite, URLRewrite: &gatewayv1.HTTPURLRewriteFilter{
			Hostname: ptr.To(gatewayv1.PreciseHostname("shop.internal")),
			Path:     &gatewayv1.HTTPPathModifier{Type: gatewayv1.FullPathHTTPPathModifier, ReplaceFullPath: ptr.To("/catalogDetail")}}},
	}
	if diff := cmp.Diff(wantFilters, rule.Filters); diff != "" {
		t.Errorf("filters (-want +got):\n%s", diff)
	}
	wantTimeouts := &gatewayv1.HTTPRouteTimeouts{Request: ptr.To(gatewayv1.Duration("30s")), BackendRequest: ptr.To(gatewayv1.Duration("10s"))}
	if diff := cmp.Diff(wantTimeouts, rule.Timeouts); diff != "" {
		t.Errorf("timeouts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shop-primary:80=100", "shop-canary:80=0"}, weightsOf(route)); diff != "" {
		t.Errorf("backendRefs (-want +got):\n%s", diff)
	}
	if _, err := h.httpRouteNamed("detail"); !apierrors.IsNotFound(err) {
		t.Errorf("httproute detail: %v, want none: the route is named after the apex", err)
	}

	// 2.0 is analysed on the route shop ({{ service }} is shop, or the
	// metric has no data and holds the analysis) and promoted.
	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(shopDeploymentYAML("2.0"))})
	h.rollUntil("weight 50 for 2.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 50 })
	if route, err = h.httpRouteNamed("shop"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"shop-primary:80=50", "shop-canary:80=50"}, weightsOf(route)); diff != "" {
		t.Errorf("backendRefs at weight 50 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantFilters, route.Spec.Rules[0].Filters); diff != "" {
		t.Errorf("filters at weight 50 (-want +got):\n%s", diff)
	}
	h.rollUntil("promotion of 2.0", phaseIs(v1alpha1.PhaseSucceeded))
	if img := h.deployment("detail-primary").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("primary runs %s after the promotion, want 2.0", img)
	}
	if route, err = h.httpRouteNamed("shop"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"shop-primary:80=100", "shop-canary:80=0"}, weightsOf(route)); diff != "" {
		t.Errorf("backendRefs after the promotion (-want +got):\n%s", diff)
	}
	if replicas := *h.deployment("detail").Spec.Replicas; replicas != 0 {
		t.Errorf("canary detail has %d replicas after the promotion, want 0", replicas)
	}
}
