package demo

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseLogLine(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       logLine
	}{{
		name: "a Canary message names its Canary",
		line: `{"time":"2026-11-25T18:40:57.5Z","level":"INFO","msg":"Advance detail.flagger canary weight 5","canary":"detail.flagger"}`,
		want: logLine{Time: time.Date(2026, 11, 25, 18, 40, 57, 5e8, time.UTC), Level: "INFO", Msg: "Advance detail.flagger canary weight 5", Canary: "detail.flagger"},
	}, {
		name: "an error keeps its error attribute",
		line: `{"level":"ERROR","msg":"Rollout step failed","error":"boom"}`,
		want: logLine{Level: "ERROR", Msg: "Rollout step failed", Error: "boom"},
	}, {
		name: "a line that is not JSON is the message",
		line: `panic: oops`,
		want: logLine{Msg: "panic: oops"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseLogLine(tc.line)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSluiceArgsRunAgainstTheStack(t *testing.T) {
	args := sluiceArgs{repo: "http://127.0.0.1:1/demo/fleet.git", apiURL: "http://127.0.0.1:1/api/v3/", tokenFile: "/t",
		kubeconfig: "/k", prometheusURL: "http://127.0.0.1:2", workDir: "/w"}.list()
	want := []string{"run", "--repo", "http://127.0.0.1:1/demo/fleet.git", "--branch", "main", "--path", ".",
		"--token-file", "/t", "--forge", "github", "--forge-api-url", "http://127.0.0.1:1/api/v3/",
		"--kubeconfig", "/k", "--prometheus-url", "http://127.0.0.1:2", "--interval", "2s",
		"--prune", "--default-namespace", "flagger", "--inventory-namespace", "default", "--work-dir", "/w"}
	if diff := cmp.Diff(want, args); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWithoutSluiceEnv(t *testing.T) {
	got := withoutSluiceEnv([]string{"PATH=/bin", "SLUICE_REPO=x", "HOME=/root", "SLUICE_NAMESPACE=y"})
	if diff := cmp.Diff([]string{"PATH=/bin", "HOME=/root"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAnUnreadSluiceLogIsBoundedAndSaysWhatItDropped(t *testing.T) {
	p := &sluiceProcess{arrived: make(chan struct{}, 1)}
	for i := range maxUnread + 25 {
		p.queue(fmt.Sprintf(`{"level":"INFO","msg":"line %d"}`, i))
	}
	lines := p.take()
	if len(lines) != maxUnread+1 {
		t.Fatalf("took %d lines, want the last %d and a warning", len(lines), maxUnread)
	}
	want := []logLine{
		{Level: "WARN", Msg: "25 earlier lines of sluice's log were dropped unread"},
		{Level: "INFO", Msg: "line 25"},
	}
	if diff := cmp.Diff(want, lines[:2]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if last := lines[len(lines)-1].Msg; last != fmt.Sprintf("line %d", maxUnread+24) {
		t.Errorf("last line %q", last)
	}
	if again := p.take(); len(again) != 0 {
		t.Errorf("a second take found %v", again)
	}
}

// Regression: with --keep, the demo stopped telling sluice's messages once
// the story was over (while queueing them, unbounded): someone exploring
// the kept world saw nothing of what sluice did.
func TestKeepStreamsSluicesMessagesUntilCtrlC(t *testing.T) {
	var out syncBuffer
	p := &sluiceProcess{exited: make(chan struct{}), arrived: make(chan struct{}, 1)}
	s := &story{stack: &stack{sluice: p}, n: newNarrator(&out)}
	ctx, cancel := context.WithCancel(context.Background())
	streamed := make(chan struct{})
	go func() { s.stream(ctx); close(streamed) }()

	p.queue(`{"level":"INFO","msg":"Watching main","canary":""}`)
	p.queue(`{"level":"INFO","msg":"New revision detected! Scaling up detail.flagger","canary":"detail.flagger"}`)
	p.queue(`{"level":"WARN","msg":"Prometheus query failed","error":"timeout"}`)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "Prometheus query failed") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-streamed
	want := "  sluice     │ New revision detected! Scaling up detail.flagger\n" +
		"  sluice     │ ⚠ Prometheus query failed: timeout\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("streamed (-want +got):\n%s", diff)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
