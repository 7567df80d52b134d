package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"time"
)

// Process is an app process the gateway runs.
type Process struct {
	App
	// Pid is the process ID.
	Pid int
	// Address is the host:port the process serves on.
	Address string
}

// stopGrace is how long a process may take to finish its requests after
// SIGTERM before it is killed.
const stopGrace = 5 * time.Second

// appProcess is one running app process.
type appProcess struct {
	app     App
	address string
	cmd     *exec.Cmd
	exited  chan struct{}
	// stopping is set before the gateway stops the process, so that its exit
	// is not taken for a crash.
	stopping atomic.Bool
}

// startApp starts the process of app on a fresh loopback listener, with
// command (demoapp.Command when nil), its output to output unless the
// command has its own. onExit is called when the process exits without
// having been stopped.
func startApp(app App, command func(App, *os.File) (*exec.Cmd, error), output io.Writer, onExit func(*appProcess)) (*appProcess, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// The child serves on a copy of the socket: connections made before it
	// is up wait in the backlog rather than being refused.
	listener, err := ln.(*net.TCPListener).File()
	address := ln.Addr().String()
	ln.Close()
	if err != nil {
		return nil, err
	}
	defer listener.Close()
	cmd, err := command(app, listener)
	if err != nil {
		return nil, err
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = childProcAttr()
	}
	if cmd.Stdout == nil {
		cmd.Stdout = output
	}
	if cmd.Stderr == nil {
		cmd.Stderr = output
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &appProcess{app: app, address: address, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
		if !p.stopping.Load() {
			onExit(p)
		}
	}()
	return p, nil
}

// running reports whether the process has not exited.
func (p *appProcess) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// describe returns what Processes tells of p.
func (p *appProcess) describe() Process {
	return Process{App: p.app, Pid: p.cmd.Process.Pid, Address: p.address}
}

// stop asks the process group to terminate, kills it after stopGrace, and
// returns once the process has exited. Calling it again is harmless.
func (p *appProcess) stop() {
	p.stopping.Store(true)
	p.signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		p.signal(syscall.SIGKILL)
		<-p.exited
	}
}

// kill kills the process group at once; its exit counts as a crash unless
// it was being stopped.
func (p *appProcess) kill() { p.signal(syscall.SIGKILL) }

// signal sends sig to the process group of p, or to p alone when it has none.
func (p *appProcess) signal(sig syscall.Signal) {
	if !p.running() {
		return
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil {
		_ = p.cmd.Process.Signal(sig)
	}
}

// healthTimeout is how long a new process has to answer /healthz.
const healthTimeout = 15 * time.Second

// waitHealthy returns nil once the process answers 200 on /healthz, and an
// error when it does not within healthTimeout, exits, or ctx ends.
func (p *appProcess) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.address+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/healthz answered %s", resp.Status)
		}
		select {
		case <-p.exited:
			return errors.New("the process exited")
		case <-ctx.Done():
			return fmt.Errorf("no healthy answer within %s: %w", healthTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
