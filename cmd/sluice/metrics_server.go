package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// probes answer /healthz and /readyz: nil means healthy (ready), an error
// says why not. Nil probes always answer ok.
type probes struct {
	health, ready func() error
}

// metricsServer serves /metrics (sluice's metrics, Go's and the process's),
// /healthz and /readyz on addr until ctx ends. It returns the registry to
// give the reconciler, the address it listens on, and a wait for its
// shutdown. An address already in use fails here, before sluice syncs
// anything. The probes are read at every request, so they may be set after
// the call, before the reconciler runs.
func metricsServer(ctx context.Context, addr string, log *slog.Logger, p *probes) (*prometheus.Registry, net.Addr, func(), error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sluice_info", Help: "The version of sluice that runs.",
		ConstLabels: prometheus.Labels{"version": buildVersion()},
	})
	info.Set(1)
	reg.MustRegister(info)

	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	probe := func(check func(*probes) func() error) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			if p != nil {
				if fn := check(p); fn != nil {
					if err := fn(); err != nil {
						http.Error(w, err.Error(), http.StatusServiceUnavailable)
						return
					}
				}
			}
			_, _ = w.Write([]byte("ok\n"))
		}
	}
	mux.HandleFunc("GET /healthz", probe(func(p *probes) func() error { return p.health }))
	mux.HandleFunc("GET /readyz", probe(func(p *probes) func() error { return p.ready }))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("Metrics server stopped", "error", err.Error())
		}
	}()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info(fmt.Sprintf("Serving metrics on http://%s/metrics", l.Addr()))
	return reg, l.Addr(), func() { <-done }, nil
}
