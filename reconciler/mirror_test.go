package reconciler_test

import (
	"context"
	"math"
	"net/http"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/gateway"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// mirrorAppYAML is a detail Deployment at tag and its blue/green Canary
// (gatewayapi, 3 iterations of 2s) mirroring 40% of the requests to the
// canary during the analysis, on host.
func mirrorAppYAML(tag, host string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: detail}
spec:
  replicas: 1
  selector: {matchLabels: {app: detail}}
  template:
    metadata: {labels: {app: detail}}
    spec:
      containers: [{name: app, image: "example.com/detail:` + tag + `"}]
---
apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata: {name: detail}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  service: {port: 3000, gatewayRefs: [{name: public, namespace: gateway}], hosts: [` + host + `]}
  analysis:
    interval: 2s
    threshold: 1
    iterations: 3
    mirror: true
    mirrorWeight: 40
    webhooks: [{name: gate, type: pre-rollout, url: "` + passingWebhook.URL + `"}]
`
}

// A blue/green rollout with analysis.mirror, from Git, through the
// playground's gateway with real requests: while the analysis runs every
// user gets the primary's (1.0) answer and the canary (2.0) receives
// copies of about mirrorWeight percent of the requests, counted in its
// metrics; once promoted the route mirrors no more and users get 2.0.
func TestAMirroredBlueGreenRolloutCopiesRequestsToTheCanaryWhileUsersGetThePrimary(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	host := "detail." + ns + ".example.com"
	repo := newGitRepo(t)
	repo.commit("detail 1.0", map[string]*string{
		"kustomization.yaml": text("resources: [detail.yaml]\n"),
		"detail.yaml":        text(mirrorAppYAML("1.0", host)),
	})
	h := newHarness(t, repo, ns, nil)
	h.settle()
	gw := startGateway(t, ns)

	repo.commit("detail 2.0", map[string]*string{"detail.yaml": text(mirrorAppYAML("2.0", host))})
	h.rollUntil("mirroring", func(st v1alpha1.CanaryStatus) bool {
		return st.Phase == v1alpha1.PhaseProgressing && st.Iterations >= 1
	})
	if filter := mirrorFilterOf(t, h, ns); filter == nil || filter.Percent == nil || *filter.Percent != 40 || filter.BackendRef.Name != "detail-canary" {
		t.Fatalf("HTTPRoute mirror while analysing = %+v, want detail-canary at 40%%", filter)
	}
	// No sync meanwhile: the rollout stays where it mirrors. The gateway
	// reads the route from an informer: wait for the first copies.
	deadline := time.Now().Add(20 * time.Second)
	for canaryBefore := served(gw, ns, "detail"); served(gw, ns, "detail") == canaryBefore; {
		if time.Now().After(deadline) {
			t.Fatal("the canary received no copies within 20s")
		}
		answers(t, gw, http.DefaultClient, host, 20, nil)
	}
	time.Sleep(200 * time.Millisecond)

	const n = 600
	canaryBefore, primaryBefore := served(gw, ns, "detail"), served(gw, ns, "detail-primary")
	got := answers(t, gw, http.DefaultClient, host, n, nil)
	if got["1.0"] != n {
		t.Fatalf("answers while mirroring = %v, want all %d from the primary (1.0)", got, n)
	}
	const p = 0.4
	margin := 5 * math.Sqrt(n*p*(1-p))
	low, high := int(n*p-margin), int(math.Ceil(n*p+margin))
	time.Sleep(500 * time.Millisecond) // fire and forget: let the copies land
	copies := served(gw, ns, "detail") - canaryBefore
	t.Logf("while mirroring: %d of %d requests copied to the canary (want %d..%d), %v answered", copies, n, low, high, got)
	if copies < low || copies > high {
		t.Errorf("%d of %d requests copied to the canary, want %d..%d", copies, n, low, high)
	}
	if got := served(gw, ns, "detail-primary") - primaryBefore; got != n {
		t.Errorf("the primary served %d requests, want %d", got, n)
	}

	h.rollUntil("promotion", phaseIs(v1alpha1.PhaseSucceeded))
	if filter := mirrorFilterOf(t, h, ns); filter != nil {
		t.Errorf("HTTPRoute still mirrors after the promotion: %+v", filter)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		if got := answers(t, gw, http.DefaultClient, host, 20, nil); got["2.0"] == 20 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("answers after the promotion = %v, want 2.0 from the promoted primary", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mirrorFilterOf returns the RequestMirror filter of the weighted rule of
// the live HTTPRoute detail; nil when it has none.
func mirrorFilterOf(t *testing.T, h *harness, ns string) *gatewayv1.HTTPRequestMirrorFilter {
	t.Helper()
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute"))
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail"}, live); err != nil {
		t.Fatal(err)
	}
	var route gatewayv1.HTTPRoute
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(live.Object, &route); err != nil {
		t.Fatal(err)
	}
	for _, f := range route.Spec.Rules[0].Filters {
		if f.Type == gatewayv1.HTTPRouteFilterRequestMirror {
			return f.RequestMirror
		}
	}
	return nil
}

// served is how many requests the gateway routed or copied to a
// Deployment, over every status code.
func served(gw *gateway.Gateway, ns, deployment string) int {
	n := 0
	for _, count := range gw.Served(ns, deployment) {
		n += count
	}
	return n
}
