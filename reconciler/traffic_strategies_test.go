package reconciler_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/demoapp"
	"github.com/sluicehq/sluice/playground/gateway"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// The strategies beyond weights (A/B testing, session affinity), tested
// with real HTTP traffic through the playground gateway, which routes by
// the HTTPRoute sluice writes to one demo app process per Deployment.

// startGateway starts a playground gateway limited to ns, which runs the
// demo app of every Deployment of ns scaled above zero, and closes it
// when t ends.
func startGateway(t *testing.T, ns string) *gateway.Gateway {
	t.Helper()
	installRouterCRDs(t)
	gw, err := gateway.New(gateway.Options{Config: playgroundtest.Playground().ControlPlane.Config, Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := gw.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return gw
}

// answers sends n requests for /catalogDetail to host through gw with
// client, each edited by edit (nil leaves them as they are), one after
// the other, and counts the answers by version; "lost" counts those
// without one.
func answers(t *testing.T, gw *gateway.Gateway, client *http.Client, host string, n int, edit func(*http.Request)) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for range n {
		req, err := http.NewRequest(http.MethodGet, gw.URL()+"/catalogDetail", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		if edit != nil {
			edit(req)
		}
		counts[versionOf(client.Do(req))]++
	}
	return counts
}

// versionOf is the version that answered a request, "lost" when none did.
func versionOf(resp *http.Response, err error) string {
	if err != nil {
		return "lost"
	}
	defer resp.Body.Close()
	var detail demoapp.Detail
	if json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&detail) != nil || detail.Version == "" {
		return "lost"
	}
	return detail.Version
}

// share is the percentage of the answers that version gave.
func share(counts map[string]int, version string) float64 {
	total := 0
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return 0
	}
	return 100 * float64(counts[version]) / float64(total)
}

// gatewayClient is a client for requests through a gateway, without a
// cookie jar.
var gatewayClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8}}

func abCanaryYAML(host, webhookURL string) string {
	return `apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata: {name: detail}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  provider: gatewayapi
  service:
    port: 3000
    gatewayRefs: [{name: public, namespace: gateway}]
    hosts: [` + host + `]
  progressDeadlineSeconds: 60
  analysis:
    interval: 2s
    threshold: 1
    iterations: 3
    match:
    - headers: {x-canary: {exact: insider}}
    - headers: {cookie: {regex: ".*canary=always.*"}}
    webhooks:
    - {name: acceptance-test, type: pre-rollout, url: "` + webhookURL + `"}
    - {name: load-test, type: rollout, url: "` + webhookURL + `"}
`
}

// TestAnABTestSendsTheMatchingRequestsToTheCanaryThroughTheGatewayThenPromotes
// pins the bug of issue 14: with analysis.match and iterations the route
// stayed at 100/0, so the requests that match stayed on the primary and
// the analysis ran on no canary traffic. Measured through the gateway:
// during the analysis every request with the header or the cookie of
// analysis.match is answered by the canary, every other one by the
// primary; after the promotion all of them by the promoted version.
func TestAnABTestSendsTheMatchingRequestsToTheCanaryThroughTheGatewayThenPromotes(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	gw := startGateway(t, ns)
	host := "detail." + ns + ".example.com"
	repo := newGitRepo(t)
	repo.commit("detail 1.0", map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(abCanaryYAML(host, passingWebhook.URL)),
		"settings.yaml":      text(settingsYAML("blue")),
	})
	h := newHarness(t, repo, ns, nil)
	h.settle()

	insider := func(r *http.Request) { r.Header.Set("X-Canary", "insider") }
	cookie := func(r *http.Request) { r.Header.Set("Cookie", "session=42; canary=always") }
	const n = 200
	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	h.rollUntil("the first A/B iteration", func(st v1alpha1.CanaryStatus) bool {
		return st.Phase == v1alpha1.PhaseProgressing && st.Iterations >= 1
	})
	// The gateway follows the route by a watch: wait until it routes the
	// matching requests to the canary's process, which it starts too.
	deadline := time.Now().Add(20 * time.Second)
	for answers(t, gw, gatewayClient, host, 1, insider)["2.0"] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a request with x-canary: insider is not answered by the canary 2.0 20s into the analysis: %v", answers(t, gw, gatewayClient, host, 20, insider))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// No sync runs while measuring: the route stays as the step set it.
	byHeader := answers(t, gw, gatewayClient, host, n, insider)
	byCookie := answers(t, gw, gatewayClient, host, n, cookie)
	others := answers(t, gw, gatewayClient, host, n, nil)
	t.Logf("during the analysis: x-canary: insider %.1f%% on the canary %v; cookie canary=always %.1f%% on the canary %v; others %.1f%% on the primary %v",
		share(byHeader, "2.0"), byHeader, share(byCookie, "2.0"), byCookie, share(others, "1.0"), others)
	// The routing is by rule, not by weight: every request goes where its
	// rule says, so the bound is all of them.
	for what, got := range map[string]float64{
		"matching the header, on the canary": share(byHeader, "2.0"),
		"matching the cookie, on the canary": share(byCookie, "2.0"),
		"matching nothing, on the primary":   share(others, "1.0"),
	} {
		if got != 100 {
			t.Errorf("requests %s: %.1f%%, want 100%% (header %v, cookie %v, others %v)", what, got, byHeader, byCookie, others)
		}
	}
	if st := h.canary().Status; st.Phase != v1alpha1.PhaseProgressing || st.CanaryWeight != 0 {
		t.Errorf("status after the measurement: phase %s weight %d, want Progressing at weight 0 (A/B moves no weight)", st.Phase, st.CanaryWeight)
	}

	h.rollUntil("promotion of 2.0", phaseIs(v1alpha1.PhaseSucceeded))
	h.assertAllTrafficOnThePrimary()
	deadline = time.Now().Add(20 * time.Second)
	for {
		matching, rest := answers(t, gw, gatewayClient, host, 50, insider), answers(t, gw, gatewayClient, host, 50, nil)
		if matching["2.0"] == 50 && rest["2.0"] == 50 {
			t.Logf("after the promotion: x-canary: insider %v, others %v", matching, rest)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("20s after the promotion: x-canary: insider %v, others %v; want all answered by the promoted 2.0", matching, rest)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.HasSuffix(h.deployment("detail-primary").Spec.Template.Spec.Containers[0].Image, ":2.0") {
		t.Error("the primary does not run 2.0 after the promotion")
	}
}

// newJar returns a cookie jar, as a browser keeps one.
func newJar(t *testing.T) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}
