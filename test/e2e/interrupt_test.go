//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// kubeconfigLine finds the playground's kubeconfig in the demo's output.
var kubeconfigLine = regexp.MustCompile(`kubeconfig=(\S+)`)

// Ctrl-C in the middle of the story stops every process the demo started
// and removes the playground's directory.
func TestInterruptingTheDemoStopsEverythingItStarted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sluiceBinary, "demo")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// Read up to the second step: by then the playground, the gateway
	// with an app process, the forge emulator and sluice run are all up.
	var kubeconfig string
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		line := lines.Text()
		if m := kubeconfigLine.FindStringSubmatch(line); m != nil && kubeconfig == "" {
			kubeconfig = m[1]
		}
		if strings.HasPrefix(line, "━━ 2.") {
			break
		}
	}
	if kubeconfig == "" {
		t.Fatal("the demo never said where the playground's kubeconfig is, or never reached step 2")
	}
	started := descendants(cmd.Process.Pid)
	if len(started) < 8 {
		t.Fatalf("the demo runs %d processes, want the control plane, Prometheus, sluice run and an app at least: %v", len(started), started)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Errorf("interrupted demo exited with %v, want a non-zero status", err)
	}
	if want := "sluice: demo: interrupted; everything it started was stopped\n"; !strings.HasSuffix(stderr.String(), want) {
		t.Errorf("interrupted demo said %q, want it to end with %q", stderr.String(), want)
	}
	for _, pid := range started {
		if alive(pid) {
			t.Errorf("process %d (%s) is still there after the demo exited", pid, command(pid))
		}
	}
	if _, err := os.Stat(filepath.Dir(kubeconfig)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the playground's directory %s is still there: %v", filepath.Dir(kubeconfig), err)
	}
}

// descendants lists the processes below pid, read from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		if parent, _, ok := parentAndState(stat); ok {
			children[parent] = append(children[parent], p)
		}
	}
	var all []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			all = append(all, c)
			queue = append(queue, c)
		}
	}
	return all
}

// command is the command line of a process, for messages.
func command(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// alive says whether pid is a process that has not exited: zombies, which
// wait only for their parent to reap them, count as exited.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	_, state, ok := parentAndState(stat)
	return !ok || state != "Z"
}

// parentAndState reads the parent's pid and the state of a process from
// its /proc/<pid>/stat: the fields after the command, which is in
// parentheses, start with the state, then the parent's pid.
func parentAndState(stat []byte) (parent int, state string, ok bool) {
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 2 {
		return 0, "", false
	}
	parent, err := strconv.Atoi(fields[1])
	return parent, fields[0], err == nil
}
