package demo

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// logLine is one line that sluice wrote on stderr.
type logLine struct {
	// Time is when sluice logged it; zero for a line that is not JSON.
	Time time.Time
	// Level is the slog level: INFO, WARN, ERROR; empty for a line that is
	// not JSON.
	Level string
	// Msg is the message, or the whole line when it is not JSON.
	Msg string
	// Canary names the Canary of a Canary message (name.namespace); empty
	// otherwise. Every Canary message is also an Event on the Canary.
	Canary string
	// Error is the "error" attribute, if any.
	Error string
}

// parseLogLine reads one line of sluice's JSON log. A line that is not a
// JSON object comes back whole as Msg.
func parseLogLine(line string) logLine {
	var entry struct {
		Time   time.Time `json:"time"`
		Level  string    `json:"level"`
		Msg    string    `json:"msg"`
		Canary string    `json:"canary"`
		Error  string    `json:"error"`
	}
	if err := json.Unmarshal([]byte(line), &entry); err != nil {
		return logLine{Msg: line}
	}
	return logLine(entry)
}

// sluiceProcess is a running `sluice run`.
type sluiceProcess struct {
	cmd *exec.Cmd
	// exited is closed once the process has exited; err is then its error.
	exited chan struct{}
	err    error
	// arrived receives a value (without blocking, capacity one) whenever
	// lines were added to unread.
	arrived chan struct{}

	mu     sync.Mutex
	unread []logLine
	// dropped counts the lines dropped from unread, the oldest first,
	// because nobody took them before maxUnread more arrived.
	dropped int
	tail    []string
}

// maxUnread bounds the lines of sluice's log queued for take: a sluice
// that nobody reads costs a bounded amount of memory.
const maxUnread = 10000

// sluiceArgs are the arguments of `sluice run` against the stack.
type sluiceArgs struct {
	repo, apiURL, tokenFile, kubeconfig, prometheusURL, workDir string
}

func (a sluiceArgs) list() []string {
	return []string{"run",
		"--repo", a.repo, "--branch", "main", "--path", ".",
		"--token-file", a.tokenFile,
		"--forge", "github", "--forge-api-url", a.apiURL,
		"--kubeconfig", a.kubeconfig,
		"--prometheus-url", a.prometheusURL,
		"--interval", PollInterval.String(),
		"--prune", "--default-namespace", Namespace, "--inventory-namespace", "default",
		"--work-dir", a.workDir,
	}
}

// startSluice starts binary with args. Every line of its stderr is copied
// to raw (when not nil) and queued, parsed, for take; sluice never waits
// for the reader. Stop the process with stop.
func startSluice(binary string, args []string, raw io.Writer) (*sluiceProcess, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = withoutSluiceEnv(os.Environ())
	cmd.SysProcAttr = childProcAttr()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("sluice run: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sluice run: %w", err)
	}
	p := &sluiceProcess{cmd: cmd, exited: make(chan struct{}), arrived: make(chan struct{}, 1)}
	go p.read(stderr, raw)
	return p, nil
}

// read forwards stderr line by line until it ends, then waits for the
// process.
func (p *sluiceProcess) read(stderr io.Reader, raw io.Writer) {
	scanner := bufio.NewScanner(stderr)
	scanner.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for scanner.Scan() {
		line := scanner.Text()
		if raw != nil {
			fmt.Fprintln(raw, line)
		}
		p.queue(line)
	}
	p.err = p.cmd.Wait()
	close(p.exited)
}

// queue adds a line for take and keeps the last lines of stderr for an
// error message.
func (p *sluiceProcess) queue(line string) {
	p.mu.Lock()
	p.unread = append(p.unread, parseLogLine(line))
	if over := len(p.unread) - maxUnread; over > 0 {
		p.unread = slices.Delete(p.unread, 0, over)
		p.dropped += over
	}
	p.tail = append(p.tail, line)
	if len(p.tail) > 10 {
		p.tail = p.tail[len(p.tail)-10:]
	}
	p.mu.Unlock()
	select {
	case p.arrived <- struct{}{}:
	default:
	}
}

// take returns the lines queued since the last call, oldest first. When
// lines were dropped meanwhile (more than maxUnread arrived), a warning
// saying how many comes first.
func (p *sluiceProcess) take() []logLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	lines := p.unread
	p.unread = nil
	if p.dropped > 0 {
		lines = append([]logLine{{Level: "WARN", Msg: fmt.Sprintf("%d earlier lines of sluice's log were dropped unread", p.dropped)}}, lines...)
		p.dropped = 0
	}
	return lines
}

// exitError describes how the process ended, with its last lines.
func (p *sluiceProcess) exitError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.err
	if err == nil {
		err = errors.New("exited")
	}
	return fmt.Errorf("sluice run stopped: %w; its last lines:\n%s", err, strings.Join(p.tail, "\n"))
}

// stop asks sluice to stop (SIGTERM), kills it after grace, and waits for
// it.
func (p *sluiceProcess) stop(grace time.Duration) {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// withoutSluiceEnv returns environ without SLUICE_* variables, which
// `sluice run` would read as flags.
func withoutSluiceEnv(environ []string) []string {
	kept := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "SLUICE_") {
			kept = append(kept, kv)
		}
	}
	return kept
}
