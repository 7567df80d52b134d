package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

func TestMain(m *testing.M) { playgroundtest.Main(m) }

// sluice runs the CLI in-process and returns its output and error.
func sluice(ctx context.Context, args ...string) (string, error) {
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

func gitCommit(t *testing.T, dir, msg string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", msg}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

func appFiles(ns, tag string) map[string]string {
	return map[string]string{
		"kustomization.yaml": "namespace: " + ns + "\nresources: [deployment.yaml, canary.yaml]\n",
		"deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: detail}
spec:
  replicas: 2
  selector: {matchLabels: {app: detail}}
  template:
    metadata: {labels: {app: detail}}
    spec: {containers: [{name: detail, image: "public.ecr.aws/u2g6w7p2/eks-workshop-demo/detail:` + tag + `"}]}
`,
		"canary.yaml": `apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata: {name: detail}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  service: {port: 3000, gatewayRefs: [{name: public, namespace: gateway}]}
  analysis: {interval: 1m, stepWeight: 5, maxWeight: 15, webhooks: [{name: gate, type: pre-rollout, url: "http://127.0.0.1:9/"}]}
`,
	}
}

// newAppRepo is a Git repository whose main holds detail 1.0 for ns.
func newAppRepo(t *testing.T, ns string) string {
	t.Helper()
	repo := t.TempDir()
	gitInit(t, repo)
	gitCommit(t, repo, "detail 1.0", appFiles(ns, "1.0"))
	return repo
}

func TestRunConvergesTheClusterAndPlanPreviewsTheNextCommit(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newAppRepo(t, ns)
	common := []string{"--repo", repo, "--kubeconfig", playgroundtest.Kubeconfig(), "--namespace", ns, "--inventory-namespace", ns, "--owner", "cli-test"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Plan before the first run: everything would be created.
	out, err := sluice(ctx, append([]string{"plan", "--ref", "main"}, common...)...)
	if !errors.Is(err, errChanges) {
		t.Fatalf("plan before run: err = %v, want the exit-2 error\n%s", err, out)
	}
	if !strings.Contains(out, "install: detail-primary created from revision") {
		t.Errorf("plan before run does not announce the install:\n%s", out)
	}

	// Run until the Canary is Initialized, serving metrics.
	metricsAddr := freeAddr(t)
	stopRun := runInBackground(t, ctx, append([]string{"run", "--interval", "1s", "--prune", "--leader-elect", "--leader-election-namespace", ns, "--metrics-addr", metricsAddr}, common...)...)
	defer stopRun()
	c, err := client.New(playgroundtest.Playground().ControlPlane.Config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	waitPhase := func(want v1alpha1.CanaryPhase) *v1alpha1.Canary {
		t.Helper()
		for {
			var canary v1alpha1.Canary
			err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &canary)
			if err == nil && canary.Status.Phase == want {
				return &canary
			}
			select {
			case <-ctx.Done():
				t.Fatalf("canary never reached %s: %v %+v", want, err, canary.Status)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	waitPhase(v1alpha1.PhaseInitialized)
	var lease coordinationv1.Lease
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "sluice"}, &lease); err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("run --leader-elect synced without holding the Lease %s/sluice: %v %+v", ns, err, lease.Spec)
	}

	out, err = sluice(ctx, append([]string{"plan", "--ref", "main"}, common...)...)
	if err != nil {
		t.Errorf("plan of the synced commit: err = %v, want exit 0\n%s", err, out)
	}

	// The metrics say the same, and the health check answers.
	metrics := httpGet(t, "http://"+metricsAddr+"/metrics")
	for _, want := range []string{
		fmt.Sprintf(`sluice_canary_status{name="detail",namespace=%q} 1`, ns),
		fmt.Sprintf(`sluice_canary_weight{backend="primary",name="detail",namespace=%q} 100`, ns),
		`sluice_git_polls_total{result="changed"} 1`,
		`sluice_info{version="dev"} 1`,
		"go_goroutines ",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no line %q:\n%s", want, metrics)
		}
	}
	for _, probe := range []string{"/healthz", "/readyz"} {
		if got := httpGet(t, "http://"+metricsAddr+probe); got != "ok\n" {
			t.Errorf("%s = %q, want ok", probe, got)
		}
	}

	// A new image: plan says a rollout would start; run records it pending.
	gitCommit(t, repo, "detail 2.0", appFiles(ns, "2.0"))
	out, err = sluice(ctx, append([]string{"plan", "--ref", "main"}, common...)...)
	if !errors.Is(err, errChanges) || !strings.Contains(out, "a rollout of revision") || !strings.Contains(out, "5% → 10% → 15%, one every 1m") {
		t.Errorf("plan of the image change: err = %v, output:\n%s", err, out)
	}
	canary := waitPhase(v1alpha1.PhaseWaiting)
	if canary.Status.PendingRevision == "" || canary.Status.PendingRevision == canary.Status.LastPromotedRevision {
		t.Errorf("waiting canary status = %+v, want a new pending revision", canary.Status)
	}

	// status lists the Canary and shows it in detail, events included.
	kc := []string{"--kubeconfig", playgroundtest.Kubeconfig(), "-n", ns}
	out, err = sluice(ctx, append([]string{"status"}, kc...)...)
	promoted := canary.Status.LastPromotedCommit[:7]
	if err != nil || !regexp.MustCompile(`(?m)^`+ns+` +detail +Waiting +0% +0/1 +`+promoted+` .* waits to roll out$`).MatchString(out) {
		t.Errorf("status: err = %v, want detail Waiting with the primary at %s:\n%s", err, promoted, out)
	}
	out, err = sluice(ctx, append([]string{"status", "detail"}, kc...)...)
	for _, want := range []string{
		`Canary +` + ns + `/detail \(target Deployment detail, provider gatewayapi\)`,
		`Phase +Waiting, since \d+s ago`,
		`Primary runs +revision ` + canary.Status.LastPromotedRevision[:7] + ` from commit ` + promoted,
		`Pending +revision ` + canary.Status.PendingRevision[:7] + ` from commit ` + canary.Status.PendingCommit[:7],
		`Ready=True +Synced +Applied commit ` + canary.Status.PendingCommit,
		`\d+s ago +Normal +Initialization done! detail\.` + ns,
	} {
		if err != nil || !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("status detail: err = %v, no %q in:\n%s", err, want, out)
		}
	}
	if _, err := sluice(ctx, append([]string{"status", "nothing"}, kc...)...); err == nil || !strings.Contains(err.Error(), "canary "+ns+"/nothing: ") || !strings.Contains(err.Error(), "not found") {
		t.Errorf("status of a missing Canary: err = %v, want one naming it and saying not found", err)
	}
}

func TestPlanWithoutRepoIsAClearError(t *testing.T) {
	_, err := sluice(context.Background(), "plan", "--kubeconfig", playgroundtest.Kubeconfig())
	if err == nil || !strings.Contains(err.Error(), "--repo is required") {
		t.Errorf("err = %v, want one saying --repo is required", err)
	}
}

func TestWithoutWorkDirTheCheckoutsGoAwayWhenTheCommandEnds(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newAppRepo(t, ns)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	common := []string{"--repo", repo, "--kubeconfig", playgroundtest.Kubeconfig(), "--namespace", ns, "--inventory-namespace", ns, "--owner", "cli-test"}

	if out, err := sluice(context.Background(), append([]string{"plan", "--ref", "main"}, common...)...); !errors.Is(err, errChanges) {
		t.Fatalf("plan: err = %v, want the exit-2 error\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if out, err := sluice(ctx, append([]string{"run", "--interval", "1s"}, common...)...); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	left, err := filepath.Glob(filepath.Join(tmp, "sluice-checkouts-*"))
	if err != nil || len(left) > 0 {
		t.Errorf("checkouts left in $TMPDIR after plan and run: %v %v", left, err)
	}
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// httpGet returns the body of a 200 answer to GET url.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v\n%s", url, resp.Status, err, body)
	}
	return string(body)
}

// runInBackground starts `sluice args…` (a run) until ctx ends or the
// returned function is called; that function waits for it to end and
// reports an error it returned.
func runInBackground(t *testing.T, ctx context.Context, args ...string) (stop func()) {
	t.Helper()
	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() {
		_, err := sluice(runCtx, args...)
		runDone <- err
	}()
	return func() {
		stopRun()
		if err := <-runDone; err != nil {
			t.Errorf("run: %v", err)
		}
	}
}
