package reconciler

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/analysis"
	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Values of sluice_canary_status, as Flagger's flagger_canary_status has
// them, so that its dashboards and alerts carry over.
const (
	statusRunning   = 0 // a rollout is in flight, or the target is being installed
	statusSucceeded = 1 // installed or promoted: the primary runs Git's revision
	statusFailed    = 2 // the last rollout was rolled back
)

// metrics are the Prometheus metrics of a Reconciler. Each Canary's gauges
// follow its status as written; a Canary that leaves Git loses them.
type metrics struct {
	canaryStatus       *prometheus.GaugeVec
	canaryPhase        *prometheus.GaugeVec
	canaryWeight       *prometheus.GaugeVec
	canaryFailedChecks *prometheus.GaugeVec
	canaryUndelivered  *prometheus.GaugeVec
	canaryMetric       *prometheus.GaugeVec
	rollouts           *prometheus.CounterVec
	polls              *prometheus.CounterVec
	forgeRefusals      prometheus.Counter
	syncDuration       prometheus.Histogram
	lastSync           prometheus.Gauge

	mu    sync.Mutex
	known map[types.NamespacedName]bool // the Canaries that have series
}

// Results of sluice_git_polls_total.
const (
	pollUnchanged = "unchanged"
	pollChanged   = "changed"
	pollFailed    = "error"
)

// newMetrics registers the metrics with reg; a nil reg keeps them
// unregistered (they are still kept, and cost next to nothing).
func newMetrics(reg prometheus.Registerer) *metrics {
	canary := []string{"namespace", "name"}
	m := &metrics{
		canaryStatus: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_canary_status",
			Help: "State of each Canary: 0 while a rollout runs (or the target installs), 1 when the primary runs Git's revision, 2 after a rollback.",
		}, canary),
		canaryPhase: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_canary_phase",
			Help: "Phase of each Canary: 1 for the phase in its status, 0 for every other phase (count Canaries by phase with sum by (phase)).",
		}, append(canary, "phase")),
		canaryWeight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_canary_weight",
			Help: "Percent of the traffic each Canary's router sends to its primary and to its canary.",
		}, append(canary, "backend")),
		canaryFailedChecks: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_canary_failed_checks",
			Help: "Failed checks of each Canary's analysis so far; the rollout rolls back at the Canary's threshold.",
		}, canary),
		canaryUndelivered: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_canary_undelivered_commit_statuses",
			Help: "Commit statuses of each Canary the forge has not taken yet; they are retried in order.",
		}, canary),
		canaryMetric: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_canary_metric_analysis",
			Help: "Last value each metric check of a Canary measured (percent for request-success-rate, milliseconds for request-duration).",
		}, append(canary, "metric")),
		rollouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_canary_rollouts_total",
			Help: "Rollouts each Canary finished, by result: promoted or failed.",
		}, append(canary, "result")),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_git_polls_total",
			Help: "Polls of the Git branch, by result: unchanged, changed (a new head was synced) or error.",
		}, []string{"result"}),
		forgeRefusals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_forge_refusals_total",
			Help: "Times the forge (or the Git remote, for a revert push) refused sluice's credentials; write-back then waits, backing off.",
		}),
		syncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sluice_sync_duration_seconds",
			Help:    "Time a sync of one commit took: render, observe, plan, apply, persist, write back.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 10),
		}),
		lastSync: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluice_last_sync_timestamp_seconds",
			Help: "When the last sync of a commit succeeded, in Unix seconds.",
		}),
		known: map[types.NamespacedName]bool{},
	}
	if reg != nil {
		reg.MustRegister(m.canaryStatus, m.canaryPhase, m.canaryWeight, m.canaryFailedChecks, m.canaryUndelivered,
			m.canaryMetric, m.rollouts, m.polls, m.forgeRefusals, m.syncDuration, m.lastSync)
	}
	return m
}

// observeCanary sets the gauges of a Canary from the status just written,
// and counts a rollout that finished between before and after.
func (m *metrics) observeCanary(key types.NamespacedName, before, after *v1alpha1.CanaryStatus) {
	m.mu.Lock()
	m.known[key] = true
	m.mu.Unlock()
	ns, name := key.Namespace, key.Name
	m.canaryStatus.WithLabelValues(ns, name).Set(statusValue(after.Phase))
	for _, phase := range phases {
		current := 0.0
		if phase == after.Phase {
			current = 1
		}
		m.canaryPhase.WithLabelValues(ns, name, string(phase)).Set(current)
	}
	m.canaryWeight.WithLabelValues(ns, name, "primary").Set(float64(100 - after.CanaryWeight))
	m.canaryWeight.WithLabelValues(ns, name, "canary").Set(float64(after.CanaryWeight))
	m.canaryFailedChecks.WithLabelValues(ns, name).Set(float64(after.FailedChecks))
	m.canaryUndelivered.WithLabelValues(ns, name).Set(float64(len(after.UndeliveredStatuses)))
	if before.Phase == after.Phase {
		return
	}
	switch after.Phase {
	case v1alpha1.PhaseSucceeded:
		m.rollouts.WithLabelValues(ns, name, "promoted").Inc()
	case v1alpha1.PhaseFailed:
		m.rollouts.WithLabelValues(ns, name, "failed").Inc()
	}
}

// observeChecks records the values the metric checks measured.
func (m *metrics) observeChecks(key types.NamespacedName, results []analysis.Result) {
	for _, res := range results {
		if res.Verdict == analysis.VerdictPass || res.Verdict == analysis.VerdictFail {
			m.canaryMetric.WithLabelValues(key.Namespace, key.Name, res.Metric).Set(res.Value)
		}
	}
}

// forgetCanariesBut removes the series of every Canary not in keep: those
// that left Git.
func (m *metrics) forgetCanariesBut(keep map[types.NamespacedName]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key := range m.known {
		if keep[key] {
			continue
		}
		labels := prometheus.Labels{"namespace": key.Namespace, "name": key.Name}
		for _, vec := range []*prometheus.MetricVec{m.canaryStatus.MetricVec, m.canaryPhase.MetricVec, m.canaryWeight.MetricVec,
			m.canaryFailedChecks.MetricVec, m.canaryUndelivered.MetricVec, m.canaryMetric.MetricVec, m.rollouts.MetricVec} {
			vec.DeletePartialMatch(labels)
		}
		delete(m.known, key)
	}
}

// observeForgeRefusal counts a refusal of sluice's credentials. The reason
// is not a label: it could be anything the forge says.
func (m *metrics) observeForgeRefusal(string) { m.forgeRefusals.Inc() }

// observePoll counts a poll by its result.
func (m *metrics) observePoll(result string) {
	m.polls.WithLabelValues(result).Inc()
}

// observeSync records how long a sync took and, when it succeeded, when.
func (m *metrics) observeSync(took time.Duration, err error, now time.Time) {
	m.syncDuration.Observe(took.Seconds())
	if err == nil {
		m.lastSync.Set(float64(now.UnixNano()) / 1e9)
	}
}

// phases are the values of sluice_canary_phase's phase label, in the
// order a rollout goes through them. A Canary sluice has not written a
// status for yet has an empty phase, which is none of them.
var phases = []v1alpha1.CanaryPhase{v1alpha1.PhaseInitializing, v1alpha1.PhaseInitialized, v1alpha1.PhaseWaiting,
	v1alpha1.PhaseProgressing, v1alpha1.PhaseWaitingPromotion, v1alpha1.PhasePromoting, v1alpha1.PhaseFinalising,
	v1alpha1.PhaseSucceeded, v1alpha1.PhaseFailed}

// statusValue is the sluice_canary_status of a phase.
func statusValue(phase v1alpha1.CanaryPhase) float64 {
	switch phase {
	case v1alpha1.PhaseInitialized, v1alpha1.PhaseSucceeded:
		return statusSucceeded
	case v1alpha1.PhaseFailed:
		return statusFailed
	default:
		return statusRunning
	}
}
