package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// buildSluice builds cmd/sluice into dir and returns the binary's path.
func buildSluice(ctx context.Context, dir string) (string, error) {
	binary := filepath.Join(dir, "sluice")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", binary, "./cmd/sluice")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sluice: %w\n%s", err, out)
	}
	return binary, nil
}

// sluiceRun is a running `sluice run`, its JSON log in a file.
type sluiceRun struct {
	cmd        *exec.Cmd
	logPath    string
	metricsURL string
	exited     chan struct{}
}

// sluiceOptions are what differs between the rows' `sluice run`s.
type sluiceOptions struct {
	binary, repoURL, kubeconfig, namespace, prometheusURL, dir string
	// owner names the sync, so that rows never share an inventory.
	owner string
	// interval is --interval.
	interval time.Duration
}

// startSluice starts `sluice run` with its log (stderr, JSON lines) in
// dir/sluice-<owner>.log and its metrics on a free loopback port.
func startSluice(o sluiceOptions) (*sluiceRun, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	workDir := filepath.Join(o.dir, "checkouts-"+o.owner)
	logPath := filepath.Join(o.dir, "sluice-"+o.owner+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(o.binary, "run",
		"--repo", o.repoURL, "--branch", "main", "--path", ".",
		"--interval", o.interval.String(), "--prune",
		"--kubeconfig", o.kubeconfig, "--namespace", o.namespace,
		"--default-namespace", o.namespace, "--inventory-namespace", o.namespace,
		"--owner", o.owner, "--work-dir", workDir,
		"--prometheus-url", o.prometheusURL, "--metrics-addr", addr)
	cmd.Env = withoutSluiceEnv(os.Environ())
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sluice run: %w", err)
	}
	run := &sluiceRun{cmd: cmd, logPath: logPath, metricsURL: "http://" + addr + "/metrics", exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(run.exited) }()
	return run, nil
}

// pid is the process ID of sluice.
func (s *sluiceRun) pid() int { return s.cmd.Process.Pid }

// alive returns an error with the log's tail once sluice has exited.
func (s *sluiceRun) alive() error {
	select {
	case <-s.exited:
		return fmt.Errorf("sluice run exited: %s; its last lines:\n%s", s.cmd.ProcessState, s.tail(10))
	default:
		return nil
	}
}

// stop sends SIGTERM, then SIGKILL after 10 s, and waits.
func (s *sluiceRun) stop() {
	if s == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// logEntry is one line of sluice's JSON log.
type logEntry struct {
	Time  time.Time `json:"time"`
	Level string    `json:"level"`
	Msg   string    `json:"msg"`
	Error string    `json:"error"`
}

// messages reads the log so far; lines that are not JSON come whole as Msg.
func (s *sluiceRun) messages() []logEntry {
	f, err := os.Open(s.logPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	var entries []logEntry
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for scanner.Scan() {
		var e logEntry
		if json.Unmarshal(scanner.Bytes(), &e) != nil {
			e = logEntry{Msg: scanner.Text()}
		}
		entries = append(entries, e)
	}
	return entries
}

// count returns how many log messages contain substr.
func (s *sluiceRun) count(substr string) int {
	n := 0
	for _, e := range s.messages() {
		if strings.Contains(e.Msg, substr) {
			n++
		}
	}
	return n
}

// errorsLogged returns the distinct messages of ERROR lines (at most n).
func (s *sluiceRun) errorsLogged(n int) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range s.messages() {
		if e.Level != "ERROR" || seen[e.Msg] {
			continue
		}
		seen[e.Msg] = true
		if len(out) < n {
			out = append(out, oneLine(e.Msg+" "+e.Error))
		}
	}
	return out
}

// tail returns the last n lines of the log.
func (s *sluiceRun) tail(n int) string {
	data, _ := os.ReadFile(s.logPath)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// syncs returns how many syncs sluice has finished
// (sluice_sync_duration_seconds' count).
func (s *sluiceRun) syncs(ctx context.Context) (uint64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.metricsURL, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("sluice metrics: %w", err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("sluice metrics: %w", err)
	}
	var n uint64
	for _, m := range families["sluice_sync_duration_seconds"].GetMetric() {
		n += m.GetHistogram().GetSampleCount()
	}
	return n, nil
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// withoutSluiceEnv drops SLUICE_* variables, which `sluice run` would read
// as flags.
func withoutSluiceEnv(environ []string) []string {
	var kept []string
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "SLUICE_") {
			kept = append(kept, kv)
		}
	}
	return kept
}
