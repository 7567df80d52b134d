package gateway_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	"github.com/sluicehq/sluice/playground/gateway"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

func TestGatewayRunsOneProcessPerDeploymentAtItsVersion(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	gw := startGateway(t, "3.0")
	d := deployDetail(t, ns, "ghcr.io/sluicehq/detail:2.0", "ghcr.io/sluicehq/detail:1.0", 50)
	canary := "detail-canary." + ns + ":3000"
	waitUntil(t, 20*time.Second, "answering with the canary", func() bool {
		return get(t, gw, canary, "/catalogDetail") == "2.0"
	})

	// A canary scaled to zero answers 503 for its share of the route, and
	// the 503s count against it.
	d.updateDeployment("detail", func(dep *appsv1.Deployment) { dep.Spec.Replicas = ptr.To[int32](0) })
	waitUntil(t, 10*time.Second, "stopping the canary", func() bool { return !running(gw, ns, "detail") })
	before := gw.Served(ns, "detail")[http.StatusServiceUnavailable]
	assertShare(t, sample(t, gw, d.host, 400), "503", 50, 10, "1.0", "503")
	if got := gw.Served(ns, "detail")[http.StatusServiceUnavailable] - before; got < 100 {
		t.Errorf("the canary was counted %d 503s, want about 200", got)
	}
	d.setWeight(0)
	waitUntil(t, 10*time.Second, "routing all traffic to the primary", func() bool {
		return sample(t, gw, d.host, 50)["503"] == 0
	})
	if diff := cmp.Diff(map[string]int{"1.0": 200}, sample(t, gw, d.host, 200)); diff != "" {
		t.Errorf("answers with the canary at zero and weight 0 (-want +got):\n%s", diff)
	}

	// Scaled up at a new version, the canary answers with it.
	d.updateDeployment("detail", func(dep *appsv1.Deployment) {
		dep.Spec.Replicas = ptr.To[int32](1)
		dep.Spec.Template.Spec.Containers[0].Image = "ghcr.io/sluicehq/detail:2.1"
	})
	waitUntil(t, 20*time.Second, "answering with version 2.1", func() bool {
		return get(t, gw, canary, "/catalogDetail") == "2.1"
	})

	// A new image tag replaces the process; 3.0 fails from the start.
	d.updateDeployment("detail", func(dep *appsv1.Deployment) {
		dep.Spec.Template.Spec.Containers[0].Image = "ghcr.io/sluicehq/detail:3.0"
	})
	waitUntil(t, 20*time.Second, "answering with the failing version 3.0", func() bool {
		return get(t, gw, canary, "/catalogDetail") == "500 3.0"
	})
	want := []gateway.Process{
		{App: gateway.App{Namespace: ns, Deployment: "detail", Version: "3.0", Failing: true}},
		{App: gateway.App{Namespace: ns, Deployment: "detail-primary", Version: "1.0"}},
	}
	if diff := cmp.Diff(want, processesOf(gw, ns)); diff != "" {
		t.Errorf("processes (-want +got):\n%s", diff)
	}
}
