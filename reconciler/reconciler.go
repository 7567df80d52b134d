// Package reconciler is the conductor of sluice: it polls Git, renders the
// checkout, asks the planner what each Canary target needs, applies the
// result and persists the Canaries' status; then it takes each rollout one
// step further (planner.DecideRollout), running its checks through
// analysis and its actions through applier. Nothing else talks to more than
// one of gitsync, manifests, planner, applier and analysis.
package reconciler

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/analysis"
	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
)

// Source is the Git branch being watched.
type Source interface {
	// Poll returns the checkout of the branch head and whether it moved
	// since the last successful Poll.
	Poll(ctx context.Context) (gitsync.Checkout, bool, error)
	// URL is the remote, with credentials redacted.
	URL() string
}

// Options configures a Reconciler. Zero values are documented per field.
type Options struct {
	// Path is the directory of the kustomization inside the checkout; zero
	// means the root.
	Path string
	// Render tunes rendering (sandbox, default namespace, input bounds).
	Render manifests.Options
	// RenderTimeout bounds the rendering of a commit; one that takes
	// longer is refused like a commit that does not render. Zero means
	// manifests.DefaultRenderTimeout.
	RenderTimeout time.Duration
	// Prune deletes objects that left Git.
	Prune bool
	// Namespace, when set, restricts sluice to one namespace: a rendering
	// with any object elsewhere (or cluster-scoped) is refused as a whole.
	Namespace string
	// Interval is how often the branch is polled; zero means 30s.
	Interval time.Duration
	// Log receives one JSON line per event; nil discards.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PrometheusURL is the base URL of the Prometheus HTTP API that the
	// metric checks of every Canary query. Zero means metrics cannot be
	// checked: each metric check is an error verdict that holds the step
	// (fail closed) and analysis.maxErrors of them roll back; the Canary's
	// Metrics condition and an error log say so.
	PrometheusURL string
	// Forge receives the commit statuses and the revert pull requests;
	// nil means sluice writes nothing back to Git. Revert pull requests
	// need a Source that can push a branch (gitsync.Repository can).
	Forge Forge
	// Shard is the shard this sluice acts on: the objects of Git labelled
	// ShardLabel with this value; zero means those without the label.
	// Several sluices with different shards split a repository's apps,
	// each with its own Options of the applier (owner, inventory) and its
	// own Lease.
	Shard string
	// CommitChecks is how verdicts are written on commits: commit statuses
	// (the zero value), Check Runs (which need a GitHub App) or both.
	CommitChecks CommitChecks
	// StatusURL is the details link of every commit status, with
	// {namespace}, {name} (of the Canary) and {commit} filled in, e.g. a
	// dashboard; zero means none.
	StatusURL string
	// CommitURL links a commit in pull request bodies; nil shows the SHA
	// without a link.
	CommitURL func(sha string) string
	// Webhooks tunes the webhook calls (retries, transport); the zero value
	// is analysis's defaults.
	Webhooks analysis.WebhooksOptions
	// GitTimeout bounds each call to the Git remote: a poll (ls-remote and
	// fetch), the fetches and push of a revert, the checkout of a commit
	// to restore. Zero means DefaultGitTimeout. A call that takes longer
	// fails with an error that names the remote and the timeout.
	GitTimeout time.Duration
	// ForgeTimeout bounds each call to the forge (a commit status, a pull
	// request), retries included. Zero means DefaultForgeTimeout.
	ForgeTimeout time.Duration
	// ForgeRetryAfter is how long write-back waits after the forge refused
	// sluice's credentials that many times in a row; nil means
	// planner.ForgeRetryAfter (10s doubling to 10 minutes).
	ForgeRetryAfter func(failures int) time.Duration
	// Workers bounds the rollout steps Run takes at once, each Canary's
	// on a goroutine of its own so that one that waits delays no other.
	// Zero means DefaultWorkers.
	Workers int
	// Fault, when set, is called at the named points of a rollout step and
	// of a sync (see the fault* constants); an error it returns aborts the
	// step there, as a crash would, before anything after the point is
	// written. For tests that prove crash consistency; nil in production.
	Fault func(point string) error
	// Metrics registers sluice's Prometheus metrics (metrics.go): each
	// Canary's status, weights, failed checks, measured metric values and
	// finished rollouts, and the Git polls and syncs. Nil registers none.
	Metrics prometheus.Registerer
}

// The default deadlines of Options.
const (
	DefaultGitTimeout   = 2 * time.Minute
	DefaultForgeTimeout = time.Minute
)

// Reconciler keeps a cluster converged to a Git branch.
type Reconciler struct {
	client  client.Client
	applier *applier.Applier
	source  Source
	events  *eventRecorder
	opts    Options
	// renderer renders each commit, building again only the parts of the
	// repository whose files changed since the last sync.
	renderer *manifests.Renderer

	// checker is nil without Options.PrometheusURL, or when it is not a
	// valid URL: checkerErr says why, at every analysis step.
	checker    *analysis.Checker
	checkerErr error
	// webhooks is nil when Options.Webhooks is invalid: webhooksErr says
	// why, and every webhook check fails with it.
	webhooks    *analysis.Webhooks
	webhooksErr error
	// notifier sends event webhooks and alerts (notify.go); nil when
	// Options.Webhooks is invalid.
	notifier *notifier

	// schedule is each Canary's next rollout step, on its own cadence
	// between polls (schedule.go). Sync and Step are not safe for
	// concurrent use; Run calls them from one goroutine.
	schedule schedule
	// finals records the commit statuses written in a final state, by
	// context@commit: no pending status may follow one.
	finals map[string]bool
	// metrics follow the Canaries' statuses, the polls and the syncs.
	metrics *metrics
	// departed is the last message logged about each Canary that left
	// Git while its target takes the traffic over (departure.go).
	departed map[types.NamespacedName]string
	// metricsWarned are the Canaries whose unmeasurable metrics were
	// logged as an error.
	metricsWarned map[types.NamespacedName]bool
	// async takes Run's rollout steps on goroutines (stepper.go); nil when
	// Sync and Step are called directly, which step synchronously.
	async *stepper
	// finalsMu guards finals, which concurrent steps share.
	finalsMu sync.Mutex
	// forgeGate holds write-back while the forge refuses the credentials.
	forgeGate forgeGate
	// lastRefusal is the head last refused for its manifests.
	lastRefusal refusedHead
	// repairs holds, per settled Canary, when Run last stepped it or plans
	// to (see dueIn).
	repairs map[types.NamespacedName]time.Time
	// lastRendered is the rendering of the commit last synced: a sync of
	// the same commit (every interval, when nothing was merged) reuses it,
	// as a commit's files never change.
	lastRendered renderedCommit
	// noticed are the rendering notices told already.
	noticed map[string]bool
	// waitingFor is, by primary, why it was not ready when a sync last
	// logged it: a primary that waits is logged when its reason changes,
	// not at every sync (a thousand primaries coming up would log a
	// thousand lines every poll).
	waitingFor map[types.NamespacedName]string
	// heartbeat is when Run last finished a turn of its loop (a poll and
	// sync, or the due rollout steps), in Unix nanoseconds; synced is
	// when a poll and sync last succeeded. Health reads them from another
	// goroutine.
	heartbeat, synced atomic.Int64
	// standby is true while RunElected waits for the Lease.
	standby atomic.Bool
	// lastSyncErr is why Run's last poll and sync failed; nil when it
	// succeeded. Ready reads it from another goroutine.
	lastSyncErr atomic.Pointer[string]
	// trigger holds at most one pending request for an early poll
	// (trigger.go).
	trigger chan struct{}
	// wakes are the Canaries whose step a change asked for now (wake.go).
	wakes *wakes
}

// Scheme returns a scheme with the built-in Kubernetes types and the
// sluice.dev types, for the client a Reconciler is given.
func Scheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = v1alpha1.AddToScheme(scheme)
	_ = apiextensionsv1.AddToScheme(scheme)
	return scheme
}

// New returns a Reconciler that reads and writes through c (whose scheme
// must include Scheme's types), applies with a, records Events through
// events, and syncs source.
func New(c client.Client, a *applier.Applier, events kubernetes.Interface, source Source, opts Options) *Reconciler {
	if opts.Interval == 0 {
		opts.Interval = 30 * time.Second
	}
	if opts.GitTimeout == 0 {
		opts.GitTimeout = DefaultGitTimeout
	}
	if opts.ForgeTimeout == 0 {
		opts.ForgeTimeout = DefaultForgeTimeout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Reconciler{client: c, applier: a, source: source, events: newEventRecorder(events, opts.Log), opts: opts, renderer: manifests.NewRenderer(),
		schedule: schedule{next: map[types.NamespacedName]time.Time{}}, repairs: map[types.NamespacedName]time.Time{}, finals: map[string]bool{},
		metrics: newMetrics(opts.Metrics), departed: map[types.NamespacedName]string{},
		metricsWarned: map[types.NamespacedName]bool{}, noticed: map[string]bool{}, waitingFor: map[types.NamespacedName]string{},
		trigger: make(chan struct{}, 1), wakes: newWakes()}
	if opts.PrometheusURL != "" {
		r.checker, r.checkerErr = analysis.NewChecker(analysis.CheckerOptions{Address: opts.PrometheusURL})
	}
	r.webhooks, r.webhooksErr = analysis.NewWebhooks(opts.Webhooks)
	if r.webhooksErr == nil {
		r.notifier, _ = newNotifier(opts.Webhooks) // its only error is NewWebhooks's
		r.events.onEvent = r.callEventWebhooks
	}
	return r
}
