package reconciler_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestAFailingPollChangesNothingAndIsRetriedWithoutLeakingTheToken(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	// A loopback port with nothing listening: every poll fails.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	source, err := gitsync.New(gitsync.Options{URL: "http://sluice:s3cr3t-t0ken@" + addr + "/repo.git", Branch: "main", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	h := newHarness(t, newGitRepo(t), ns, nil)
	reg := prometheus.NewRegistry()
	rec := reconciler.New(h.recClient(), h.applier(), nil, source, reconciler.Options{Namespace: ns, Log: slog.New(slog.NewJSONHandler(&logs, nil)), Metrics: reg})

	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	if err := rec.Run(ctx); err != nil {
		t.Fatalf("Run returned %v when its context ended", err)
	}
	out := logs.String()
	if n := strings.Count(out, "failed, retrying in"); n < 2 {
		t.Errorf("%d retry log lines in 2.5s with a 1s backoff, want at least 2:\n%s", n, out)
	}
	if n, _ := metricValue(t, reg, "sluice_git_polls_total", map[string]string{"result": "error"}); n < 2 {
		t.Errorf("sluice_git_polls_total{result=error} = %v after the failed polls, want at least 2", n)
	}
	if _, ok := metricValue(t, reg, "sluice_last_sync_timestamp_seconds", nil); !ok {
		t.Error("no sluice_last_sync_timestamp_seconds")
	} else if v, _ := metricValue(t, reg, "sluice_last_sync_timestamp_seconds", nil); v != 0 {
		t.Errorf("sluice_last_sync_timestamp_seconds = %v with no sync done, want 0", v)
	}
	if !strings.Contains(out, `"kind":"transient"`) {
		t.Errorf("the failure is not classified transient:\n%s", out)
	}
	if strings.Contains(out, "s3cr3t-t0ken") {
		t.Errorf("the token leaked into the logs:\n%s", out)
	}
	if n := h.writes.n.Load(); n != 0 {
		t.Errorf("failed polls made %d API writes", n)
	}
}
