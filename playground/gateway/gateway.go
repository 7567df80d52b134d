// Package gateway is the playground's stand-in for a Gateway API
// implementation and a service mesh: an HTTP proxy on a loopback port that
// routes by the cluster's HTTPRoutes and Services to real local processes of
// the demo app (package demoapp), one per Deployment, and exports request
// metrics for Prometheus in the shape a mesh exports them.
//
// # Routing
//
// A request is routed by its Host header:
//
//   - to the HTTPRoute with a matching hostname: an exact hostname first,
//     then the longest matching wildcard (*.example.com), then a route
//     without hostnames, the oldest route first among equals. Within the
//     route, the most specific matching rule (Gateway API's precedence:
//     exact path, longest prefix, method, most headers, most query
//     parameters; then rule order) picks a backendRef at random by weight
//     (default 1). A rule whose weights are all zero answers 500, as does a
//     backendRef to anything but a Service or to a Service that does not
//     exist;
//   - otherwise, when it has the form <service>.<namespace>, optionally
//     followed by .svc or .svc.cluster.local and a port, as a request from
//     inside the cluster would go: by the HTTPRoute attached to that
//     Service (a parentRef of kind Service, on the port if both name one:
//     Gateway API's mesh pattern, GAMMA, as Linkerd routes), the oldest
//     among several, else straight to the Service. A route attached to
//     Services only serves no other host;
//   - otherwise it answers 404.
//
// The Service leads to the Deployments in its namespace whose pod template
// labels match its selector, and from there to the Deployment's process.
// When none of them has a process (scaled to zero, or no Deployment at all)
// the answer is 503. A process is routed to as soon as it is started:
// connections wait in its listener's backlog until it serves.
//
// # Filters
//
// The RequestHeaderModifier and ResponseHeaderModifier filters of the rule
// that routed a request, then those of the backendRef it picked, are
// applied (set, add, remove), as session affinity needs (a Set-Cookie added
// to the canary's answers). A RequestMirror filter copies the request,
// fire and forget, to its Service (percent or fraction of the requests,
// all without either), the copy counted in the metrics of the Deployment
// it reaches and its answer dropped, as traffic mirroring needs. Other
// filters are ignored.
//
// Simplifications: Gateway parentRefs are ignored (every HTTPRoute not
// attached to Services only is served, and none gets a status), rules of
// different routes are never merged, filters other than the header
// modifiers and mirrors, timeouts and ReferenceGrants are ignored, and Service ports
// are only checked when the Host names one.
//
// # Processes
//
// For every Deployment with spec.replicas above zero the gateway runs one
// process of the demo app, whatever the number of replicas, at the version
// of the tag of its first container's image (the text after the last ':' of
// the image's last path element, without digest; "latest" when there is
// none). It replaces the process when the version changes, stops it when the
// Deployment is scaled to zero or deleted, and restarts it, with back-off,
// when it exits on its own. Pods are not looked at.
//
// # Metrics
//
// The metrics endpoint serves, from a registry of its own:
//
//	http_requests_total{namespace, workload, code}                counter
//	http_request_duration_seconds{namespace, workload}            histogram
//
// where workload is the Deployment that the request was routed to (whether
// or not its process answered), namespace its namespace, and code the status
// of the answer in three digits. Requests that reach no Deployment (unknown
// host, no matching rule, a Service that selects none) are not counted.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gatewayinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"
	gatewaylisters "sigs.k8s.io/gateway-api/pkg/client/listers/apis/v1"

	"github.com/sluicehq/sluice/playground/demoapp"
)

// App is one process of the demo app that the gateway runs.
type App struct {
	// Namespace and Deployment name the Deployment the process stands for.
	Namespace, Deployment string
	// Version is the tag of the Deployment's image.
	Version string
	// Failing is whether the app fails from the start (see Options.Faulty).
	Failing bool
	// Slow is the latency the app adds from the start (see Options.Slow).
	Slow demoapp.Latency
}

// Options configures New.
type Options struct {
	// Config reaches the API server; required.
	Config *rest.Config
	// Log receives the gateway's events. Nil discards them.
	Log *slog.Logger
	// Address is where the proxy listens; zero means 127.0.0.1:0, a free
	// loopback port.
	Address string
	// MetricsAddress is where the metrics endpoint listens; zero means
	// 127.0.0.1:0.
	MetricsAddress string
	// Namespace limits the gateway to one namespace: it watches, routes
	// and runs the apps of that namespace only. Empty means every
	// namespace.
	Namespace string
	// Faulty reports whether the app of a Deployment at a version fails from
	// the start (answers 500 on /catalogDetail). It is asked, from one
	// goroutine at a time, whenever a Deployment changes; a new answer
	// replaces the process. Nil means no app is faulty; see FaultyVersions.
	Faulty func(namespace, deployment, version string) bool
	// Slow returns the latency that the app of a Deployment at a version
	// adds from the start, as its /injectLatency would; asked as Faulty
	// is. Nil means no app is slow; see SlowVersions.
	Slow func(namespace, deployment, version string) demoapp.Latency
	// AppCommand returns the command that runs app. The command must serve
	// HTTP on listener, a listening loopback socket, which it must hand to
	// the child (exec.Cmd.ExtraFiles); the gateway closes its own copy once
	// the command has started. A process that does not answer 200 on
	// GET /healthz within 15 seconds is killed and started again later. When the command sets no SysProcAttr, the
	// gateway puts the child in its own process group and, on Linux, has it
	// killed when the gateway's process dies. Nil means demoapp.Command,
	// which re-executes this program: the program must call
	// demoapp.RunIfChild first thing.
	AppCommand func(app App, listener *os.File) (*exec.Cmd, error)
	// AppOutput receives the output of every app process unless the command
	// sets its own. Nil discards it.
	AppOutput io.Writer
}

// SlowVersions returns an Options.Slow under which the apps at any of
// versions add slow from the start, whatever their Deployment.
func SlowVersions(slow demoapp.Latency, versions ...string) func(namespace, deployment, version string) demoapp.Latency {
	return func(_, _, version string) demoapp.Latency {
		if slices.Contains(versions, version) {
			return slow
		}
		return demoapp.Latency{}
	}
}

// FaultyVersions returns an Options.Faulty under which the apps at any of
// versions fail from the start, whatever their Deployment.
func FaultyVersions(versions ...string) func(namespace, deployment, version string) bool {
	return func(_, _, version string) bool { return slices.Contains(versions, version) }
}

// Gateway is the playground's proxy. Create it with New, then Start it;
// Close it when done.
type Gateway struct {
	log        *slog.Logger
	kube       kubernetes.Interface
	gatewayAPI gatewayclient.Interface
	namespace  string

	listener        net.Listener
	metricsListener net.Listener
	server          *http.Server
	metricsServer   *http.Server

	routes      gatewaylisters.HTTPRouteLister
	services    corelisters.ServiceLister
	deployments appslisters.DeploymentLister
	supervisor  *supervisor
	metrics     *metrics
	proxy       http.Handler

	// stop ends the informers; background holds what runs until Close.
	stop       context.CancelFunc
	stopped    <-chan struct{}
	background sync.WaitGroup

	mu      sync.Mutex
	started bool
	closed  bool
}

// New returns a gateway listening on its addresses but not serving yet. It
// refuses to run inside a demo app child: a program whose child re-executes
// it without calling demoapp.RunIfChild would otherwise start gateways
// without end.
func New(opts Options) (*Gateway, error) {
	if opts.Config == nil {
		return nil, errors.New("gateway: no REST config")
	}
	if demoapp.IsChild() {
		return nil, fmt.Errorf("gateway: this process is a demo app child (%s is set): the program must call demoapp.RunIfChild first thing", demoapp.ListenEnv)
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	kube, err := kubernetes.NewForConfig(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	gatewayAPI, err := gatewayclient.NewForConfig(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g := &Gateway{log: opts.Log, kube: kube, gatewayAPI: gatewayAPI, namespace: opts.Namespace, metrics: newMetrics()}
	if g.listener, err = listen(opts.Address); err != nil {
		return nil, err
	}
	if g.metricsListener, err = listen(opts.MetricsAddress); err != nil {
		g.listener.Close()
		return nil, err
	}
	g.supervisor = newSupervisor(opts)
	g.proxy = newProxy(g.log)
	g.server = &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second}
	g.metricsServer = &http.Server{Handler: g.metrics.handler(), ReadHeaderTimeout: 10 * time.Second}
	return g, nil
}

// listen listens on address, 127.0.0.1:0 when it is empty.
func listen(address string) (net.Listener, error) {
	if address == "" {
		address = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	return ln, nil
}

// Start watches HTTPRoutes, Services and Deployments in every namespace
// (or Options.Namespace),
// waits until the watches have caught up with the cluster, then serves the
// proxy and the metrics and starts the apps of the Deployments in the
// background (a request for an app not started yet answers 503). ctx bounds
// the wait; once Start has returned nil the gateway serves until Close. It
// fails when the API server does not serve HTTPRoutes (install the Gateway
// API CRDs first) and when called a second time. Close the gateway even
// when Start fails.
func (g *Gateway) Start(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started || g.closed {
		return errors.New("gateway: already started or closed")
	}
	if err := g.checkHTTPRoutesServed(); err != nil {
		return err
	}
	g.started = true
	stopCtx, stop := context.WithCancel(context.Background())
	g.stop, g.stopped = stop, stopCtx.Done()

	kubeInformers := informers.NewSharedInformerFactoryWithOptions(g.kube, 0, informers.WithNamespace(g.namespace))
	gatewayInformers := gatewayinformers.NewSharedInformerFactoryWithOptions(g.gatewayAPI, 0, gatewayinformers.WithNamespace(g.namespace))
	routes := gatewayInformers.Gateway().V1().HTTPRoutes()
	services := kubeInformers.Core().V1().Services()
	deployments := kubeInformers.Apps().V1().Deployments()
	g.routes, g.services, g.deployments = routes.Lister(), services.Lister(), deployments.Lister()
	synced := []cache.InformerSynced{routes.Informer().HasSynced, services.Informer().HasSynced}
	registration, err := deployments.Informer().AddEventHandler(g.supervisor.eventHandler())
	if err != nil {
		return fmt.Errorf("gateway: watch deployments: %w", err)
	}
	synced = append(synced, registration.HasSynced)
	kubeInformers.Start(g.stopped)
	gatewayInformers.Start(g.stopped)
	g.background.Go(func() {
		<-g.stopped
		kubeInformers.Shutdown()
		gatewayInformers.Shutdown()
	})
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		stop()
		return fmt.Errorf("gateway: watches did not catch up: %w", context.Cause(ctx))
	}
	g.supervisor.run(g.deployments)
	g.serve(g.server, g.listener, "proxy")
	g.serve(g.metricsServer, g.metricsListener, "metrics")
	g.log.Info("Gateway started", "address", g.listener.Addr().String(), "metrics", g.MetricsURL())
	return nil
}

// checkHTTPRoutesServed returns an error unless the API server serves
// HTTPRoutes of gateway.networking.k8s.io/v1.
func (g *Gateway) checkHTTPRoutesServed() error {
	groupVersion := gatewayv1.GroupVersion.String()
	resources, err := g.kube.Discovery().ServerResourcesForGroupVersion(groupVersion)
	if err == nil {
		for _, r := range resources.APIResources {
			if r.Name == "httproutes" {
				return nil
			}
		}
	}
	return fmt.Errorf("gateway: the API server does not serve httproutes.%s (install the Gateway API CRDs): %v", groupVersion, err)
}

// serve serves server on ln until Close.
func (g *Gateway) serve(server *http.Server, ln net.Listener, name string) {
	g.background.Go(func() {
		if err := server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("Gateway stopped serving", "server", name, "error", err.Error())
		}
	})
}

// URL returns the base URL of the proxy, e.g. http://127.0.0.1:38411.
// Requests need a Host header that the gateway routes; see the package
// documentation.
func (g *Gateway) URL() string { return "http://" + g.listener.Addr().String() }

// Address returns the host:port the proxy listens on, for
// loadgen.TransportTo.
func (g *Gateway) Address() string { return g.listener.Addr().String() }

// MetricsURL returns the URL of the metrics endpoint, e.g.
// http://127.0.0.1:38412/metrics.
func (g *Gateway) MetricsURL() string {
	return "http://" + g.metricsListener.Addr().String() + "/metrics"
}

// Processes returns the app processes running now, sorted by namespace and
// Deployment.
func (g *Gateway) Processes() []Process { return g.supervisor.processes() }

// Served returns the number of requests routed to the workload (a
// Deployment) by status code since New, as http_requests_total counts them.
func (g *Gateway) Served(namespace, workload string) map[int]int {
	return g.metrics.served(namespace, workload)
}

// Close stops serving, stops the watches and stops every app process,
// giving each up to five seconds to finish its requests, and returns once
// all of them have exited. It is safe to call more than once, and on a
// gateway that was never started.
func (g *Gateway) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	g.closed = true
	_ = g.server.Close()
	_ = g.metricsServer.Close()
	_ = g.listener.Close()
	_ = g.metricsListener.Close()
	if g.stop != nil {
		g.stop()
	}
	g.supervisor.close()
	g.background.Wait()
	g.log.Info("Gateway stopped")
}
