package reconciler_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/reconciler"
)

// stuckSource is a Source whose Poll never returns until released, whatever
// its context says: a call without a deadline that hangs.
type stuckSource struct{ release chan struct{} }

func (s stuckSource) Poll(context.Context) (gitsync.Checkout, bool, error) {
	<-s.release
	return gitsync.Checkout{}, false, context.Canceled
}

func (stuckSource) URL() string { return "stuck://fleet" }

func TestHealthFailsWhenTheLoopIsStuckSoThatTheLivenessProbeRestartsSluice(t *testing.T) {
	source := stuckSource{release: make(chan struct{})}
	rec := reconciler.New(nil, nil, nil, source, reconciler.Options{Interval: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = rec.Run(ctx) }()
	defer func() { cancel(); close(source.release); <-done }()

	start := time.Now()
	if err := rec.Health(start, 10*time.Second); err != nil {
		t.Fatalf("Health at the start = %v, want nil", err)
	}
	if err := rec.Health(start.Add(9*time.Second), 10*time.Second); err != nil {
		t.Errorf("Health 9s into a stall allowed 10s = %v, want nil", err)
	}
	err := rec.Health(start.Add(11*time.Second), 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "has not finished a turn for 11s") {
		t.Errorf("Health 11s into a stall allowed 10s = %v, want an error saying how long", err)
	}
	if err := rec.Ready(); err == nil {
		t.Error("Ready before any sync succeeded = nil, want an error")
	}
}

func TestAGitServerThatNeverAnswersTimesOutAndTheLoopGoesOn(t *testing.T) {
	// A server that accepts connections and never says a word.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	url := "http://" + l.Addr().String() + "/fleet.git"
	source, err := gitsync.New(gitsync.Options{URL: url, Branch: "main", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	rec := reconciler.New(nil, nil, nil, source, reconciler.Options{Interval: 200 * time.Millisecond, GitTimeout: time.Second,
		Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	go func() { defer close(done); _ = rec.Run(ctx) }()
	defer func() { cancel(); <-done }()

	want := "no answer from " + url + " within 1s (--git-timeout)"
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no timeout logged within 30s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("a stalled Git server was detected %s after the start (git timeout 1s)", time.Since(start).Round(10*time.Millisecond))
	if !strings.Contains(logs.String(), `"msg":"Poll of `+url+` failed, retrying in `) {
		t.Errorf("the failed poll is not logged as such:\n%s", logs.String())
	}
	if err := rec.Health(time.Now(), 5*time.Second); err != nil {
		t.Errorf("Health while Git stalls = %v, want nil: the loop goes on", err)
	}
}
