// Package playground runs a local sandbox for sluice made of real
// components: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// kwok with fake nodes whose pods become Ready, and Prometheus. The binaries
// are built once from the Go module proxy into a cache directory (see
// EnsureToolchain); each playground then runs them on free loopback ports in
// a temporary directory that Stop removes.
package playground

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// dirPrefix names the temporary directory of every playground; the process
// ID that follows lets a later playground remove the leftovers of a crashed
// one.
const dirPrefix = "sluice-playground-"

// Options configures Start. The zero value starts one fake node and a
// Prometheus that scrapes every second.
type Options struct {
	// Toolchain is the set of binaries to run. Nil means EnsureToolchain
	// with CacheDir and Log, which may build them.
	Toolchain *Toolchain
	// CacheDir is passed to EnsureToolchain; zero means CacheDir().
	CacheDir string
	// Log receives progress. Nil discards it.
	Log *slog.Logger
	// Nodes is the number of fake nodes; zero means 1.
	Nodes int
	// ScrapeInterval is Prometheus's global scrape interval; zero means 1s.
	ScrapeInterval time.Duration
	// ScrapeTargets are scraped from the start; more can be added with
	// PrometheusServer.AddScrapeTargets.
	ScrapeTargets []ScrapeTarget
}

// Playground is a running sandbox. Stop it when done.
type Playground struct {
	// Dir is the temporary directory holding certificates, data and logs.
	Dir string
	// ControlPlane is the Kubernetes control plane.
	ControlPlane *ControlPlane
	// Prometheus is the metrics server.
	Prometheus *PrometheusServer
	// Tools are the binaries the playground runs (kubectl among them).
	Tools *Toolchain

	stopOnce sync.Once
}

// Start builds what is missing, then starts the control plane and
// Prometheus and returns once the API server is ready, every fake node is
// Ready and Prometheus answers. On error nothing is left running.
func Start(ctx context.Context, opts Options) (pg *Playground, err error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Nodes == 0 {
		opts.Nodes = 1
	}
	if opts.ScrapeInterval == 0 {
		opts.ScrapeInterval = time.Second
	}
	tools := opts.Toolchain
	if tools == nil {
		tools, err = EnsureToolchain(ctx, ToolchainOptions{CacheDir: opts.CacheDir, Log: opts.Log})
		if err != nil {
			return nil, err
		}
	}
	removeStaleDirs(os.TempDir(), opts.Log)
	dir, err := os.MkdirTemp("", dirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	pg = &Playground{Dir: dir, Tools: tools}
	defer func() {
		if err != nil {
			pg.Stop()
			pg = nil
		}
	}()

	started := time.Now()
	pg.ControlPlane, err = startControlPlane(ctx, tools, dir, opts.Nodes, opts.Log)
	if err != nil {
		return pg, err
	}
	pg.Prometheus, err = startPrometheus(ctx, tools, dir, opts.ScrapeInterval, opts.ScrapeTargets)
	if err != nil {
		return pg, err
	}
	opts.Log.Info("Playground is up", "kubeconfig", pg.ControlPlane.Kubeconfig,
		"prometheus", pg.Prometheus.URL, "took", time.Since(started).Round(time.Millisecond).String())
	return pg, nil
}

// Stop stops every component and removes the playground's directory. It is
// safe to call more than once and on a partly started playground.
func (pg *Playground) Stop() {
	if pg == nil {
		return
	}
	pg.stopOnce.Do(func() {
		pg.Prometheus.stop()
		if pg.ControlPlane != nil {
			pg.ControlPlane.stop()
		}
		if pg.Dir != "" {
			_ = os.RemoveAll(pg.Dir)
		}
	})
}

// Pids returns the process IDs of every component, for checks that nothing
// outlives Stop.
func (pg *Playground) Pids() []int {
	var pids []int
	if pg.ControlPlane != nil {
		for _, p := range pg.ControlPlane.running() {
			pids = append(pids, p.pid())
		}
	}
	if pg.Prometheus != nil && pg.Prometheus.process != nil {
		pids = append(pids, pg.Prometheus.process.pid())
	}
	return pids
}

// removeStaleDirs removes playground directories under tmp whose process is
// gone: those of a playground that was killed before it could stop.
func removeStaleDirs(tmp string, log *slog.Logger) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, entry := range entries {
		rest, ok := strings.CutPrefix(entry.Name(), dirPrefix)
		if !ok || !entry.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || processAlive(pid) {
			continue
		}
		path := filepath.Join(tmp, entry.Name())
		if err := os.RemoveAll(path); err == nil {
			log.Info("Removed the directory of a playground that did not stop", "dir", path)
		}
	}
}

// processAlive reports whether a process with this ID exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
