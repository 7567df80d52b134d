// Package e2e runs the stories of sluice end to end: the sluice binary,
// built from this repository, against the playground (a real Kubernetes
// control plane and Prometheus), the playground gateway with real
// processes of the demo app, and the forge emulator.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicehq/sluice/playground/demoapp"
)

// sluiceBinary is the sluice binary under test.
var sluiceBinary string

// TestMain builds the sluice binary, runs the tests and removes the
// binary. The gateway re-executes this test binary for every process of
// the demo app: RunIfChild turns those into apps. SLUICE_E2E_BINARY names
// a sluice binary to test instead of building one.
func TestMain(m *testing.M) {
	demoapp.RunIfChild()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if prebuilt := os.Getenv("SLUICE_E2E_BINARY"); prebuilt != "" {
		sluiceBinary = prebuilt
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "sluice-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	sluiceBinary = filepath.Join(dir, "sluice")
	if err := build(sluiceBinary); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// build builds ./cmd/sluice of this repository into path.
func build(path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", path, "./cmd/sluice")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/sluice: %w\n%s", err, out)
	}
	return nil
}
