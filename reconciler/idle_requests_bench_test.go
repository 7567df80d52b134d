package reconciler_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// BenchmarkIdleSync1000ObjectsWatched is BenchmarkIdleSync1000Objects with
// the applier's watch on (applier.Options.Metadata): an object neither Git
// nor the cluster changed is not dry-run. It reports the API requests of
// one sync (the watches' own are not counted: they are long-lived).
func BenchmarkIdleSync1000ObjectsWatched(b *testing.B) { benchmarkIdleSyncRequests(b, true) }

// BenchmarkIdleSync1000ObjectsUnwatched is the same without the watch,
// the figure to compare with: a GET and a dry run per object.
func BenchmarkIdleSync1000ObjectsUnwatched(b *testing.B) { benchmarkIdleSyncRequests(b, false) }

// requestCounter counts the requests a client sends to the API server.
type requestCounter struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c requestCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(req)
}

func benchmarkIdleSyncRequests(b *testing.B, watched bool) {
	ns := playgroundtest.Namespace(b)
	repo := newGitRepo(b)
	var yaml strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&yaml, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-%04d}\ndata: {index: \"%d\"}\n", i, i)
	}
	repo.commit("1000 objects", map[string]*string{"configmaps.yaml": text(yaml.String())})
	h := newHarness(b, repo, ns, nil)
	requests := &atomic.Int64{}
	h.rec = countedReconciler(b, h, requests, watched)

	if n := h.mustSync().Changes.Written(); n != 1000 {
		b.Fatalf("first sync wrote %d objects, want 1000", n)
	}
	// The second sync proves the objects unchanged; with the watch, a sync
	// is idle once the watch has seen them all.
	for range 10 {
		before := requests.Load()
		h.mustSync()
		if !watched || requests.Load()-before < 100 {
			break
		}
	}
	start, syncs := requests.Load(), 0
	b.ResetTimer()
	for b.Loop() {
		if n := h.mustSync().Changes.Written(); n != 0 {
			b.Fatalf("idle sync wrote %d objects", n)
		}
		syncs++
	}
	b.StopTimer()
	b.ReportMetric(float64(requests.Load()-start)/float64(syncs), "requests/op")
}

// countedReconciler returns a reconciler of h's source and namespace whose
// client and applier count their requests in requests; its applier
// watches when watched.
func countedReconciler(b *testing.B, h *harness, requests *atomic.Int64, watched bool) *reconciler.Reconciler {
	b.Helper()
	pg := playgroundtest.Playground()
	config := rest.CopyConfig(pg.ControlPlane.Config)
	config.QPS = -1
	config.WrapTransport = func(next http.RoundTripper) http.RoundTripper { return requestCounter{next: next, n: requests} }
	c, err := client.NewWithWatch(config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		b.Fatal(err)
	}
	opts := applier.Options{Owner: "sluice", OwnerNamespace: h.ns}
	if watched {
		if opts.Metadata, err = metadata.NewForConfig(pg.ControlPlane.Config); err != nil {
			b.Fatal(err)
		}
		opts.WatchNamespace = h.ns
	}
	a, err := applier.New(c, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	events, err := kubernetes.NewForConfig(pg.ControlPlane.Config)
	if err != nil {
		b.Fatal(err)
	}
	recOpts := reconciler.Options{Namespace: h.ns, Prune: true}
	recOpts.Render.DefaultNamespace = h.ns
	return reconciler.New(c, a, events, h.source, recOpts)
}
