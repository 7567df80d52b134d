package reconciler_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/playground/demoapp"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// TestMain runs the package's tests on a playground. The gateway that
// some tests start runs the demo app by re-executing this binary:
// RunIfChild turns those into apps.
func TestMain(m *testing.M) {
	demoapp.RunIfChild()
	playgroundtest.Main(m)
}

// passingWebhook is a webhook every check of which passes, for Canaries
// that need a gate but whose tests are not about it; it lives as long as
// the test binary.
var passingWebhook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))

// gitRepo is a real repository on disk with a main branch.
type gitRepo struct {
	t   testing.TB
	dir string
}

func newGitRepo(t testing.TB) *gitRepo {
	t.Helper()
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files (a nil content removes the file), commits them and
// returns the commit SHA.
func (r *gitRepo) commit(msg string, files map[string]*string) string {
	r.t.Helper()
	for name, content := range files {
		path := filepath.Join(r.dir, name)
		if content == nil {
			if err := os.Remove(path); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(*content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

func text(s string) *string { return &s }

// writeCounter counts the writes a client makes to the API server.
type writeCounter struct{ n atomic.Int64 }

func (w *writeCounter) funcs() interceptor.Funcs {
	return interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			w.n.Add(1)
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			w.n.Add(1)
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if !isDryRun(opts) {
				w.n.Add(1)
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			w.n.Add(1)
			return c.Delete(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			w.n.Add(1)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			w.n.Add(1)
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	}
}

func isDryRun(opts []client.PatchOption) bool {
	var po client.PatchOptions
	po.ApplyOptions(opts)
	return len(po.DryRun) > 0
}

// harness is a reconciler for one test namespace, syncing repo.
type harness struct {
	t      testing.TB
	ns     string
	repo   *gitRepo
	source *gitsync.Repository
	rec    *reconciler.Reconciler
	client client.Client
	writes *writeCounter
	// counted is the client whose writes are counted.
	counted client.Client
	a       *applier.Applier
	// lastSync is how long the last sync of rollUntil took.
	lastSync time.Duration
}

// recClient returns the client whose writes the harness counts.
func (h *harness) recClient() client.Client { return h.counted }

// applier returns the harness's applier.
func (h *harness) applier() *applier.Applier { return h.a }

func newHarness(t testing.TB, repo *gitRepo, ns string, mutate func(*reconciler.Options)) *harness {
	t.Helper()
	return newHarnessWith(t, repo, ns, harnessOptions{}, mutate)
}

// harnessOptions are how a harness's cluster client differs from the
// default (every read asks the API server).
type harnessOptions struct {
	// cachedReads reads Canaries, workloads and Services through
	// applier.CachedReads and watches what the applier applied, as sluice
	// run does; reads counts the GETs of those kinds that reach the API
	// server.
	cachedReads bool
	reads       *atomic.Int64
}

// cachedKindGET reports whether req reads one Canary, Deployment,
// DaemonSet or Service.
func cachedKindGET(req *http.Request) bool {
	if req.Method != http.MethodGet || req.URL.Query().Get("watch") != "" {
		return false
	}
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	if len(parts) < 2 {
		return false
	}
	switch parts[len(parts)-2] {
	case "canaries", "deployments", "daemonsets", "services":
		return true
	}
	return false
}

// countReads counts in n the requests of cachedKindGET.
type countReads struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countReads) RoundTrip(req *http.Request) (*http.Response, error) {
	if cachedKindGET(req) {
		c.n.Add(1)
	}
	return c.next.RoundTrip(req)
}

func newHarnessWith(t testing.TB, repo *gitRepo, ns string, ho harnessOptions, mutate func(*reconciler.Options)) *harness {
	t.Helper()
	pg := playgroundtest.Playground()
	installRouterCRDs(t)
	config := rest.CopyConfig(pg.ControlPlane.Config)
	config.QPS = -1 // measure sluice, not the client-side rate limiter
	if ho.reads != nil {
		config.WrapTransport = func(next http.RoundTripper) http.RoundTripper { return countReads{next: next, n: ho.reads} }
	}
	base, err := client.NewWithWatch(config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	if err := reconciler.EnsureCRD(context.Background(), base); err != nil {
		t.Fatal(err)
	}
	writes := &writeCounter{}
	var counted client.Client = interceptor.NewClient(base, writes.funcs())
	if ho.cachedReads {
		reads := applier.NewCachedReads(config, counted, ns)
		if err := reads.Start(context.Background(), 30*time.Second); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(reads.Stop)
		counted = reads
	}
	aopts := applier.Options{Owner: "sluice", OwnerNamespace: ns}
	if ho.cachedReads {
		// As sluice run: what sluice applied is watched too.
		md, err := metadata.NewForConfig(pg.ControlPlane.Config)
		if err != nil {
			t.Fatal(err)
		}
		aopts.Metadata, aopts.WatchNamespace = md, ns
	}
	a, err := applier.New(counted, aopts)
	if err != nil {
		t.Fatal(err)
	}
	if ho.cachedReads {
		t.Cleanup(a.Close)
	}
	source, err := gitsync.New(gitsync.Options{URL: "file://" + repo.dir, Branch: "main", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	events, err := kubernetes.NewForConfig(pg.ControlPlane.Config)
	if err != nil {
		t.Fatal(err)
	}
	opts := reconciler.Options{Namespace: ns, Prune: true}
	opts.Render.DefaultNamespace = ns
	if mutate != nil {
		mutate(&opts)
	}
	rec := reconciler.New(counted, a, events, source, opts)
	return &harness{t: t, ns: ns, repo: repo, source: source, rec: rec, client: base, writes: writes, counted: counted, a: a}
}

// sync polls and syncs once.
func (h *harness) sync() (reconciler.Result, error) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	co, _, err := h.source.Poll(ctx)
	if err != nil {
		h.t.Fatalf("poll: %v", err)
	}
	return h.rec.Sync(ctx, co)
}

// mustSync syncs once and fails the test on error.
// plan polls the branch and plans its head, failing the test on error.
func (h *harness) plan() reconciler.Plan {
	h.t.Helper()
	co, _, err := h.source.Poll(context.Background())
	if err != nil {
		h.t.Fatalf("poll: %v", err)
	}
	plan, err := h.rec.Plan(context.Background(), co)
	if err != nil {
		h.t.Fatalf("plan: %v", err)
	}
	return plan
}

func (h *harness) mustSync() reconciler.Result {
	h.t.Helper()
	res, err := h.sync()
	if err != nil {
		h.t.Fatalf("sync: %v", err)
	}
	return res
}

// settle syncs until no Canary waits for its primary.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for h.mustSync().Settling {
		if time.Now().After(deadline) {
			h.t.Fatal("primaries did not become ready within a minute")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// withSource returns a harness on the same cluster client, applier and
// namespace that syncs source instead, with the options mutate sets: a
// second sluice, or one that reads Git through the forge emulator.
func (h *harness) withSource(source *gitsync.Repository, mutate func(*reconciler.Options)) *harness {
	h.t.Helper()
	events, err := kubernetes.NewForConfig(playgroundtest.Playground().ControlPlane.Config)
	if err != nil {
		h.t.Fatal(err)
	}
	opts := reconciler.Options{Namespace: h.ns, Prune: true}
	opts.Render.DefaultNamespace = h.ns
	if mutate != nil {
		mutate(&opts)
	}
	other := *h
	other.source = source
	other.rec = reconciler.New(h.counted, h.a, events, source, opts)
	return &other
}
