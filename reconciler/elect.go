package reconciler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// LeaderElection configures RunElected. Zero durations take the defaults
// of Kubernetes' own controllers.
type LeaderElection struct {
	// Namespace and Name of the coordination.k8s.io Lease the replicas
	// share; both are required.
	Namespace, Name string
	// Identity of this replica in the Lease; zero means the hostname and a
	// random suffix.
	Identity string
	// LeaseDuration is how long the others wait after the last renewal
	// before taking over; zero means 15s.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader keeps retrying a renewal before
	// it gives up leading; zero means 10s.
	RenewDeadline time.Duration
	// RetryPeriod is the wait between attempts to acquire or renew; zero
	// means 2s.
	RetryPeriod time.Duration
}

// ErrLostLeadership is returned by RunElected when this replica stopped
// leading before its context ended: the process should exit, and its
// restart competes for the Lease again.
var ErrLostLeadership = errors.New("leader election: lost the lease")

// RunElected runs Run only while this replica holds the Lease, so that of
// several replicas of sluice exactly one writes to the cluster and to
// Git. It blocks until it leads, releases the Lease when ctx ends (so
// another replica takes over at once), and returns ErrLostLeadership when
// the Lease could not be renewed. Run's state is all in the Canaries'
// status, so the next leader resumes every rollout where it stood.
func (r *Reconciler) RunElected(ctx context.Context, kube kubernetes.Interface, le LeaderElection) error {
	if le.Namespace == "" || le.Name == "" {
		return errors.New("leader election: the Lease namespace and name are required")
	}
	if le.Identity == "" {
		host, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("leader election: identity: %w", err)
		}
		le.Identity = host + "_" + rand.String(8)
	}
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, le.Namespace, le.Name, kube.CoreV1(), kube.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: le.Identity})
	if err != nil {
		return fmt.Errorf("leader election: lease %s/%s: %w", le.Namespace, le.Name, err)
	}
	lost := make(chan struct{})
	// A replica waiting for the Lease is a healthy standby for both
	// probes (Health, Ready): a standby that failed them would be
	// restarted by the kubelet every --healthz-stall, and would never let
	// a rolling update of sluice's Deployment finish.
	r.standby.Store(true)
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   orDefault(le.LeaseDuration, 15*time.Second),
		RenewDeadline:   orDefault(le.RenewDeadline, 10*time.Second),
		RetryPeriod:     orDefault(le.RetryPeriod, 2*time.Second),
		ReleaseOnCancel: true,
		Name:            le.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				r.standby.Store(false)
				r.opts.Log.Info(fmt.Sprintf("Leading: lease %s/%s acquired by %s", le.Namespace, le.Name, le.Identity))
				_ = r.Run(ctx)
			},
			OnStoppedLeading: func() { close(lost) },
		},
	})
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	r.opts.Log.Info(fmt.Sprintf("Waiting to lead: lease %s/%s as %s", le.Namespace, le.Name, le.Identity))
	elector.Run(ctx)
	select {
	case <-lost:
		if ctx.Err() == nil {
			r.opts.Log.Error(fmt.Sprintf("Lost lease %s/%s: stopping", le.Namespace, le.Name))
			return ErrLostLeadership
		}
	default:
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
