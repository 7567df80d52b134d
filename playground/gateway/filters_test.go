package gateway_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/playground/gateway"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// TestGatewayKeepsACookieOnTheCanaryWithHeaderModifiersAndACookieMatch
// routes as sluice's session affinity does: the canary's backendRef adds
// a Set-Cookie to its answers, and a rule matching that cookie sends
// the request to the canary. A client with a cookie jar that reached the
// canary once stays there; the rule's own modifier applies to every
// answer of the rule.
func TestGatewayKeepsACookieOnTheCanaryWithHeaderModifiersAndACookieMatch(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	gw := startGateway(t)
	d := deployDetail(t, ns, "ghcr.io/sluicehq/detail:2.0", "ghcr.io/sluicehq/detail:1.0", 0)
	d.editRoute(func(route *gatewayv1.HTTPRoute) {
		weighted := backendRefs(10)
		weighted[1].Filters = []gatewayv1.HTTPRouteFilter{{
			Type: gatewayv1.HTTPRouteFilterResponseHeaderModifier,
			ResponseHeaderModifier: &gatewayv1.HTTPHeaderFilter{
				Add: []gatewayv1.HTTPHeader{{Name: "Set-Cookie", Value: "sticky=c4n4ry; Max-Age=60; Path=/"}},
			},
		}}
		ruleFilters := []gatewayv1.HTTPRouteFilter{{
			Type:                   gatewayv1.HTTPRouteFilterResponseHeaderModifier,
			ResponseHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: []gatewayv1.HTTPHeader{{Name: "X-Routed-By", Value: "sluice"}}},
		}}
		sticky := backendRefs(100)[1:]
		route.Spec.Rules = []gatewayv1.HTTPRouteRule{
			{BackendRefs: weighted, Filters: ruleFilters},
			{
				Matches: []gatewayv1.HTTPRouteMatch{{Headers: []gatewayv1.HTTPHeaderMatch{{
					Name: "Cookie", Type: ptr.To(gatewayv1.HeaderMatchRegularExpression), Value: ".*sticky=c4n4ry.*",
				}}}},
				BackendRefs: sticky, Filters: ruleFilters,
			},
		}
	})
	waitUntil(t, 20*time.Second, "answering with both versions", func() bool {
		counts := sample(t, gw, d.host, 100)
		return counts["1.0"] > 0 && counts["2.0"] > 0
	})

	// Clients without a cookie: 10% reach the canary, and each of those
	// gets the cookie; none of the primary's answers sets it.
	const clients = 200
	var onCanary []*http.Client
	for range clients {
		c := jarClient(t)
		version, resp := getWithClient(t, c, gw, d.host)
		if got := resp.Header.Get("X-Routed-By"); got != "sluice" {
			t.Fatalf("the rule's ResponseHeaderModifier was not applied: X-Routed-By %q", got)
		}
		cookie := resp.Header.Get("Set-Cookie")
		switch {
		case version == "2.0" && cookie != "sticky=c4n4ry; Max-Age=60; Path=/":
			t.Fatalf("the canary answered without the backendRef's Set-Cookie (got %q)", cookie)
		case version == "1.0" && cookie != "":
			t.Fatalf("the primary answered with Set-Cookie %q", cookie)
		case version == "2.0":
			onCanary = append(onCanary, c)
		}
	}
	t.Logf("%d of %d new clients reached the canary", len(onCanary), clients)
	if len(onCanary) < 5 {
		t.Fatalf("only %d of %d clients reached the canary at weight 10", len(onCanary), clients)
	}
	// Those stay on the canary: 20 more requests each.
	for _, c := range onCanary {
		for range 20 {
			if version, _ := getWithClient(t, c, gw, d.host); version != "2.0" {
				t.Fatalf("a client with the canary's cookie was answered by %s", version)
			}
		}
	}
}

// editRoute changes the test's HTTPRoute with edit.
func (d *detail) editRoute(edit func(*gatewayv1.HTTPRoute)) {
	d.t.Helper()
	ctx := context.Background()
	client := routes(d.t).GatewayV1().HTTPRoutes(d.namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		route, err := client.Get(ctx, "detail", metav1.GetOptions{})
		if err != nil {
			return err
		}
		edit(route)
		_, err = client.Update(ctx, route, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
}

// jarClient returns a client with a cookie jar of its own.
func jarClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: jarTransport}
}

// jarTransport is the connection pool of every jarClient.
var jarTransport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8}

// getWithClient gets /catalogDetail from host through gw with c and
// returns the answer (see answer) and the response, whose body is
// closed. The client's cookie jar keys cookies by the gateway's address.
func getWithClient(t *testing.T, c *http.Client, gw *gateway.Gateway, host string) (string, *http.Response) {
	t.Helper()
	u, err := url.Parse(gw.URL() + "/catalogDetail")
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return answer(resp), resp
}
