package reconciler_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// A replica waiting for the Lease used to fail /readyz forever (it never
// syncs) and /healthz after --healthz-stall (it never turns the loop): the
// kubelet restarted it over and over, and a rolling update of sluice's
// one-replica Deployment, whose new pod waits for the old one's Lease,
// never finished. A standby is healthy and ready.
func TestAStandbyReplicaIsHealthyAndReadyAndTheLeaderIsJudgedByItsLoop(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	kube, err := kubernetes.NewForConfig(playgroundtest.Playground().ControlPlane.Config)
	if err != nil {
		t.Fatal(err)
	}
	start := func(identity string) (*reconciler.Reconciler, *pollCounter) {
		source := &pollCounter{}
		rec := reconciler.New(nil, nil, nil, source, reconciler.Options{Interval: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = rec.RunElected(ctx, kube, reconciler.LeaderElection{Namespace: ns, Name: "sluice", Identity: identity,
				LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond})
		}()
		t.Cleanup(func() { cancel(); <-done })
		return rec, source
	}
	leader, leaderPolls := start("leader")
	for deadline := time.Now().Add(15 * time.Second); leaderPolls.polls.Load() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first replica never led")
		}
	}
	standby, standbyPolls := start("standby")
	time.Sleep(time.Second) // the standby has tried the Lease a few times

	now := time.Now()
	if standbyPolls.polls.Load() != 0 {
		t.Fatal("the standby polled while the other replica holds the Lease")
	}
	if err := standby.Ready(); err != nil {
		t.Errorf("Ready of the standby = %v, want nil", err)
	}
	for _, later := range []time.Duration{0, time.Hour} {
		if err := standby.Health(now.Add(later), time.Minute); err != nil {
			t.Errorf("Health of the standby %s on (stall allowed 1m) = %v, want nil", later, err)
		}
	}
	// The leader, whose polls all fail, has applied nothing: not ready;
	// its loop turns, an hour of silence would not.
	if err := leader.Ready(); err == nil {
		t.Error("Ready of a leader that applied nothing = nil, want an error")
	}
	if err := leader.Health(now, time.Minute); err != nil {
		t.Errorf("Health of the leader = %v, want nil", err)
	}
	if err := leader.Health(now.Add(time.Hour), time.Minute); err == nil {
		t.Error("Health of the leader an hour after its last turn = nil, want an error")
	}
}

// flakySource is a Source that fails while fail is set.
type flakySource struct {
	*gitsync.Repository
	fail atomic.Bool
}

func (s *flakySource) Poll(ctx context.Context) (gitsync.Checkout, bool, error) {
	if s.fail.Load() {
		return gitsync.Checkout{}, false, &gitsync.Error{Op: "ls-remote", URL: s.URL(), Ref: "main", Err: errors.New("connection refused")}
	}
	return s.Repository.Poll(ctx)
}

func TestReadinessFollowsTheLastSync(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	seedApp(repo)
	h := newHarness(t, repo, ns, nil)
	repository, err := gitsync.New(gitsync.Options{URL: "file://" + repo.dir, Branch: "main", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	source := &flakySource{Repository: repository}
	rec := reconciler.New(h.recClient(), h.applier(), nil, source, reconciler.Options{
		Namespace: ns, Interval: 200 * time.Millisecond, Render: manifests.Options{DefaultNamespace: ns},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = rec.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitReady := func(what string, ready bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); (rec.Ready() == nil) != ready; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: Ready = %v within 20s", what, rec.Ready())
			}
		}
	}
	waitReady("after the first sync", true)
	source.fail.Store(true)
	waitReady("while Git fails", false)
	if err := rec.Ready(); !strings.Contains(err.Error(), "the last sync failed") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Ready while Git fails = %v, want the cause", err)
	}
	source.fail.Store(false)
	waitReady("once Git answers again", true)
}
