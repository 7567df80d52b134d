package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// TestASluiceKilledMidRolloutAndMidPromotionFinishesAfterARestart kills a
// real `sluice run` process with SIGKILL, once in the middle of an
// analysis and once in the middle of a promotion, restarts it, and checks
// the rollout resumes where it stood and ends promoted. The times to
// resume are the figures of docs/reliability.md.
func TestASluiceKilledMidRolloutAndMidPromotionFinishesAfterARestart(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	binary := buildSluice(t)
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer gate.Close()
	files := func(tag string) map[string]string {
		f := appFiles(ns, tag)
		// Blue/green (provider kubernetes) needs no routing CRD: the apex
		// Service's selector is the switch.
		f["canary.yaml"] = strings.NewReplacer("interval: 1m, stepWeight: 5, maxWeight: 15", "interval: 2s, iterations: 4",
			"http://127.0.0.1:9/", gate.URL, "  service:", "  provider: kubernetes\n  service:").Replace(f["canary.yaml"])
		return f
	}
	repo := t.TempDir()
	gitInit(t, repo)
	gitCommit(t, repo, "detail 1.0", files("1.0"))

	c, err := client.New(playgroundtest.Playground().ControlPlane.Config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	status := func() v1alpha1.CanaryStatus {
		var canary v1alpha1.Canary
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail"}, &canary); err != nil {
			return v1alpha1.CanaryStatus{}
		}
		return canary.Status
	}
	waitFor := func(what string, done func(v1alpha1.CanaryStatus) bool) time.Duration {
		t.Helper()
		start := time.Now()
		for deadline := start.Add(90 * time.Second); !done(status()); {
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 90s; status %+v", what, status())
			}
			time.Sleep(20 * time.Millisecond)
		}
		return time.Since(start)
	}
	var logs bytes.Buffer
	start := func() *exec.Cmd {
		cmd := exec.Command(binary, "run", "--repo", repo, "--kubeconfig", playgroundtest.Kubeconfig(), "--namespace", ns,
			"--inventory-namespace", ns, "--owner", "kill-test", "--interval", "1s", "--prune")
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	kill := func(cmd *exec.Cmd) {
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}

	run := start()
	waitFor("the install", func(st v1alpha1.CanaryStatus) bool { return st.Phase == v1alpha1.PhaseInitialized })
	gitCommit(t, repo, "detail 2.0", files("2.0"))

	// Mid-analysis.
	waitFor("iteration 2", func(st v1alpha1.CanaryStatus) bool { return st.Iterations == 2 })
	kill(run)
	killedAt := status()
	run = start()
	resumed := waitFor("the next step after the restart", func(st v1alpha1.CanaryStatus) bool {
		return st.Iterations > killedAt.Iterations || st.Phase != killedAt.Phase
	})
	if st := status(); st.Iterations != 3 || st.Phase != v1alpha1.PhaseProgressing {
		t.Errorf("after the restart at iteration 2 the rollout went on to iteration %d, phase %s; want 3, Progressing", st.Iterations, st.Phase)
	}
	t.Logf("killed at iteration 2: the restarted sluice took the next step %s after it started", resumed.Round(10*time.Millisecond))

	// Mid-promotion.
	waitFor("the promotion", func(st v1alpha1.CanaryStatus) bool { return st.Phase == v1alpha1.PhasePromoting })
	kill(run)
	run = start()
	defer kill(run)
	finished := waitFor("the end of the promotion after the restart", func(st v1alpha1.CanaryStatus) bool { return st.Phase == v1alpha1.PhaseSucceeded })
	t.Logf("killed while Promoting: the restarted sluice finished the promotion %s after it started", finished.Round(10*time.Millisecond))

	var primary, canary appsv1.Deployment
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail-primary"}, &primary); err != nil {
		t.Fatal(err)
	}
	if img := primary.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("the primary runs %s after the promotion, want 2.0", img)
	}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail"}, &canary); err != nil || *canary.Spec.Replicas != 0 {
		t.Errorf("the canary after the promotion: %v, replicas %v; want 0", err, canary.Spec.Replicas)
	}
	if t.Failed() {
		t.Logf("sluice's log:\n%s", logs.String())
	}
}

// silentServer accepts connections and never answers: a stalled Git
// remote or API server.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		var held []net.Conn
		for {
			c, err := l.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	return l.Addr().String()
}

// probe returns the status code of GET url, or 0 when it cannot connect.
func probe(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// buildSluice builds the binary of this package.
func buildSluice(t testing.TB) string {
	t.Helper()
	binary := filepath.Join(t.TempDir(), "sluice")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return binary
}

// The real process against stalled dependencies: a Git remote that never
// answers is a timeout that names it while the loop (and /healthz) goes
// on; an API server that never answers, with no deadline, freezes the
// loop, and /healthz says so for the kubelet to restart sluice.
func TestTheSluiceProcessDetectsAStalledGitServerAndAStuckLoop(t *testing.T) {
	binary := buildSluice(t)
	ns := playgroundtest.Namespace(t)

	t.Run("git", func(t *testing.T) {
		metrics := freeAddr(t)
		var logs syncWriter
		cmd := exec.Command(binary, "run", "--repo", "http://"+silentServer(t)+"/fleet.git", "--kubeconfig", playgroundtest.Kubeconfig(),
			"--namespace", ns, "--inventory-namespace", ns, "--owner", "stall-test", "--interval", "1s", "--git-timeout", "1s", "--metrics-addr", metrics)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		for !strings.Contains(logs.String(), "within 1s (--git-timeout)") {
			if time.Since(start) > 30*time.Second {
				t.Fatalf("no Git timeout logged within 30s:\n%s", logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("the process logged the stalled Git server %s after it started (--git-timeout 1s)", time.Since(start).Round(10*time.Millisecond))
		if code := probe("http://" + metrics + "/healthz"); code != http.StatusOK {
			t.Errorf("/healthz = %d while Git stalls, want 200: the loop goes on", code)
		}
		if code := probe("http://" + metrics + "/readyz"); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz = %d before any commit was applied, want 503", code)
		}
	})

	t.Run("api server", func(t *testing.T) {
		kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
		config := "apiVersion: v1\nkind: Config\nclusters: [{name: stalled, cluster: {server: \"http://" + silentServer(t) + "\"}}]\n" +
			"contexts: [{name: stalled, context: {cluster: stalled, user: nobody}}]\ncurrent-context: stalled\nusers: [{name: nobody, user: {}}]\n"
		if err := os.WriteFile(kubeconfig, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		metrics := freeAddr(t)
		var logs syncWriter
		cmd := exec.Command(binary, "run", "--repo", "http://"+silentServer(t)+"/fleet.git", "--kubeconfig", kubeconfig,
			"--kube-api-timeout", "0", "--healthz-stall", "2s", "--metrics-addr", metrics)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		for probe("http://"+metrics+"/healthz") != http.StatusOK {
			if time.Since(start) > 30*time.Second {
				t.Fatalf("/healthz never answered ok:\n%s", logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		for probe("http://"+metrics+"/healthz") != http.StatusServiceUnavailable {
			if time.Since(start) > 30*time.Second {
				t.Fatalf("/healthz still ok 30s into a stuck loop:\n%s", logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("/healthz failed %s after the start of a loop stuck on the API server (--healthz-stall 2s)", time.Since(start).Round(10*time.Millisecond))
	})
}

// syncWriter is a buffer safe for a process's two output streams.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// The real process refuses a 400-byte alias bomb and a 50 MB manifest
// without the memory they would cost: its peak RSS stays well under the
// 512 MiB limit deploy/ gives it (docs/reliability.md has the figures).
func TestTheSluiceProcessRefusesAnAliasBombAndAHugeManifestInLittleMemory(t *testing.T) {
	binary := buildSluice(t)
	ns := playgroundtest.Namespace(t)
	bomb, err := os.ReadFile(filepath.Join("..", "..", "manifests", "testdata", "hostile", "billion-laughs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	huge := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge}\ndata:\n  blob: " + strings.Repeat("x", 50<<20) + "\n"
	cases := []struct{ name, content string }{{"nothing hostile", ""}, {"an alias bomb", string(bomb)}, {"a 50 MB manifest", huge}}
	var baseline int64
	for _, tc := range cases {
		name, content := tc.name, tc.content
		t.Run(name, func(t *testing.T) {
			repo := t.TempDir()
			gitInit(t, repo)
			files := appFiles(ns, "1.0")
			files["kustomization.yaml"] = strings.Replace(files["kustomization.yaml"], "canary.yaml]", "canary.yaml, hostile.yaml]", 1)
			files["hostile.yaml"] = content
			if content == "" {
				files["hostile.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: harmless}\n"
			}
			gitCommit(t, repo, "hostile", files)
			cmd := exec.Command(binary, "plan", "--ref", "main", "--repo", repo, "--kubeconfig", playgroundtest.Kubeconfig(),
				"--namespace", ns, "--inventory-namespace", ns, "--owner", "rss-test")
			out, err := cmd.CombinedOutput()
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
			if content == "" {
				baseline = rss
				t.Logf("planning a harmless commit: peak RSS of the sluice process %d MiB", rss/1024)
				return
			}
			if err == nil || !strings.Contains(string(out), "hostile.yaml") {
				t.Fatalf("plan of %s: err %v, want a refusal naming hostile.yaml:\n%s", name, err, out)
			}
			t.Logf("refusing %s: peak RSS of the sluice process %d MiB (a harmless commit: %d MiB)", name, rss/1024, baseline/1024)
			if rss > 400*1024 {
				t.Errorf("peak RSS %d MiB refusing %s, want well under the 512 MiB limit", rss/1024, name)
			}
		})
	}
}
