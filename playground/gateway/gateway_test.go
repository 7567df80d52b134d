package gateway_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/playground/gateway"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

func TestGatewayCloseStopsEveryProcess(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	gw := startGateway(t)
	deployDetail(t, ns, "ghcr.io/sluicehq/detail:2.0", "ghcr.io/sluicehq/detail:1.0", 10)
	waitUntil(t, 20*time.Second, "running both apps", func() bool {
		return running(gw, ns, "detail") && running(gw, ns, "detail-primary")
	})
	processes := gw.Processes()
	gw.Close()
	for _, p := range processes {
		if err := syscall.Kill(p.Pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d of %s.%s outlived Close (kill -0: %v)", p.Pid, p.Deployment, p.Namespace, err)
		}
	}
	if got := gw.Processes(); len(got) > 0 {
		t.Errorf("Processes() after Close = %v, want none", got)
	}
}

func TestGatewayStartFailsWithoutItsWatchesWhenTheContextEnds(t *testing.T) {
	installHTTPRouteCRD(t)
	gw, err := gateway.New(gateway.Options{Config: playgroundtest.Playground().ControlPlane.Config})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := gw.Start(ctx); err == nil {
		t.Errorf("Start with an ended context = nil, want an error")
	}
}
