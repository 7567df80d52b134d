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

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
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
	t.Parallel() // see parallel_test.go
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

func sessionCanaryYAML(host, webhookURL string) string {
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
    stepWeight: 10
    maxWeight: 20
    sessionAffinity: {cookieName: canary-session, primaryCookieName: primary-session, maxAge: 600}
    webhooks:
    - {name: acceptance-test, type: pre-rollout, url: "` + webhookURL + `"}
    - {name: load-test, type: rollout, url: "` + webhookURL + `"}
`
}

// TestSessionAffinityKeepsAUserWhoReachedTheCanaryOnItThroughTheGateway
// measures session affinity with real traffic: at weight 10 fresh
// clients, each with a cookie jar, reach the canary about one time in
// ten, and every one that did got the cookie and stays on the canary for
// every later request, at that step and the next; with primaryCookieName
// those the primary answered got its cookie and stay on the primary.
// After the promotion the route holds no cookie.
func TestSessionAffinityKeepsAUserWhoReachedTheCanaryOnItThroughTheGateway(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	gw := startGateway(t, ns)
	host := "detail." + ns + ".example.com"
	repo := newGitRepo(t)
	repo.commit("detail 1.0", map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(sessionCanaryYAML(host, passingWebhook.URL)),
		"settings.yaml":      text(settingsYAML("blue")),
	})
	h := newHarness(t, repo, ns, nil)
	h.settle()

	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	h.rollUntil("weight 10 for 2.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 10 })
	// The gateway follows the route by a watch and starts the canary's
	// process: wait until the canary answers with its cookie.
	deadline := time.Now().Add(20 * time.Second)
	for answers(t, gw, gatewayClient, host, 50, nil)["2.0"] == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the canary 2.0 answers none of 50 requests 20s after weight 10")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Fresh users, one request each; no sync runs while measuring.
	const users = 400
	var onCanary, onPrimary []*http.Client
	for range users {
		user := &http.Client{Jar: newJar(t), Timeout: 10 * time.Second, Transport: gatewayClient.Transport}
		version, setCookie := firstVisit(t, gw, user, host)
		switch {
		case version == "2.0" && !strings.HasPrefix(setCookie, "canary-session=") || version == "2.0" && !strings.Contains(setCookie, "Max-Age=600"):
			t.Fatalf("the canary answered with Set-Cookie %q, want canary-session=…; Max-Age=600", setCookie)
		case version == "1.0" && !strings.HasPrefix(setCookie, "primary-session="):
			t.Fatalf("the primary answered with Set-Cookie %q, want primary-session=…", setCookie)
		case version == "2.0":
			onCanary = append(onCanary, user)
		case len(onPrimary) < 60:
			onPrimary = append(onPrimary, user)
		case version != "1.0":
			t.Fatalf("a request got %q", version)
		}
	}
	// Binomial(400, 0.1): 40 ± 6 (one standard deviation); 4 of them
	// either side is 16..64.
	got := 100 * float64(len(onCanary)) / users
	t.Logf("at weight 10, %d of %d new users (%.1f%%) reached the canary and got its cookie", len(onCanary), users, got)
	if len(onCanary) < 16 || len(onCanary) > 64 {
		t.Errorf("%d of %d new users reached the canary at weight 10, want 16..64", len(onCanary), users)
	}
	stays := func(step string) {
		t.Helper()
		for _, side := range []struct {
			name, version string
			users         []*http.Client
		}{{"canary", "2.0", onCanary}, {"primary", "1.0", onPrimary}} {
			counts := map[string]int{}
			for _, user := range side.users {
				for version, n := range answers(t, gw, user, host, 10, nil) {
					counts[version] += n
				}
			}
			t.Logf("%s: %d users the %s answered first got %v on 10 more requests each (%.1f%% on the %s)",
				step, len(side.users), side.name, counts, share(counts, side.version), side.name)
			if share(counts, side.version) != 100 {
				t.Errorf("%s: users with the %s's cookie were answered %v, want all by %s", step, side.name, counts, side.version)
			}
		}
	}
	stays("at weight 10")

	// The next step keeps the same cookie: the same users stay.
	h.rollUntil("weight 20 for 2.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 20 })
	stays("at weight 20")

	h.rollUntil("promotion of 2.0", phaseIs(v1alpha1.PhaseSucceeded))
	h.assertAllTrafficOnThePrimary()
	if cookie, ok := h.routeAnnotations()[applier.SessionAffinityAnnotation]; ok {
		t.Errorf("after the promotion the route still holds the cookie %q", cookie)
	}
}

// firstVisit sends one request for /catalogDetail to host through gw with
// user and returns the version that answered and the Set-Cookie header
// of the answer.
func firstVisit(t *testing.T, gw *gateway.Gateway, user *http.Client, host string) (version, setCookie string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, gw.URL()+"/catalogDetail", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := user.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	setCookie = resp.Header.Get("Set-Cookie")
	return versionOf(resp, nil), setCookie
}

// routeAnnotations returns the annotations of the live HTTPRoute detail.
func (h *harness) routeAnnotations() map[string]string {
	h.t.Helper()
	route := &unstructured.Unstructured{}
	route.SetGroupVersionKind(gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute"))
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: "detail"}, route); err != nil {
		h.t.Fatal(err)
	}
	return route.GetAnnotations()
}
