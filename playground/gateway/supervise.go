package gateway

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"

	"github.com/sluicehq/sluice/playground/demoapp"
)

// supervisor keeps one app process running per Deployment with replicas,
// at the Deployment's version. One worker reconciles the Deployments that
// changed, one at a time.
type supervisor struct {
	log     *slog.Logger
	command func(App, *os.File) (*exec.Cmd, error)
	faulty  func(namespace, deployment, version string) bool
	slow    func(namespace, deployment, version string) demoapp.Latency
	output  io.Writer
	queue   workqueue.TypedRateLimitingInterface[string]
	// ctx ends the health checks on close.
	ctx    context.Context
	cancel context.CancelFunc
	// tasks holds the worker, health checks and stops going on.
	tasks       sync.WaitGroup
	deployments appslisters.DeploymentLister

	mu     sync.RWMutex
	apps   map[string]*appProcess
	closed bool
}

// newSupervisor returns a supervisor for opts that starts nothing until run.
func newSupervisor(opts Options) *supervisor {
	s := &supervisor{
		log:     opts.Log,
		command: opts.AppCommand,
		faulty:  opts.Faulty,
		slow:    opts.Slow,
		output:  opts.AppOutput,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](200*time.Millisecond, 10*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "gateway-apps"}),
		apps: map[string]*appProcess{},
	}
	if s.command == nil {
		s.command = defaultCommand
	}
	if s.faulty == nil {
		s.faulty = func(string, string, string) bool { return false }
	}
	if s.slow == nil {
		s.slow = func(string, string, string) demoapp.Latency { return demoapp.Latency{} }
	}
	if s.output == nil {
		s.output = io.Discard
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// defaultCommand runs app by re-executing this program; see
// demoapp.Command.
func defaultCommand(app App, listener *os.File) (*exec.Cmd, error) {
	return demoapp.Command(demoapp.ChildOptions{Version: app.Version, Failing: app.Failing, Slow: app.Slow, Listener: listener})
}

// eventHandler queues the Deployments that are added, changed or deleted.
func (s *supervisor) eventHandler() cache.ResourceEventHandler {
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			s.queue.Add(key)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}
}

// run starts the worker, reading Deployments from deployments.
func (s *supervisor) run(deployments appslisters.DeploymentLister) {
	s.deployments = deployments
	s.tasks.Go(func() {
		for {
			key, shutdown := s.queue.Get()
			if shutdown {
				return
			}
			s.reconcile(key)
			s.queue.Done(key)
		}
	})
}

// reconcile brings the process of the Deployment key (namespace/name) in
// line with the Deployment: started, replaced, stopped or left alone.
func (s *supervisor) reconcile(key string) {
	want, run := s.desired(key)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	current := s.apps[key]
	if !run {
		delete(s.apps, key)
		s.mu.Unlock()
		s.queue.Forget(key)
		if current != nil {
			s.log.Info("Stopping app", "deployment", key, "version", current.app.Version)
			s.stopLater(current)
		}
		return
	}
	unchanged := current != nil && current.app == want && current.running()
	s.mu.Unlock()
	if unchanged {
		return
	}
	next, err := startApp(want, s.command, s.output, s.crashed)
	if err != nil {
		s.log.Error("App did not start", "deployment", key, "version", want.Version, "error", err.Error())
		s.queue.AddRateLimited(key)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		next.stop()
		return
	}
	s.apps[key] = next
	s.mu.Unlock()
	s.log.Info("Started app", "deployment", key, "version", want.Version, "failing", want.Failing,
		"pid", next.cmd.Process.Pid, "address", next.address)
	if current != nil {
		s.stopLater(current)
	}
	s.tasks.Go(func() { s.checkHealth(key, next) })
}

// desired returns the app the Deployment key should run, and whether it
// should run one at all.
func (s *supervisor) desired(key string) (App, bool) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return App{}, false
	}
	d, err := s.deployments.Deployments(namespace).Get(name)
	if apierrors.IsNotFound(err) || err != nil {
		return App{}, false
	}
	if d.DeletionTimestamp != nil || ptr.Deref(d.Spec.Replicas, 1) == 0 || len(d.Spec.Template.Spec.Containers) == 0 {
		return App{}, false
	}
	version := VersionOf(d.Spec.Template.Spec.Containers[0].Image)
	return App{Namespace: namespace, Deployment: name, Version: version, Failing: s.faulty(namespace, name, version), Slow: s.slow(namespace, name, version)}, true
}

// checkHealth waits for p to answer its health check and kills it when it
// does not: a program that re-executes itself without calling
// demoapp.RunIfChild never answers.
func (s *supervisor) checkHealth(key string, p *appProcess) {
	err := p.waitHealthy(s.ctx)
	switch {
	case err == nil:
		s.queue.Forget(key)
	case p.stopping.Load() || s.ctx.Err() != nil:
	default:
		s.log.Error("App is not healthy; killing it (does the program call demoapp.RunIfChild first thing?)",
			"deployment", key, "version", p.app.Version, "error", err.Error())
		p.kill()
	}
}

// crashed queues the Deployment of p, whose process exited on its own, to
// be restarted after a back-off.
func (s *supervisor) crashed(p *appProcess) {
	key := p.app.Namespace + "/" + p.app.Deployment
	s.log.Warn("App exited", "deployment", key, "version", p.app.Version, "state", p.cmd.ProcessState.String())
	s.queue.AddRateLimited(key)
}

// stopLater stops p in the background; close waits for it.
func (s *supervisor) stopLater(p *appProcess) {
	p.stopping.Store(true)
	s.tasks.Go(p.stop)
}

// app returns the running process of a Deployment, or nil.
func (s *supervisor) app(namespace, name string) *appProcess {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.apps[namespace+"/"+name]
	if p == nil || !p.running() {
		return nil
	}
	return p
}

// processes describes the running processes, sorted by namespace and
// Deployment.
func (s *supervisor) processes() []Process {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var list []Process
	for _, p := range s.apps {
		if p.running() {
			list = append(list, p.describe())
		}
	}
	slices.SortFunc(list, func(a, b Process) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Deployment, b.Deployment))
	})
	return list
}

// close stops the worker and every process, and waits until they are gone.
func (s *supervisor) close() {
	s.mu.Lock()
	s.closed = true
	apps := s.apps
	s.apps = map[string]*appProcess{}
	s.mu.Unlock()
	s.queue.ShutDown()
	s.cancel()
	for _, p := range apps {
		s.stopLater(p)
	}
	s.tasks.Wait()
}
