package reconciler_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

func TestOnlyTheLeaseHolderSyncsAndAnotherReplicaTakesOverWhenItStops(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	seedApp(repo)
	h := newHarness(t, repo, ns, nil)
	kube, err := kubernetes.NewForConfig(playgroundtest.Playground().ControlPlane.Config)
	if err != nil {
		t.Fatal(err)
	}
	type replica struct {
		source *countingSource
		cancel context.CancelFunc
		done   chan error
	}
	start := func(identity string) *replica {
		repository, err := gitsync.New(gitsync.Options{URL: "file://" + repo.dir, Branch: "main", Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		source := &countingSource{Repository: repository}
		rec := reconciler.New(h.recClient(), h.applier(), kube, source, reconciler.Options{
			Namespace: ns, Prune: true, Interval: 200 * time.Millisecond, Render: manifests.Options{DefaultNamespace: ns},
		})
		ctx, cancel := context.WithCancel(context.Background())
		r := &replica{source: source, cancel: cancel, done: make(chan error, 1)}
		go func() {
			r.done <- rec.RunElected(ctx, kube, reconciler.LeaderElection{
				Namespace: ns, Name: "sluice", Identity: identity,
				LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond,
			})
		}()
		t.Cleanup(func() { cancel(); <-r.done })
		return r
	}
	waitPolls := func(r *replica, what string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for r.source.polls.Load() == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s never polled", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	a := start("a")
	waitPolls(a, "the first replica")
	b := start("b")
	time.Sleep(2 * time.Second) // ten of b's attempts to acquire the lease
	if n := b.source.polls.Load(); n != 0 {
		t.Fatalf("the second replica polled %d times while the first held the lease", n)
	}

	// The leader stops (a rollout of sluice itself): it releases the lease
	// and the other replica leads at once, without waiting for it to expire.
	a.cancel()
	if err := <-a.done; err != nil {
		t.Errorf("RunElected of the replica whose context ended returned %v, want nil", err)
	}
	a.done <- nil // for the cleanup
	stopped := a.source.polls.Load()
	waitPolls(b, "the second replica, after the first stopped")
	time.Sleep(500 * time.Millisecond)
	if n := a.source.polls.Load(); n != stopped {
		t.Errorf("the stopped replica polled %d more times", n-stopped)
	}
	if h.canary().Status.LastPromotedRevision == "" {
		t.Errorf("the Canary was never installed by the leaders")
	}
}
