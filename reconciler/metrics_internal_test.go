package reconciler

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

func TestMetricsCountEachFinishedRolloutOnceAndForgetCanariesThatLeftGit(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newMetrics(reg)
	detail := types.NamespacedName{Namespace: "flagger", Name: "detail"}
	frontend := types.NamespacedName{Namespace: "flagger", Name: "frontend"}
	progressing := &v1alpha1.CanaryStatus{Phase: v1alpha1.PhaseProgressing, CanaryWeight: 15}
	succeeded := &v1alpha1.CanaryStatus{Phase: v1alpha1.PhaseSucceeded}
	failed := &v1alpha1.CanaryStatus{Phase: v1alpha1.PhaseFailed, FailedChecks: 2,
		UndeliveredStatuses: []v1alpha1.CommitStatusRecord{{State: "failure"}}}

	m.observeCanary(detail, progressing, succeeded)
	m.observeCanary(detail, succeeded, succeeded) // a later write of the same phase
	m.observeCanary(frontend, progressing, failed)

	want := `
# HELP sluice_canary_rollouts_total Rollouts each Canary finished, by result: promoted or failed.
# TYPE sluice_canary_rollouts_total counter
sluice_canary_rollouts_total{name="detail",namespace="flagger",result="promoted"} 1
sluice_canary_rollouts_total{name="frontend",namespace="flagger",result="failed"} 1
# HELP sluice_canary_status State of each Canary: 0 while a rollout runs (or the target installs), 1 when the primary runs Git's revision, 2 after a rollback.
# TYPE sluice_canary_status gauge
sluice_canary_status{name="detail",namespace="flagger"} 1
sluice_canary_status{name="frontend",namespace="flagger"} 2
# HELP sluice_canary_undelivered_commit_statuses Commit statuses of each Canary the forge has not taken yet; they are retried in order.
# TYPE sluice_canary_undelivered_commit_statuses gauge
sluice_canary_undelivered_commit_statuses{name="detail",namespace="flagger"} 0
sluice_canary_undelivered_commit_statuses{name="frontend",namespace="flagger"} 1
`
	names := []string{"sluice_canary_rollouts_total", "sluice_canary_status", "sluice_canary_undelivered_commit_statuses"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}

	// frontend leaves Git: its series go, detail's stay.
	m.forgetCanariesBut(map[types.NamespacedName]bool{detail: true})
	if n := testutil.CollectAndCount(m.canaryStatus); n != 1 {
		t.Errorf("%d sluice_canary_status series after frontend left Git, want 1", n)
	}
	if n := testutil.CollectAndCount(m.canaryWeight); n != 2 {
		t.Errorf("%d sluice_canary_weight series after frontend left Git, want detail's primary and canary", n)
	}
	if n := testutil.CollectAndCount(m.rollouts); n != 1 {
		t.Errorf("%d sluice_canary_rollouts_total series after frontend left Git, want 1", n)
	}
}

func TestMetricsShowEachCanarysPhaseAsOneOfNine(t *testing.T) {
	m := newMetrics(prometheus.NewRegistry())
	detail := types.NamespacedName{Namespace: "flagger", Name: "detail"}
	m.observeCanary(detail, &v1alpha1.CanaryStatus{}, &v1alpha1.CanaryStatus{Phase: v1alpha1.PhaseProgressing})
	m.observeCanary(detail, &v1alpha1.CanaryStatus{Phase: v1alpha1.PhaseProgressing}, &v1alpha1.CanaryStatus{Phase: v1alpha1.PhasePromoting})
	if n := testutil.CollectAndCount(m.canaryPhase); n != 9 {
		t.Errorf("%d sluice_canary_phase series, want one per phase", n)
	}
	for _, phase := range phases {
		want := 0.0
		if phase == v1alpha1.PhasePromoting {
			want = 1
		}
		if got := testutil.ToFloat64(m.canaryPhase.WithLabelValues("flagger", "detail", string(phase))); got != want {
			t.Errorf("sluice_canary_phase{phase=%q} = %v, want %v", phase, got, want)
		}
	}
	m.forgetCanariesBut(nil)
	if n := testutil.CollectAndCount(m.canaryPhase); n != 0 {
		t.Errorf("%d sluice_canary_phase series after detail left Git, want none", n)
	}
}
