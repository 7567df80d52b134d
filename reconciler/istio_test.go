package reconciler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// istioCanaryYAML is the detail app's Canary as Flagger's Istio tutorial
// writes one — Flagger's apiVersion, a public gateway and the mesh, mutual
// TLS in the DestinationRules, retries, the load tester's webhooks — with
// the rest of Flagger's Istio route options (a match, a rewrite, a
// timeout, header operations, a CORS policy) and a 1s interval.
var istioCanaryYAML = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: detail}
spec:
  provider: istio
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  progressDeadlineSeconds: 60
  service:
    port: 3000
    gateways: [istio-system/public-gateway, mesh]
    hosts: [detail.example.com]
    trafficPolicy:
      tls: {mode: ISTIO_MUTUAL}
      connectionPool: {http: {http1MaxPendingRequests: 1024}}
    match:
    - uri: {prefix: /catalog}
    rewrite: {uri: /catalogDetail}
    timeout: 10s
    retries:
      attempts: 3
      perTryTimeout: 1s
      retryOn: "gateway-error,connect-failure,refused-stream"
    headers:
      request:
        add: {x-rollout: sluice}
    corsPolicy:
      allowOrigins: [{exact: "https://example.com"}]
      allowMethods: [GET]
      maxAge: 24h
  analysis:
    interval: 1s
    threshold: 1
    maxWeight: 20
    stepWeight: 10
    webhooks:
    - name: acceptance-test
      type: pre-rollout
      url: ` + passingWebhook.URL + `
      timeout: 5s
      metadata: {type: bash, cmd: "curl -sd 'test' http://detail-canary:3000/token | grep token"}
    - name: load-test
      url: ` + passingWebhook.URL + `
      timeout: 5s
      metadata: {cmd: "hey -z 1m -q 10 -c 2 http://detail-canary:3000/"}
`

var (
	virtualServiceGVK  = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1beta1", Kind: "VirtualService"}
	destinationRuleGVK = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1beta1", Kind: "DestinationRule"}
)

// istioSpec reads the spec of an Istio object of the test's namespace; nil
// when it does not exist.
func (h *harness) istioSpec(gvk schema.GroupVersionKind, name string) map[string]any {
	h.t.Helper()
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		h.t.Fatalf("%s %s: %v", gvk.Kind, name, err)
	}
	spec, _, _ := unstructured.NestedMap(obj.Object, "spec")
	return spec
}

// istioRoute is the VirtualService route of istioCanaryYAML with the
// weights primary/canary.
func istioRoute(primary, canary int64) map[string]any {
	destination := func(host string, weight int64) any {
		return map[string]any{"destination": map[string]any{"host": host, "port": map[string]any{"number": int64(3000)}}, "weight": weight}
	}
	return map[string]any{
		"match":      []any{map[string]any{"uri": map[string]any{"prefix": "/catalog"}}},
		"rewrite":    map[string]any{"uri": "/catalogDetail"},
		"timeout":    "10s",
		"retries":    map[string]any{"attempts": int64(3), "perTryTimeout": "1s", "retryOn": "gateway-error,connect-failure,refused-stream"},
		"headers":    map[string]any{"request": map[string]any{"add": map[string]any{"x-rollout": "sluice"}}},
		"corsPolicy": map[string]any{"allowOrigins": []any{map[string]any{"exact": "https://example.com"}}, "allowMethods": []any{"GET"}, "maxAge": "24h"},
		"route":      []any{destination("detail-primary", primary), destination("detail-canary", canary)},
	}
}

// assertIstioRouting checks the VirtualService and DestinationRules of
// istioCanaryYAML, the VirtualService routing primary/canary.
func (h *harness) assertIstioRouting(when string, primary, canary int64) {
	h.t.Helper()
	want := map[string]any{
		"hosts":    []any{"detail", "detail.example.com"},
		"gateways": []any{"istio-system/public-gateway", "mesh"},
		"http":     []any{istioRoute(primary, canary)},
	}
	if diff := cmp.Diff(want, h.istioSpec(virtualServiceGVK, "detail")); diff != "" {
		h.t.Errorf("VirtualService %s (-want +got):\n%s", when, diff)
	}
	policy := map[string]any{"tls": map[string]any{"mode": "ISTIO_MUTUAL"}, "connectionPool": map[string]any{"http": map[string]any{"http1MaxPendingRequests": int64(1024)}}}
	for _, host := range []string{"detail-primary", "detail-canary"} {
		if diff := cmp.Diff(map[string]any{"host": host, "trafficPolicy": policy}, h.istioSpec(destinationRuleGVK, host)); diff != "" {
			h.t.Errorf("DestinationRule %s %s (-want +got):\n%s", host, when, diff)
		}
	}
}

// A Canary written for Flagger's Istio tutorial, in Git, routes through a
// VirtualService with all of its route options and DestinationRules with
// its traffic policy; a rollout moves the weights and keeps the options;
// a traffic policy removed from Git takes its DestinationRules along, and
// so does the Canary leaving Git.
func TestAFlaggerIstioCanaryRoutesWithItsOptionsThroughARollout(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	repo.commit("detail 1.0 with Flagger's Istio canary", map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(istioCanaryYAML),
		"settings.yaml":      text(settingsYAML("blue")),
	})
	h := newHarness(t, repo, ns, nil)
	h.settle()
	h.mustSync()
	if phase := h.canary().Status.Phase; phase != v1alpha1.PhaseInitialized {
		t.Fatalf("phase after the first install = %s, want Initialized", phase)
	}
	h.assertIstioRouting("after the first install", 100, 0)

	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	seen := map[int32]bool{}
	h.rollUntil("the promotion of 2.0", func(st v1alpha1.CanaryStatus) bool {
		if st.Phase == v1alpha1.PhaseProgressing && st.CanaryWeight > 0 && !seen[st.CanaryWeight] {
			seen[st.CanaryWeight] = true
			h.assertIstioRouting(fmt.Sprintf("at canary weight %d", st.CanaryWeight), int64(100-st.CanaryWeight), int64(st.CanaryWeight))
		}
		return st.Phase == v1alpha1.PhaseSucceeded
	})
	if !seen[10] || !seen[20] {
		t.Errorf("saw the weights %v during the rollout, want 10 and 20", seen)
	}
	if img := h.deployment("detail-primary").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("the primary runs %s after the promotion, want 2.0", img)
	}
	h.assertIstioRouting("after the promotion", 100, 0)

	// Without a trafficPolicy, the DestinationRules go: empty ones would
	// shadow the cluster's own.
	withoutPolicy := strings.Replace(istioCanaryYAML, "    trafficPolicy:\n      tls: {mode: ISTIO_MUTUAL}\n      connectionPool: {http: {http1MaxPendingRequests: 1024}}\n", "", 1)
	if withoutPolicy == istioCanaryYAML {
		t.Fatal("the trafficPolicy is not in the Canary")
	}
	repo.commit("detail without a traffic policy", map[string]*string{"canary.yaml": text(withoutPolicy)})
	h.mustSync()
	for _, host := range []string{"detail-primary", "detail-canary"} {
		if spec := h.istioSpec(destinationRuleGVK, host); spec != nil {
			t.Errorf("DestinationRule %s after the trafficPolicy left Git: %v, want none", host, spec)
		}
	}
	if h.istioSpec(virtualServiceGVK, "detail") == nil {
		t.Fatal("the VirtualService went with the trafficPolicy")
	}

	// Back with a policy, then the Canary leaves Git: detail takes the
	// traffic over and the routing objects go.
	repo.commit("detail with a traffic policy again", map[string]*string{"canary.yaml": text(istioCanaryYAML)})
	h.mustSync()
	h.assertIstioRouting("with the trafficPolicy back", 100, 0)
	repo.commit("detail without a canary", map[string]*string{"canary.yaml": nil,
		"kustomization.yaml": text("resources: [deployment.yaml, settings.yaml]\n")})
	h.mustSync()
	h.settle()
	for _, obj := range []struct {
		gvk  schema.GroupVersionKind
		name string
	}{{virtualServiceGVK, "detail"}, {destinationRuleGVK, "detail-primary"}, {destinationRuleGVK, "detail-canary"}} {
		if spec := h.istioSpec(obj.gvk, obj.name); spec != nil {
			t.Errorf("%s %s is left behind after the Canary left Git", obj.gvk.Kind, obj.name)
		}
	}
}
