package playground_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/playground"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// lockedBuffer is a bytes.Buffer safe for a logger and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// kwokPid returns the pid of the playground's kwok, or 0.
func kwokPid(pg *playground.Playground) int {
	for _, pid := range pg.Pids() {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if args := strings.Split(string(cmdline), "\x00"); filepath.Base(args[0]) == "kwok" {
			return pid
		}
	}
	return 0
}

// kwok plays the kubelets: when it dies the playground restarts it, and
// pods become Ready again.
func TestAKwokThatDiesIsRestartedAndPodsBecomeReadyAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var logs lockedBuffer
	pg, err := playground.Start(ctx, playground.Options{Toolchain: playgroundtest.Playground().Tools, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop()
	killed := kwokPid(pg)
	if killed == 0 {
		t.Fatalf("no kwok among the playground's processes %v", pg.Pids())
	}
	if err := syscall.Kill(killed, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	var restarted int
	for restarted == 0 || restarted == killed {
		select {
		case <-ctx.Done():
			t.Fatalf("kwok was not restarted after it was killed; log:\n%s", logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		restarted = kwokPid(pg)
	}
	if !strings.Contains(logs.String(), `"msg":"kwok exited, restarting it"`) {
		t.Errorf("the restart was not logged:\n%s", logs.String())
	}

	// The restarted kwok makes the pods of a new Deployment Ready.
	c, err := client.New(pg.ControlPlane.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	deploy := detailDeployment("default")
	if err := c.Create(ctx, deploy); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(ctx, t, c, deploy)
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace("default"), client.MatchingLabels{"app": "detail"}); err != nil {
		t.Fatal(err)
	}
	for _, pod := range pods.Items {
		if pod.Status.Phase != corev1.PodRunning {
			t.Errorf("pod %s is %s, want Running", pod.Name, pod.Status.Phase)
		}
	}

	// Stop stops the restarted kwok too, and restarts nothing.
	pg.Stop()
	if err := syscall.Kill(restarted, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the restarted kwok %d still runs after Stop (kill 0: %v)", restarted, err)
	}
}
