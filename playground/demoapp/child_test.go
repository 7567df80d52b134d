package demoapp_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/playground/demoapp"
)

// startChild starts cmd and stops it with SIGTERM when the test ends,
// failing the test unless it then exits cleanly.
func startChild(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("child exited with %v after SIGTERM, want a clean exit", err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("child still running 10s after SIGTERM")
		}
	})
}

// inheritedListener returns a loopback listening socket to hand to a child
// and its address.
func inheritedListener(t *testing.T) (*os.File, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, ln.Addr().String()
}

func TestCommandRunsTheAppInAChildProcess(t *testing.T) {
	vendors := []string{"ABC.com", "XYZ.com"}
	tests := []struct {
		name    string
		opts    demoapp.ChildOptions
		paths   []string
		want    []answer
		wantLog bool
	}{
		{
			name:  "a child serves its version until a fault is injected",
			opts:  demoapp.ChildOptions{Version: "2.0"},
			paths: []string{"/catalogDetail", "/injectFault", "/catalogDetail"},
			want: []answer{
				{Status: 200, Detail: &demoapp.Detail{Version: "2.0", Vendors: vendors}},
				{Status: 200, Text: "fault injected"},
				{Status: 500, Detail: &demoapp.Detail{Version: "2.0", Error: "fault injected"}},
			},
		},
		{
			name:  "a child told to fail fails from the start",
			opts:  demoapp.ChildOptions{Version: "3.0", Failing: true},
			paths: []string{"/catalogDetail", "/healthz"},
			want: []answer{
				{Status: 500, Detail: &demoapp.Detail{Version: "3.0", Error: "fault injected"}},
				{Status: 200, Text: "ok"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listener, addr := inheritedListener(t)
			tt.opts.Listener = listener
			cmd, err := demoapp.Command(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			startChild(t, cmd)
			// The child may not be up yet: the connection waits in the
			// inherited socket's backlog.
			var got []answer
			for _, path := range tt.paths {
				got = append(got, do(t, http.DefaultClient, "GET", "http://"+addr+path))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommandWithAnAddressLogsWhereTheChildListens(t *testing.T) {
	cmd, err := demoapp.Command(demoapp.ChildOptions{Version: "1.0"})
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	startChild(t, cmd)
	line, err := bufio.NewReader(stderr).ReadBytes('\n')
	if err != nil {
		t.Fatalf("read the child's first log line: %v", err)
	}
	var logged struct {
		Msg     string `json:"msg"`
		Address string `json:"address"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(line, &logged); err != nil {
		t.Fatalf("%v: %q", err, line)
	}
	got := do(t, http.DefaultClient, "GET", "http://"+logged.Address+"/catalogDetail")
	want := answer{Status: 200, Detail: &demoapp.Detail{Version: "1.0", Vendors: []string{"ABC.com", "XYZ.com"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
}

func TestAChildThatCannotListenExitsWithStatus1(t *testing.T) {
	cmd, err := demoapp.Command(demoapp.ChildOptions{Address: "127.0.0.1:not-a-port"})
	if err != nil {
		t.Fatal(err)
	}
	err = cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Errorf("child exited with %v, want exit status 1", err)
	}
}

func TestIsChild(t *testing.T) {
	if demoapp.IsChild() {
		t.Errorf("IsChild() = true in the test process, want false")
	}
}

func TestAChildToldToBeSlowWaitsFromTheStart(t *testing.T) {
	listener, addr := inheritedListener(t)
	cmd, err := demoapp.Command(demoapp.ChildOptions{Version: "2.0", Slow: demoapp.Latency{Fraction: 1, Extra: 300 * time.Millisecond}, Listener: listener})
	if err != nil {
		t.Fatal(err)
	}
	startChild(t, cmd)
	do(t, http.DefaultClient, "GET", "http://"+addr+"/healthz") // the child is up
	started := time.Now()
	got := do(t, http.DefaultClient, "GET", "http://"+addr+"/catalogDetail")
	if took := time.Since(started); took < 300*time.Millisecond {
		t.Errorf("/catalogDetail took %s, want at least the 300ms the child was told to add", took)
	}
	if got.Status != 200 || got.Detail == nil || got.Detail.Version != "2.0" {
		t.Errorf("/catalogDetail answered %+v, want 200 from 2.0", got)
	}
}
