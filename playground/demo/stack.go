package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/sluicehq/sluice/playground"
	"github.com/sluicehq/sluice/playground/forgeemu"
	"github.com/sluicehq/sluice/playground/gateway"
	"github.com/sluicehq/sluice/playground/loadgen"
)

// stack is everything the story runs on: the playground (Kubernetes and
// Prometheus), the gateway with the app's processes, the load tester
// behind the Canary's webhooks, the forge emulator with the repository,
// and `sluice run`.
type stack struct {
	dir string
	// log is Options.Log; narrated loggers also write to it.
	log  *slog.Logger
	n    *narrator
	pg   *playground.Playground
	kube *cluster

	gateway *gateway.Gateway
	// gatewayClient sends requests to the gateway, whatever their host.
	gatewayClient *http.Client
	meter         *splitMeter

	loadTester       *loadgen.LoadTester
	loadTesterServer *http.Server
	loadTesterURL    string

	forge     *forgeemu.Server
	token     string
	tokenFile string
	user      *user

	sluice *sluiceProcess
	// stopLoad ends the steady load through the gateway.
	stopLoad context.CancelFunc
	loadDone chan struct{}
}

// startStack brings up everything but sluice. On error, what was started
// is stopped.
func startStack(ctx context.Context, opts Options, n *narrator) (s *stack, err error) {
	s = &stack{log: opts.Log, n: n}
	defer func() {
		if err != nil {
			s.close()
			s = nil
		}
	}()
	if s.dir, err = os.MkdirTemp("", "sluice-demo-"); err != nil {
		return s, fmt.Errorf("demo: %w", err)
	}

	n.say("Starting the playground: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok (fake nodes) and Prometheus…")
	log := narratedLogger(n, "playground", s.log)
	tools, err := playground.EnsureToolchain(ctx, playground.ToolchainOptions{CacheDir: opts.CacheDir, Log: log})
	if err != nil {
		return s, err
	}
	if s.pg, err = playground.Start(ctx, playground.Options{Toolchain: tools, Log: log}); err != nil {
		return s, err
	}
	if s.kube, err = newCluster(s.pg.ControlPlane.Config); err != nil {
		return s, fmt.Errorf("demo: %w", err)
	}
	n.say("Installing the CRDs of the Gateway API's HTTPRoute and of sluice's Canary…")
	if err := installCRDs(ctx, s.kube); err != nil {
		return s, fmt.Errorf("demo: %w", err)
	}
	if err := s.startGateway(ctx, opts); err != nil {
		return s, err
	}
	if err := s.startLoadTester(); err != nil {
		return s, err
	}
	if err := s.startForge(); err != nil {
		return s, err
	}
	return s, nil
}

// startGateway starts the gateway and has Prometheus scrape its metrics.
// In StoryCompare, 2.0 is slow from its start (see slowVersion).
func (s *stack) startGateway(ctx context.Context, opts Options) error {
	gwOpts := gateway.Options{Config: s.pg.ControlPlane.Config, Log: narratedLogger(s.n, "gateway", s.log)}
	if opts.Story == StoryCompare {
		gwOpts.Slow = gateway.SlowVersions(slowness, slowVersion)
	}
	gw, err := gateway.New(gwOpts)
	if err != nil {
		return err
	}
	s.gateway = gw
	if err := gw.Start(ctx); err != nil {
		return err
	}
	metrics, err := url.Parse(gw.MetricsURL())
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	err = s.pg.Prometheus.AddScrapeTargets(ctx, playground.ScrapeTarget{Job: "gateway", Targets: []string{metrics.Host}, MetricsPath: metrics.Path})
	if err != nil {
		return fmt.Errorf("demo: scrape the gateway: %w", err)
	}
	s.gatewayClient = &http.Client{Transport: loadgen.TransportTo(gw.Address()), Timeout: 10 * time.Second}
	s.meter = &splitMeter{kube: s.kube, client: s.gatewayClient, url: "http://" + Host + "/catalogDetail"}
	return nil
}

// startLoadTester serves the load tester of the Canary's webhooks on a
// loopback port; its requests go to the gateway, which routes
// detail-canary.flagger:3000 as the cluster would.
func (s *stack) startLoadTester() error {
	s.loadTester = loadgen.NewLoadTester(loadgen.LoadTesterOptions{
		Transport: loadgen.TransportTo(s.gateway.Address()), Log: narratedLogger(s.n, "loadtester", s.log),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: load tester: %w", err)
	}
	s.loadTesterServer = &http.Server{Handler: s.loadTester, ReadHeaderTimeout: 10 * time.Second}
	s.loadTesterURL = "http://" + ln.Addr().String() + "/"
	go func() { _ = s.loadTesterServer.Serve(ln) }()
	return nil
}

// startForge starts the forge emulator with an empty repository and a
// fresh token.
func (s *stack) startForge() error {
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("demo: token: %w", err)
	}
	s.token = "demo-" + hex.EncodeToString(secret)
	s.tokenFile = filepath.Join(s.dir, "token")
	if err := os.WriteFile(s.tokenFile, []byte(s.token+"\n"), 0o600); err != nil {
		return fmt.Errorf("demo: token: %w", err)
	}
	forge, err := forgeemu.New(forgeemu.Options{Dir: filepath.Join(s.dir, "forge"), Owner: repoOwner, Repo: repoName, Token: s.token})
	if err != nil {
		return err
	}
	if err := forge.Start(); err != nil {
		return err
	}
	s.forge = forge
	s.user, err = newUser(forge, s.token)
	return err
}

// startSluice starts `sluice run` on the repository.
func (s *stack) startSluice(opts Options) error {
	workDir := filepath.Join(s.dir, "checkouts")
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	args := sluiceArgs{
		repo: s.forge.GitURL(), apiURL: s.forge.APIURL(), tokenFile: s.tokenFile,
		kubeconfig: s.pg.ControlPlane.Kubeconfig, prometheusURL: s.pg.Prometheus.URL, workDir: workDir,
	}
	p, err := startSluice(opts.Sluice, args.list(), opts.SluiceLog)
	if err != nil {
		return err
	}
	s.sluice = p
	return nil
}

// steadyLoadRate is the rate of the steady load on the app, requests per
// second: at weight 5 the canary gets about 3 per second, so that the
// metric window of the first check at that weight (5 s, of which rate()
// sees the 4 s between its first and last scrape) is not empty by chance.
// Each request goes to the canary with probability 0.05: at 30 a second,
// the 120 requests of 4 s all miss it with probability 0.95^120 = 0.2 %,
// a story's first check failing for no data about once in 500 runs (CI
// saw a failure of that kind once); at 60, 0.95^240 = 0.0005 %.
const steadyLoadRate = 60

// startSteadyLoad sends a steady load to the app through the gateway by
// its public host, as users would, until close.
func (s *stack) startSteadyLoad() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopLoad = cancel
	s.loadDone = make(chan struct{})
	go func() {
		defer close(s.loadDone)
		_, _ = loadgen.Run(ctx, loadgen.Options{
			URL: "http://" + Host + "/catalogDetail", Rate: steadyLoadRate, Concurrency: 4,
			Duration: 24 * time.Hour, Client: s.gatewayClient,
		})
	}()
}

// injectFault asks the canary to answer 500 from now on, the seed's
// `curl http://detail-canary.flagger:3000/injectFault`. It tries a few
// times within two seconds: the canary has answered the pre-rollout check,
// so only a hiccup can make it miss.
func (s *stack) injectFault(ctx context.Context) error {
	return s.turnKnob(ctx, App+"-canary", "/injectFault")
}

// turnKnob sends a GET of knob, a path of the demo app such as
// "/injectLatency?fraction=0.1&extra=200ms", to the service of the app
// (detail-canary or detail-primary). It tries a few times within two
// seconds: the app is up, so only a hiccup can make it miss.
func (s *stack) turnKnob(ctx context.Context, service, knob string) error {
	var err error
	for range 10 {
		if err = s.getOK(ctx, "http://"+service+"."+Namespace+":3000"+knob); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s %s: %w", service, knob, err)
}

// getOK sends a GET to target through the gateway and wants 200.
func (s *stack) getOK(ctx context.Context, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := s.gatewayClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", target, resp.Status)
	}
	return nil
}

// close stops everything that was started, sluice first, and removes the
// stack's directory. It is safe on a partly started stack.
func (s *stack) close() {
	if s.sluice != nil {
		s.sluice.stop(10 * time.Second)
	}
	if s.stopLoad != nil {
		s.stopLoad()
		<-s.loadDone
	}
	if s.loadTesterServer != nil {
		_ = s.loadTesterServer.Close()
	}
	if s.loadTester != nil {
		s.loadTester.Close()
	}
	if s.forge != nil {
		_ = s.forge.Close()
	}
	if s.gateway != nil {
		s.gateway.Close()
	}
	s.pg.Stop()
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}
