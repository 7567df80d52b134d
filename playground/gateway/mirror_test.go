package gateway_test

import (
	"bytes"
	"math"
	"net/http"
	"testing"
	"time"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// TestGatewayMirrorsAShareOfTheRequestsToTheCanary routes as sluice's
// traffic mirroring does: every request to the primary, and a
// RequestMirror filter copying percent of them to the canary. Users get
// only the primary's answers; the canary's metrics count about percent
// of the requests (within five standard deviations of the binomial),
// every request without a percent.
func TestGatewayMirrorsAShareOfTheRequestsToTheCanary(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	gw := startGateway(t)
	d := deployDetail(t, ns, "ghcr.io/sluicehq/detail:2.0", "ghcr.io/sluicehq/detail:1.0", 0)
	waitUntil(t, 20*time.Second, "both processes running", func() bool {
		return running(gw, ns, "detail") && running(gw, ns, "detail-primary")
	})
	for _, tt := range []struct {
		name    string
		percent *int32
	}{
		{"30 percent", ptr.To[int32](30)},
		{"every request", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d.editRoute(func(route *gatewayv1.HTTPRoute) {
				port := gatewayv1.PortNumber(3000)
				route.Spec.Rules[0].Filters = []gatewayv1.HTTPRouteFilter{{
					Type: gatewayv1.HTTPRouteFilterRequestMirror,
					RequestMirror: &gatewayv1.HTTPRequestMirrorFilter{
						BackendRef: gatewayv1.BackendObjectReference{Name: "detail-canary", Port: &port},
						Percent:    tt.percent,
					},
				}}
			})
			// The route is read from an informer: wait until copies arrive.
			waitUntil(t, 20*time.Second, "the canary receiving copies", func() bool {
				before := total(gw.Served(ns, "detail"))
				sample(t, gw, d.host, 50)
				return total(gw.Served(ns, "detail")) > before
			})
			time.Sleep(200 * time.Millisecond) // the copies of the probes land

			const n = 1000
			canaryBefore, primaryBefore := total(gw.Served(ns, "detail")), total(gw.Served(ns, "detail-primary"))
			answers := sample(t, gw, d.host, n)
			if answers["1.0"] != n {
				t.Fatalf("answers = %v, want all %d from the primary (1.0)", answers, n)
			}
			p := 1.0
			if tt.percent != nil {
				p = float64(*tt.percent) / 100
			}
			margin := 5 * math.Sqrt(n*p*(1-p))
			low, high := int(n*p-margin), int(math.Ceil(n*p+margin))
			var copies int
			waitUntil(t, 10*time.Second, "the copies counted", func() bool {
				copies = total(gw.Served(ns, "detail")) - canaryBefore
				return copies >= low
			})
			time.Sleep(300 * time.Millisecond) // late copies would show above high
			copies = total(gw.Served(ns, "detail")) - canaryBefore
			t.Logf("%d of %d requests copied to the canary, want %d..%d", copies, n, low, high)
			if copies < low || copies > high {
				t.Errorf("%d of %d requests copied to the canary, want %d..%d", copies, n, low, high)
			}
			if got := total(gw.Served(ns, "detail-primary")) - primaryBefore; got != n {
				t.Errorf("the primary served %d requests, want %d", got, n)
			}
		})
	}
}

// A request with a body of up to 1 MiB is copied; one with a larger body
// still reaches the primary but is not copied (the gateway would have to
// hold it all in memory).
func TestGatewayMirrorsBodiesUpToOneMebibyte(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	gw := startGateway(t)
	d := deployDetail(t, ns, "ghcr.io/sluicehq/detail:2.0", "ghcr.io/sluicehq/detail:1.0", 0)
	waitUntil(t, 20*time.Second, "both processes running", func() bool {
		return running(gw, ns, "detail") && running(gw, ns, "detail-primary")
	})
	d.editRoute(func(route *gatewayv1.HTTPRoute) {
		port := gatewayv1.PortNumber(3000)
		route.Spec.Rules[0].Filters = []gatewayv1.HTTPRouteFilter{{
			Type:          gatewayv1.HTTPRouteFilterRequestMirror,
			RequestMirror: &gatewayv1.HTTPRequestMirrorFilter{BackendRef: gatewayv1.BackendObjectReference{Name: "detail-canary", Port: &port}},
		}}
	})
	post := func(size int) int {
		req, err := http.NewRequest(http.MethodPost, gw.URL()+"/injectFault", bytes.NewReader(bytes.Repeat([]byte("x"), size)))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = d.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST of %d bytes: %v", size, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitUntil(t, 20*time.Second, "the canary receiving copies", func() bool {
		before := total(gw.Served(ns, "detail"))
		post(10)
		time.Sleep(50 * time.Millisecond)
		return total(gw.Served(ns, "detail")) > before
	})

	canaryBefore, primaryBefore := total(gw.Served(ns, "detail")), total(gw.Served(ns, "detail-primary"))
	post(1 << 20)
	post(1<<20 + 1)
	time.Sleep(300 * time.Millisecond)
	if got := total(gw.Served(ns, "detail-primary")) - primaryBefore; got != 2 {
		t.Errorf("the primary got %d of the 2 requests", got)
	}
	if got := total(gw.Served(ns, "detail")) - canaryBefore; got != 1 {
		t.Errorf("the canary got %d copies, want 1: the body of 1 MiB, not the larger one", got)
	}
}

// total sums the requests of a workload over status codes.
func total(served map[int]int) int {
	n := 0
	for _, count := range served {
		n += count
	}
	return n
}
