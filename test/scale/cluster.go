package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground"
	"github.com/sluicehq/sluice/reconciler"
)

// appMetric is the metric each app's Canary checks: 1 for every app, served
// by the program's exporter and scraped by the playground's Prometheus.
const appMetric = "scale_app_up"

// env is the playground the rows 3 to 6 run on, with what they share.
type env struct {
	dir    string
	pg     *playground.Playground
	client client.Client
	sluice string // the binary
	hooks  *webhookRecorder
	// hookURL is the webhook every Canary calls.
	hookURL string
	keep    bool
	servers []*http.Server
}

// startEnv builds sluice, starts a playground with room for pods of apps
// apps (two each during a rollout), an exporter of appMetric for apps
// apps scraped by its Prometheus, and the Canaries' webhook.
func startEnv(ctx context.Context, dir string, apps int, keep bool) (e *env, err error) {
	e = &env{dir: dir, keep: keep, hooks: newWebhookRecorder()}
	defer func() {
		if err != nil {
			e.stop()
		}
	}()
	if e.sluice, err = buildSluice(ctx, dir); err != nil {
		return e, err
	}
	logFile, err := os.Create(filepath.Join(dir, "playground.log"))
	if err != nil {
		return e, err
	}
	// Each kwok node takes 250 pods: a rollout needs two per app, and the
	// control plane a margin.
	nodes := max(1, (2*apps+apps/5)/250+1)
	e.pg, err = playground.Start(ctx, playground.Options{Log: slog.New(slog.NewJSONHandler(logFile, nil)), Nodes: nodes})
	if err != nil {
		return e, err
	}
	if e.client, err = client.New(e.pg.ControlPlane.Config, client.Options{Scheme: reconciler.Scheme()}); err != nil {
		return e, err
	}
	if err := e.addServiceCIDR(ctx); err != nil {
		return e, err
	}
	metricsAddr, err := e.serve(exporterHandler(apps))
	if err != nil {
		return e, err
	}
	err = e.pg.Prometheus.AddScrapeTargets(ctx, playground.ScrapeTarget{Job: "scale", Targets: []string{metricsAddr}})
	if err != nil {
		return e, err
	}
	hookAddr, err := e.serve(e.hooks)
	if err != nil {
		return e, err
	}
	e.hookURL = "http://" + hookAddr + "/gate"
	return e, nil
}

// serve serves handler on a free loopback port until stop.
func (e *env) serve(handler http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	e.servers = append(e.servers, server)
	go func() { _ = server.Serve(ln) }()
	return ln.Addr().String(), nil
}

func (e *env) stop() {
	for _, s := range e.servers {
		_ = s.Close()
	}
	e.pg.Stop()
}

// namespace creates a namespace named after the row; done deletes it
// (without waiting) unless -keep.
func (e *env) namespace(ctx context.Context, row string) (name string, done func(), err error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "scale-" + row + "-"}}
	if err := e.client.Create(ctx, ns); err != nil {
		return "", nil, fmt.Errorf("namespace: %w", err)
	}
	return ns.Name, func() {
		if e.keep {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = e.client.Delete(ctx, ns)
	}, nil
}

// canaries lists the Canaries of ns.
func (e *env) canaries(ctx context.Context, ns string) ([]v1alpha1.Canary, error) {
	var list v1alpha1.CanaryList
	err := e.client.List(ctx, &list, client.InNamespace(ns))
	return list.Items, err
}

// waitCanaries polls the Canaries of ns every 2 s until done says the
// list is complete, sluice exits, or ctx ends.
func (e *env) waitCanaries(ctx context.Context, ns string, s *sluiceRun, done func([]v1alpha1.Canary) (bool, string)) error {
	var last string
	for {
		if err := s.alive(); err != nil {
			return err
		}
		list, err := e.canaries(ctx, ns)
		if err == nil {
			var ok bool
			if ok, last = done(list); ok {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last seen: %s", ctx.Err(), last)
		case <-time.After(2 * time.Second):
		}
	}
}

// exporterHandler serves appMetric = 1 for apps apps.
func exporterHandler(apps int) http.Handler {
	registry := prometheus.NewRegistry()
	up := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: appMetric, Help: "1 for every app of the scale test."}, []string{"app"})
	registry.MustRegister(up)
	for i := range apps {
		up.WithLabelValues(appName(i)).Set(1)
	}
	return promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
}

// webhookRecorder is the Canaries' rollout webhook: it answers 200 at once
// and records when each Canary called, except for the Canary told to hang,
// whose calls sleep until the caller gives up.
type webhookRecorder struct {
	mu    sync.Mutex
	calls map[string][]time.Time // by namespace/name
	hang  string                 // namespace/name
	// hangs are the periods a hanging call was in flight.
	hangs [][2]time.Time
}

func newWebhookRecorder() *webhookRecorder {
	return &webhookRecorder{calls: map[string][]time.Time{}}
}

func (w *webhookRecorder) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	now := time.Now()
	var payload struct{ Name, Namespace string }
	if err := json.NewDecoder(r.Body).Decode(&payload); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	key := payload.Namespace + "/" + payload.Name
	w.mu.Lock()
	w.calls[key] = append(w.calls[key], now)
	hang := key == w.hang
	w.mu.Unlock()
	if hang {
		// Longer than the webhook's timeout: sluice gives up first.
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		w.mu.Lock()
		w.hangs = append(w.hangs, [2]time.Time{now, time.Now()})
		w.mu.Unlock()
		return
	}
	rw.WriteHeader(http.StatusOK)
}

// hangCalls makes the calls of key hang from now on.
func (w *webhookRecorder) hangCalls(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hang = key
}

// since returns the calls of every Canary of ns made after start.
func (w *webhookRecorder) since(ns string, start time.Time) map[string][]time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string][]time.Time{}
	for key, calls := range w.calls {
		if len(key) <= len(ns) || key[:len(ns)+1] != ns+"/" {
			continue
		}
		for _, t := range calls {
			if t.After(start) {
				out[key] = append(out[key], t)
			}
		}
	}
	return out
}

// hangPeriods returns the periods hanging calls were in flight.
func (w *webhookRecorder) hangPeriods() [][2]time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([][2]time.Time(nil), w.hangs...)
}

// sluiceEvents counts the Events sluice created in ns since start.
func (e *env) sluiceEvents(ctx context.Context, ns string, start time.Time) (int, error) {
	var list corev1.EventList
	if err := e.client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return 0, fmt.Errorf("events: %w", err)
	}
	n := 0
	for _, ev := range list.Items {
		if ev.Source.Component == "sluice" && !ev.FirstTimestamp.Time.Before(start.Truncate(time.Second)) {
			n += int(max(ev.Count, 1))
		}
	}
	return n, nil
}

// addServiceCIDR gives the playground's Services a /16 beside its own
// /24 (about 250 addresses: a Canary of provider kubernetes takes three).
// The ServiceCIDR is marked Ready here, since the playground's
// controller manager does not run the controller that would.
func (e *env) addServiceCIDR(ctx context.Context) error {
	cidr := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.k8s.io/v1", "kind": "ServiceCIDR",
		"metadata": map[string]any{"name": "scale"},
		"spec":     map[string]any{"cidrs": []any{"10.100.0.0/16"}},
	}}
	if err := e.client.Create(ctx, cidr); err != nil {
		return fmt.Errorf("service CIDR: %w", err)
	}
	ready := []any{map[string]any{
		"type": "Ready", "status": "True", "reason": "ScaleTest", "message": "marked ready by test/scale",
		"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
	}}
	if err := unstructured.SetNestedSlice(cidr.Object, ready, "status", "conditions"); err != nil {
		return fmt.Errorf("service CIDR: %w", err)
	}
	if err := e.client.Status().Update(ctx, cidr); err != nil {
		return fmt.Errorf("service CIDR ready: %w", err)
	}
	return nil
}
