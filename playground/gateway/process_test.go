package gateway

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStartAppServesUntilStopped(t *testing.T) {
	app := App{Namespace: "flagger", Deployment: "detail", Version: "2.0"}
	crashed := make(chan *appProcess, 1)
	p, err := startApp(app, defaultCommand, io.Discard, func(p *appProcess) { crashed <- p })
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.waitHealthy(ctx); err != nil {
		t.Fatalf("the app of %+v is not healthy: %v", app, err)
	}
	resp, err := http.Get("http://" + p.address + "/catalogDetail")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"version":"2.0"`) {
		t.Errorf("the app answered %q, want version 2.0", body)
	}
	p.stop()
	if p.running() {
		t.Errorf("the app still runs after stop")
	}
	select {
	case <-crashed:
		t.Errorf("a stopped app was taken for a crash")
	case <-time.After(100 * time.Millisecond):
	}
}

func TestStartAppReportsAnAppThatExitsOnItsOwn(t *testing.T) {
	// A command that exits at once, without serving its listener.
	exits := func(App, *os.File) (*exec.Cmd, error) { return exec.Command("true"), nil }
	crashed := make(chan *appProcess, 1)
	p, err := startApp(App{Deployment: "detail"}, exits, io.Discard, func(p *appProcess) { crashed <- p })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-crashed:
		if diff := cmp.Diff(p.describe(), got.describe()); diff != "" {
			t.Errorf("crashed app (-want +got):\n%s", diff)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no crash reported 10s after the app exited")
	}
	if err := p.waitHealthy(context.Background()); err == nil {
		t.Errorf("waitHealthy of an exited app = nil, want an error")
	}
}
