package reconciler_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

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
