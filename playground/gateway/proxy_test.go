package gateway_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// assertShare fails t unless the share of want among the answers is
// percent ± tolerance and every answer is one of versions.
func assertShare(t *testing.T, counts map[string]int, want string, percent, tolerance float64, versions ...string) {
	t.Helper()
	total := 0
	for answer, n := range counts {
		total += n
		if !slices.Contains(versions, answer) {
			t.Errorf("%d answers %q, want only versions %q (all answers: %v)", n, answer, versions, counts)
		}
	}
	got := 100 * float64(counts[want]) / float64(total)
	if math.Abs(got-percent) > tolerance {
		t.Errorf("version %s answered %.1f%% of %d requests, want %.0f%% ± %.0f (answers: %v)", want, got, total, percent, tolerance, counts)
	}
}

func TestGatewaySplitsTrafficByTheRouteWeights(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	gw := startGateway(t)
	d := deployDetail(t, ns, "ghcr.io/sluicehq/detail:2.0", "ghcr.io/sluicehq/detail:1.0", 10)
	waitUntil(t, 20*time.Second, "answering with both versions", func() bool {
		counts := sample(t, gw, d.host, 40)
		return counts["1.0"] > 0 && counts["2.0"] > 0
	})

	// 2000 requests at 10%: the standard deviation of the canary's share is
	// 0.7 points, so 3 points is more than four of them.
	assertShare(t, sample(t, gw, d.host, 2000), "2.0", 10, 3, "1.0", "2.0")

	d.setWeight(50)
	waitUntil(t, 10*time.Second, "following the new weights", func() bool {
		return sample(t, gw, d.host, 100)["2.0"] > 30
	})
	assertShare(t, sample(t, gw, d.host, 1000), "2.0", 50, 6, "1.0", "2.0")

	d.setWeight(0)
	waitUntil(t, 10*time.Second, "routing all traffic to the primary", func() bool {
		return sample(t, gw, d.host, 100)["2.0"] == 0
	})
	if diff := cmp.Diff(map[string]int{"1.0": 300}, sample(t, gw, d.host, 300)); diff != "" {
		t.Errorf("answers at weight 0 (-want +got):\n%s", diff)
	}
}

func TestGatewayRoutesServiceHosts(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	gw := startGateway(t)
	deployDetail(t, ns, "ghcr.io/sluicehq/detail:2.0", "ghcr.io/sluicehq/detail:1.0", 0)
	waitUntil(t, 20*time.Second, "running both apps", func() bool {
		return running(gw, ns, "detail") && running(gw, ns, "detail-primary")
	})
	tests := []struct {
		host string
		want string
	}{
		{host: "detail-canary." + ns, want: "2.0"},
		{host: "detail-canary." + ns + ":3000", want: "2.0"},
		{host: "detail-canary." + ns + ".svc.cluster.local:3000", want: "2.0"},
		{host: "detail-primary." + ns + ".svc", want: "1.0"},
		{host: "detail." + ns + ":3000", want: "1.0"},
		{host: "detail-canary." + ns + ":8080", want: "502"},
		{host: "nothing." + ns, want: "404"},
		{host: "unknown.example.com", want: "404"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, get(t, gw, tt.host, "/catalogDetail")); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// A route attached to the apex Service (Gateway API's mesh pattern, as
// Linkerd routes) splits the requests sent to that Service, and no other.
func TestGatewayRoutesAServiceByTheRouteAttachedToIt(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	gw := startGateway(t)
	d := deployDetail(t, ns, "ghcr.io/sluicehq/detail:2.0", "ghcr.io/sluicehq/detail:1.0", 0)
	mesh := &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "detail-mesh", Namespace: ns},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
				Group: ptr.To(gatewayv1.Group("")), Kind: ptr.To(gatewayv1.Kind("Service")), Name: "detail", Port: ptr.To(gatewayv1.PortNumber(3000)),
			}}},
			Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: backendRefs(100)}},
		},
	}
	if _, err := routes(t).GatewayV1().HTTPRoutes(ns).Create(ctx, mesh, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := routes(t).GatewayV1().HTTPRoutes(ns).Delete(ctx, mesh.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete httproute %s: %v", mesh.Name, err)
		}
	})
	waitUntil(t, 20*time.Second, "routing the apex Service by its route", func() bool {
		return running(gw, ns, "detail") && running(gw, ns, "detail-primary") && get(t, gw, "detail."+ns+":3000", "/catalogDetail") == "2.0"
	})
	tests := []struct {
		host string
		want string
	}{
		{host: "detail." + ns, want: "2.0"},
		{host: "detail." + ns + ".svc.cluster.local:3000", want: "2.0"},
		{host: "detail-primary." + ns, want: "1.0"},
		{host: d.host, want: "1.0"},
		{host: "unknown.example.com", want: "404"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, get(t, gw, tt.host, "/catalogDetail")); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}
