package demoapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The environment of a child process. ListenEnv marks a process as a child:
// RunIfChild serves the app when it is set.
const (
	// ListenEnv says where the child serves: "fd:N" for a listening socket
	// inherited as file descriptor N, or a TCP address such as
	// 127.0.0.1:8080 (port 0 picks a free port; the child logs the address
	// on stderr).
	ListenEnv = "SLUICE_DEMOAPP_LISTEN"
	// VersionEnv is the version the child reports; empty means "latest".
	VersionEnv = "SLUICE_DEMOAPP_VERSION"
	// FailEnv set to "1" makes the child fail from the start.
	FailEnv = "SLUICE_DEMOAPP_FAIL"
	// SlowEnv, as "0.1,200ms", makes that fraction of the child's answers
	// wait that much longer from the start; see Latency.
	SlowEnv = "SLUICE_DEMOAPP_SLOW"
)

// inheritedFD is the descriptor of the first of exec.Cmd.ExtraFiles.
const inheritedFD = 3

// shutdownGrace bounds how long a child finishes in-flight requests after
// SIGTERM or SIGINT.
const shutdownGrace = 5 * time.Second

// IsChild reports whether this process was started as a demo app child,
// that is whether ListenEnv is set.
func IsChild() bool {
	_, ok := os.LookupEnv(ListenEnv)
	return ok
}

// RunIfChild returns at once unless this process is a demo app child (see
// IsChild). In a child it serves the app described by the environment until
// SIGTERM or SIGINT, lets in-flight requests finish (up to 5 s), and exits
// the process: 0 after a clean stop, 1 when the app could not be served. It
// never returns in a child. Call it first thing in main and in TestMain of
// every program that starts a gateway, so that the gateway's re-executed
// children become apps rather than second copies of the program.
func RunIfChild() {
	if !IsChild() {
		return
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := serveChild(log); err != nil {
		log.Error("Demo app failed", "error", err.Error())
		os.Exit(1)
	}
	os.Exit(0)
}

// serveChild serves the app of the environment until a stop signal.
func serveChild(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := childListener(os.Getenv(ListenEnv))
	if err != nil {
		return err
	}
	version, failing := os.Getenv(VersionEnv), os.Getenv(FailEnv) == "1"
	slow, err := parseSlow(os.Getenv(SlowEnv))
	if err != nil {
		return err
	}
	server := &http.Server{Handler: newHandler(version, failing, slow), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(ln) }()
	log.Info("Demo app serving", "address", ln.Addr().String(), "version", version, "failing", failing)
	select {
	case err := <-served:
		return fmt.Errorf("demo app: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("demo app: shut down: %w", err)
	}
	return nil
}

// childListener returns the listener that the value of ListenEnv names.
func childListener(listen string) (net.Listener, error) {
	fdText, isFD := strings.CutPrefix(listen, "fd:")
	if !isFD {
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return nil, fmt.Errorf("demo app: %w", err)
		}
		return ln, nil
	}
	fd, err := strconv.Atoi(fdText)
	if err != nil || fd < inheritedFD {
		return nil, fmt.Errorf("demo app: %s=%q: want fd:N with N >= %d", ListenEnv, listen, inheritedFD)
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("demo app: inherited descriptor %d: %w", fd, err)
	}
	return ln, nil
}

// ChildOptions describes a child process for Command.
type ChildOptions struct {
	// Version is the version the app reports; zero means "latest".
	Version string
	// Failing makes the app answer 500 from the start.
	Failing bool
	// Slow makes a fraction of the app's answers wait longer from the
	// start; zero adds no latency.
	Slow Latency
	// Listener is a listening socket for the child to serve on; the child
	// inherits it as its first extra file, so that connections made before
	// the child is up wait in the socket's backlog instead of being refused.
	// The caller keeps its own copy open until Start and may close it after.
	// Nil means Address.
	Listener *os.File
	// Address is the TCP address the child listens on when Listener is nil;
	// zero means 127.0.0.1:0, a free port that only the child's log tells.
	Address string
}

// Command returns a command that runs the app as a child process by
// re-executing this program (os.Executable) with the environment of
// ListenEnv, VersionEnv and FailEnv added to this process's own, without
// arguments. The program must call RunIfChild first thing, or the child runs
// the program itself. The child has its own process group and, on Linux,
// is killed when this process dies. Start the command, then stop it with
// SIGTERM.
func Command(opts ChildOptions) (*exec.Cmd, error) {
	executable, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("demo app: locate this program: %w", err)
	}
	cmd := exec.Command(executable)
	listen := opts.Address
	switch {
	case opts.Listener != nil:
		cmd.ExtraFiles = []*os.File{opts.Listener}
		listen = "fd:" + strconv.Itoa(inheritedFD)
	case listen == "":
		listen = "127.0.0.1:0"
	}
	env := []string{ListenEnv + "=" + listen, VersionEnv + "=" + opts.Version}
	if opts.Failing {
		env = append(env, FailEnv+"=1")
	}
	if opts.Slow.Fraction > 0 {
		env = append(env, SlowEnv+"="+strconv.FormatFloat(opts.Slow.Fraction, 'g', -1, 64)+","+opts.Slow.Extra.String())
	}
	cmd.Env = append(withoutChildEnv(os.Environ()), env...)
	cmd.SysProcAttr = childProcAttr()
	return cmd, nil
}

// withoutChildEnv returns environ without the variables of a child, so that
// a child of a child gets only its own.
func withoutChildEnv(environ []string) []string {
	kept := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if name != ListenEnv && name != VersionEnv && name != FailEnv {
			kept = append(kept, kv)
		}
	}
	return kept
}

// parseSlow parses the value of SlowEnv: empty is no latency.
func parseSlow(text string) (Latency, error) {
	if text == "" {
		return Latency{}, nil
	}
	share, extra, ok := strings.Cut(text, ",")
	f, err := fraction(share)
	if !ok || err != nil {
		return Latency{}, fmt.Errorf("demo app: %s=%q: want a fraction and a duration, such as 0.1,200ms", SlowEnv, text)
	}
	d, err := time.ParseDuration(extra)
	if err != nil || d < 0 || d > maxExtraLatency {
		return Latency{}, fmt.Errorf("demo app: %s=%q: want a duration from 0 to %s", SlowEnv, text, maxExtraLatency)
	}
	return Latency{Fraction: f, Extra: d}, nil
}
