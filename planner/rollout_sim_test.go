package planner

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The message sequences of the seed story (seed/eks-workshop-flagger-canary.txt),
// word for word.
var (
	// seedPromotionLog is the first `kubectl logs … | jq .msg` block.
	seedPromotionLog = []string{
		"New revision detected! Scaling up detail.flagger",
		"Starting canary analysis for detail.flagger",
		"Pre-rollout check acceptance-test passed",
		"Advance detail.flagger canary weight 5",
		"Advance detail.flagger canary weight 10",
		"Advance detail.flagger canary weight 15",
		"Copying detail.flagger template spec to detail-primary.flagger",
		"Routing all traffic to primary",
		"Promotion completed! Scaling down detail.flagger",
	}
	// seedPromotionEvents is the `kubectl describe canary detail` block,
	// whose oldest event (the scale-up) had already scrolled away.
	seedPromotionEvents = []string{
		"Starting canary analysis for detail.flagger",
		"Pre-rollout check acceptance-test passed",
		"Advance detail.flagger canary weight 5",
		"Advance detail.flagger canary weight 10",
		"Advance detail.flagger canary weight 15",
		"Copying detail.flagger template spec to detail-primary.flagger",
		"detail-primary.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available",
		"Routing all traffic to primary",
		"Promotion completed! Scaling down detail.flagger",
	}
	// seedRollbackLog is the third logs block: 3.0 answers 500s at weight 5.
	seedRollbackLog = []string{
		"New revision detected! Scaling up detail.flagger",
		"Starting canary analysis for detail.flagger",
		"Pre-rollout check acceptance-test passed",
		"Advance detail.flagger canary weight 5",
		"Halt detail.flagger advancement success rate 23.03% < 99%",
		"Rolling back detail.flagger failed checks threshold reached 1",
		"Canary failed! Scaling down detail.flagger",
	}
)

// simStart is the simulated time of the first call.
var simStart = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// scenario is one whole rollout for the simulator: the seed Canary with
// rev1 promoted, Git changes at given times, how long Deployments take to
// become ready, and what the checks answer.
type scenario struct {
	name string
	// spec edits the seed spec.
	spec func(*v1alpha1.CanarySpec)
	// git lists the commits pushed, by time since the start.
	git []gitPush
	// canaryStartup and primaryStartup are how long the canary (after a
	// scale-up or an apply) and the primary (after a copy) take to become
	// ready; negative is never.
	canaryStartup, primaryStartup time.Duration
	// metric answers a metric check; nil passes them all.
	metric func(w *world, name string) MetricVerdict
	// requests lists the manual requests written on the Canary (sluice
	// promote, abort, pause, resume), by time since the start; each is
	// read at the next call after it, as the reconciler reads it at its
	// next step, and stays until a decision handled it.
	requests []manualPush
}

type manualPush struct {
	at     time.Duration
	action v1alpha1.RequestAction
}

type gitPush struct {
	at               time.Duration
	revision, commit string
}

// world is the cluster and Git as the simulator keeps them.
type world struct {
	now             time.Time
	gitRevision     string
	gitCommit       string
	canaryRevision  string
	canaryUp        bool
	canaryReadyAt   time.Time
	primaryRevision string
	primaryReadyAt  time.Time
	weights         Weights
	canaryStartup   time.Duration
	primaryStartup  time.Duration
}

// readyAfter is when something started now is ready; never when d < 0.
func (w *world) readyAfter(d time.Duration) time.Time {
	if d < 0 {
		return w.now.Add(1000 * time.Hour)
	}
	return w.now.Add(d)
}

// observe builds the observation the reconciler would make.
func (w *world) observe(spec v1alpha1.CanarySpec, st v1alpha1.CanaryStatus) RolloutObservation {
	weights := w.weights
	obs := RolloutObservation{
		Name: "detail", Namespace: "flagger", Spec: spec, Status: st,
		Revision: w.gitRevision, Commit: w.gitCommit, Weights: &weights, Now: w.now,
		CanaryReady:  w.canaryUp && !w.now.Before(w.canaryReadyAt),
		PrimaryReady: !w.now.Before(w.primaryReadyAt),
	}
	if !obs.CanaryReady {
		obs.CanaryNotReady = "detail.flagger not ready: waiting for rollout to finish: 0 of 2 updated replicas are available"
	}
	if !obs.PrimaryReady {
		obs.PrimaryNotReady = "detail-primary.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available"
	}
	return obs
}

// carryOut does what the applier would do.
func (w *world) carryOut(actions []Action) {
	for _, action := range actions {
		switch a := action.(type) {
		case ApplyCanary:
			w.canaryRevision = a.Revision
			w.canaryReadyAt = w.readyAfter(w.canaryStartup)
		case ScaleUpCanary:
			if !w.canaryUp {
				w.canaryUp, w.canaryReadyAt = true, w.readyAfter(w.canaryStartup)
			}
		case SetWeights:
			w.weights = Weights(a)
		case PromoteToPrimary:
			w.primaryRevision, w.primaryReadyAt = w.canaryRevision, w.readyAfter(w.primaryStartup)
		case RestorePrimary:
			w.primaryRevision, w.primaryReadyAt = a.Revision, w.readyAfter(w.primaryStartup)
		case ScaleDownCanary:
			w.canaryUp = false
		}
	}
}

// check runs what a RunChecks asks for: every webhook passes; metrics as
// the scenario says.
func (sc scenario) check(w *world, spec v1alpha1.CanarySpec, rc RunChecks) *StepChecks {
	checks := &StepChecks{}
	for _, hook := range spec.Analysis.Webhooks {
		for _, kind := range rc.Webhooks {
			if hook.Type == kind {
				checks.Webhooks = append(checks.Webhooks, WebhookResult{Name: hook.Name, Type: hook.Type, Passed: hook.Type != v1alpha1.WebhookRollback})
			}
		}
	}
	if rc.Metrics {
		for _, metric := range spec.Analysis.Metrics {
			verdict := MetricVerdict{Name: metric.Name, Verdict: VerdictPass}
			if sc.metric != nil {
				verdict = sc.metric(w, metric.Name)
			}
			checks.Metrics = append(checks.Metrics, verdict)
		}
	}
	return checks
}

// seedSpec is the Canary of DESIGN.md, defaulted.
func seedSpec() v1alpha1.CanarySpec {
	canary := v1alpha1.Canary{Spec: v1alpha1.CanarySpec{
		TargetRef: v1alpha1.TargetRef{Kind: "Deployment", Name: "detail"},
		Service:   v1alpha1.CanaryService{Port: 3000},
		Analysis: v1alpha1.CanaryAnalysis{
			Interval: "1m", Threshold: 1, StepWeight: 5, MaxWeight: 15,
			Metrics: []v1alpha1.CanaryMetric{
				{Name: v1alpha1.MetricRequestSuccessRate, ThresholdRange: &v1alpha1.ThresholdRange{Min: ptr(99.0)}},
				{Name: v1alpha1.MetricRequestDuration, ThresholdRange: &v1alpha1.ThresholdRange{Max: ptr(500.0)}},
			},
			Webhooks: []v1alpha1.CanaryWebhook{
				{Name: "acceptance-test", Type: v1alpha1.WebhookPreRollout, URL: "http://loadtester/"},
				{Name: "load-test", Type: v1alpha1.WebhookRollout, URL: "http://loadtester/"},
			},
		},
	}}
	canary.Namespace = "flagger"
	canary.Default()
	return canary.Spec
}

func ptr[T any](v T) *T { return &v }

// simulation is the outcome of simulate.
type simulation struct {
	transcript string
	messages   []string
	// alerts are the messages that are alerts, as "severity: text".
	alerts []string
	status v1alpha1.CanaryStatus
	world  world
}

// simulate drives DecideRollout like the reconciler would, feeding each
// decision back into the world and the next observation, on a fake clock,
// until nothing is scheduled and Git has nothing more to push. It checks
// the RunChecks protocol on the way.
func simulate(t *testing.T, sc scenario) simulation {
	t.Helper()
	spec := seedSpec()
	if sc.spec != nil {
		sc.spec(&spec)
	}
	w := world{
		now: simStart, gitRevision: "rev1aaaaaa", gitCommit: "c1c1c1c1c1", canaryRevision: "rev1aaaaaa",
		primaryRevision: "rev1aaaaaa", weights: Weights{Primary: 100},
		canaryStartup: sc.canaryStartup, primaryStartup: sc.primaryStartup,
	}
	st := v1alpha1.CanaryStatus{
		Phase:               v1alpha1.PhaseInitialized,
		LastAppliedRevision: "rev1aaaaaa", LastAppliedCommit: "c1c1c1c1c1", LastAppliedCommitShort: "c1c1c1c",
		LastPromotedRevision: "rev1aaaaaa", LastPromotedCommit: "c1c1c1c1c1",
	}
	var b strings.Builder
	var messages, alerts []string
	pushed, requested := 0, 0
	var request *v1alpha1.ManualRequest
	for call := 0; ; call++ {
		if call == 500 {
			t.Fatalf("%s: no end after %d calls:\n%s", sc.name, call, b.String())
		}
		for pushed < len(sc.git) && !w.now.Before(simStart.Add(sc.git[pushed].at)) {
			w.gitRevision, w.gitCommit = sc.git[pushed].revision, sc.git[pushed].commit
			fmt.Fprintf(&b, "%s  git   push revision %s commit %s\n", clock(w.now), short(w.gitRevision), short(w.gitCommit))
			pushed++
		}
		for requested < len(sc.requests) && !w.now.Before(simStart.Add(sc.requests[requested].at)) {
			request = &v1alpha1.ManualRequest{Action: sc.requests[requested].action, By: "alice", At: metav1.NewTime(simStart.Add(sc.requests[requested].at))}
			fmt.Fprintf(&b, "%s  user  %s by %s\n", clock(w.now), request.Action, request.By)
			requested++
		}
		obs := w.observe(spec, st)
		obs.Request = request
		d := DecideRollout(obs)
		var asked strings.Builder
		if rc, ok := onlyRunChecks(t, obs, d); ok {
			obs.Checks = sc.check(&w, spec, rc)
			d = DecideRollout(obs)
			if _, again := onlyRunChecks(t, obs, d); again {
				t.Fatalf("%s at %s: DecideRollout asked for checks twice", sc.name, clock(w.now))
			}
			writeChecks(&asked, rc, obs.Checks)
		}
		w.carryOut(d.Actions)
		writeDecision(&b, w.now, st, asked.String(), d)
		if d.RequestHandled {
			fmt.Fprintf(&b, "       clear request %s\n", request.Action)
			request = nil
		}
		for _, msg := range d.Messages {
			messages = append(messages, msg.Text)
			if msg.Alert != "" {
				alerts = append(alerts, msg.Alert+": "+msg.Text)
			}
		}
		st = d.Status
		next := d.RequeueAfter
		if pushed < len(sc.git) {
			if at := simStart.Add(sc.git[pushed].at).Sub(w.now); next == 0 || at < next {
				next = at
			}
		}
		if requested < len(sc.requests) && next == 0 {
			next = simStart.Add(sc.requests[requested].at).Sub(w.now)
		}
		if next == 0 {
			break
		}
		w.now = w.now.Add(next)
	}
	return simulation{transcript: b.String(), messages: messages, alerts: alerts, status: st, world: w}
}

// onlyRunChecks returns the RunChecks of a decision, checking that it came
// alone, silent, with the observed status.
func onlyRunChecks(t *testing.T, obs RolloutObservation, d RolloutDecision) (RunChecks, bool) {
	t.Helper()
	for _, action := range d.Actions {
		rc, ok := action.(RunChecks)
		if !ok {
			continue
		}
		if len(d.Actions) != 1 || len(d.Messages) != 0 || len(d.CommitStatuses) != 0 || d.RequeueAfter != 0 {
			t.Fatalf("RunChecks does not come alone: %+v", d)
		}
		if diff := cmp.Diff(obs.Status, d.Status); diff != "" {
			t.Fatalf("a decision with RunChecks changed the status (-observed +decided):\n%s", diff)
		}
		return rc, true
	}
	return RunChecks{}, false
}

// clock formats a simulated time as minutes:seconds since the start.
func clock(t time.Time) string {
	d := t.Sub(simStart)
	return fmt.Sprintf("%02d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func writeChecks(b *strings.Builder, rc RunChecks, checks *StepChecks) {
	fmt.Fprintf(b, "       ask   %s\n", rc)
	for _, res := range checks.Webhooks {
		fmt.Fprintf(b, "       got   webhook %s %s passed=%t\n", res.Type, res.Name, res.Passed)
	}
	for _, v := range checks.Metrics {
		fmt.Fprintf(b, "       got   metric %s %s\n", v.Name, strings.TrimSpace(string(v.Verdict)+" "+v.Message))
	}
}

// writeDecision writes one call of a transcript: the phase change, the
// checks asked for and their results, the actions, the messages, the commit
// statuses and when to call again.
func writeDecision(b *strings.Builder, now time.Time, before v1alpha1.CanaryStatus, checks string, d RolloutDecision) {
	after := d.Status
	phase := string(after.Phase)
	if before.Phase != after.Phase {
		phase = fmt.Sprintf("%s -> %s", before.Phase, after.Phase)
	}
	fmt.Fprintf(b, "%s  %s  weight %d  failedChecks %d  iterations %d  analysisErrors %d\n",
		clock(now), phase, after.CanaryWeight, after.FailedChecks, after.Iterations, after.AnalysisErrors)
	b.WriteString(checks)
	for _, action := range d.Actions {
		fmt.Fprintf(b, "       do    %s\n", action)
	}
	for _, msg := range d.Messages {
		kind := "info"
		if msg.Warning {
			kind = "warn"
		}
		fmt.Fprintf(b, "       %-5s %s\n", kind, msg.Text)
	}
	writeLastChecks(b, before.LastChecks, after.LastChecks)
	for _, cs := range d.CommitStatuses {
		mark := ""
		if cs.Superseded {
			mark = " (superseded)"
		}
		fmt.Fprintf(b, "       forge %s %s %q%s\n", short(cs.Commit), cs.State, cs.Description, mark)
	}
	if d.RequeueAfter > 0 {
		fmt.Fprintf(b, "       next  %s\n", d.RequeueAfter)
	}
}

// writeLastChecks writes status.lastChecks when a decision changed them.
func writeLastChecks(b *strings.Builder, before, after []v1alpha1.CheckRecord) {
	if cmp.Equal(before, after, cmpopts.EquateEmpty()) {
		return
	}
	if len(after) == 0 {
		b.WriteString("       last  checks cleared\n")
	}
	for _, rec := range after {
		line := strings.Join(slices.DeleteFunc([]string{rec.Kind, rec.Name, rec.Verdict, rec.Value}, func(s string) bool { return s == "" }), " ")
		if rec.Message != "" {
			line += fmt.Sprintf(" %q", rec.Message)
		}
		fmt.Fprintf(b, "       last  %s\n", line)
	}
}

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenFile(t, filepath.Join("testdata", name+".golden"), got)
}

// goldenFile compares got with the file at path, or rewrites it with
// -update.
func goldenFile(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// failingSuccessRate fails the success rate of rev3 once it gets traffic,
// as 3.0 serving 500s does in the seed.
func failingSuccessRate(w *world, name string) MetricVerdict {
	if name == v1alpha1.MetricRequestSuccessRate && w.canaryRevision == "rev3cccccc" && w.weights.Canary > 0 {
		return MetricVerdict{Name: name, Verdict: VerdictFail, Message: "success rate 23.03% < 99%", Value: 23.0312345, Measured: true}
	}
	if name == v1alpha1.MetricRequestSuccessRate {
		return MetricVerdict{Name: name, Verdict: VerdictPass, Value: 99.5234567, Measured: true}
	}
	return MetricVerdict{Name: name, Verdict: VerdictPass}
}

// TestRolloutGolden drives whole rollouts through the simulator and keeps
// their transcripts in testdata/rollout-*.golden; each case also pins what
// matters of it.
func TestRolloutGolden(t *testing.T) {
	tests := []struct {
		scenario
		wantMessages []string
		want         func(t *testing.T, sim simulation)
	}{
		{
			scenario: scenario{
				name:          "promotion",
				git:           []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				canaryStartup: 20 * time.Second, primaryStartup: 15 * time.Second,
			},
			wantMessages: append(seedPromotionLog[:1:1], seedPromotionEvents...),
			want: func(t *testing.T, sim simulation) {
				wantPromoted(t, sim, "rev2bbbbbb", "c2c2c2c2c2")
			},
		},
		{
			scenario: scenario{
				name:          "rollback-at-step-2",
				git:           []gitPush{{0, "rev3cccccc", "c3c3c3c3c3"}},
				canaryStartup: 20 * time.Second, primaryStartup: 15 * time.Second,
				metric: failingSuccessRate,
			},
			wantMessages: seedRollbackLog,
			want: func(t *testing.T, sim simulation) {
				if sim.status.Phase != v1alpha1.PhaseFailed || sim.status.LastFailedRevision != "rev3cccccc" || sim.status.LastPromotedRevision != "rev1aaaaaa" {
					t.Errorf("status = %s failed %q promoted %q, want Failed, rev3 failed, rev1 promoted", sim.status.Phase, sim.status.LastFailedRevision, sim.status.LastPromotedRevision)
				}
				if sim.world.weights != (Weights{Primary: 100}) || sim.world.canaryUp || sim.world.primaryRevision != "rev1aaaaaa" {
					t.Errorf("world = %+v, want all traffic on a rev1 primary and the canary down", sim.world)
				}
			},
		},
		{
			scenario: scenario{
				name: "restart-mid-analysis",
				git: []gitPush{
					{0, "rev2bbbbbb", "c2c2c2c2c2"},
					{2*time.Minute + 30*time.Second, "rev3cccccc", "c3c3c3c3c3"},
				},
				canaryStartup: 20 * time.Second, primaryStartup: 15 * time.Second,
			},
			wantMessages: []string{
				"New revision detected! Scaling up detail.flagger",
				"Starting canary analysis for detail.flagger",
				"Pre-rollout check acceptance-test passed",
				"Advance detail.flagger canary weight 5",
				"Advance detail.flagger canary weight 10",
				"New revision detected! Restarting analysis for detail.flagger",
				"Starting canary analysis for detail.flagger",
				"Pre-rollout check acceptance-test passed",
				"Advance detail.flagger canary weight 5",
				"Advance detail.flagger canary weight 10",
				"Advance detail.flagger canary weight 15",
				"Copying detail.flagger template spec to detail-primary.flagger",
				"detail-primary.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available",
				"Routing all traffic to primary",
				"Promotion completed! Scaling down detail.flagger",
			},
			want: func(t *testing.T, sim simulation) {
				wantPromoted(t, sim, "rev3cccccc", "c3c3c3c3c3")
			},
		},
		{
			scenario: scenario{
				name: "progress-deadline",
				spec: func(spec *v1alpha1.CanarySpec) { spec.ProgressDeadlineSeconds = ptr[int32](120) },
				git:  []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				// The canary's pods never become ready (a crash loop).
				canaryStartup: -1, primaryStartup: 15 * time.Second,
			},
			wantMessages: []string{
				"New revision detected! Scaling up detail.flagger",
				"detail.flagger not ready: waiting for rollout to finish: 0 of 2 updated replicas are available",
				"Rolling back detail.flagger progress deadline exceeded detail.flagger not ready: waiting for rollout to finish: 0 of 2 updated replicas are available",
				"Canary failed! Scaling down detail.flagger",
			},
			want: func(t *testing.T, sim simulation) {
				if sim.status.Phase != v1alpha1.PhaseFailed || sim.status.LastFailedRevision != "rev2bbbbbb" {
					t.Errorf("status = %s failed %q, want Failed rev2", sim.status.Phase, sim.status.LastFailedRevision)
				}
				// Noticed at the first step (1m), rolled back 120s later.
				if got, want := sim.world.now.Sub(simStart), 3*time.Minute; got != want {
					t.Errorf("rolled back at %s, want %s", got, want)
				}
			},
		},
		{
			scenario: scenario{
				name: "analysis-errors",
				git:  []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				// Prometheus is down from 1m30s to 4m30s: the steps at 2m,
				// 3m and 4m hold, the one at 5m goes on.
				canaryStartup: 20 * time.Second, primaryStartup: 15 * time.Second,
				metric: func(w *world, name string) MetricVerdict {
					if at := w.now.Sub(simStart); at > 90*time.Second && at < 270*time.Second {
						return MetricVerdict{Name: name, Verdict: VerdictError, Message: fmt.Sprintf("%s query failed: dial tcp 127.0.0.1:9090: connect: connection refused", name)}
					}
					return MetricVerdict{Name: name, Verdict: VerdictPass}
				},
			},
			want: func(t *testing.T, sim simulation) {
				wantPromoted(t, sim, "rev2bbbbbb", "c2c2c2c2c2")
				if sim.status.FailedChecks != 0 {
					t.Errorf("failedChecks = %d, want 0: errors are not failed checks", sim.status.FailedChecks)
				}
			},
		},
		{
			scenario: scenario{
				name:          "skip-analysis",
				spec:          func(spec *v1alpha1.CanarySpec) { spec.SkipAnalysis = true },
				git:           []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				canaryStartup: 5 * time.Second, primaryStartup: 5 * time.Second,
			},
			wantMessages: []string{
				"New revision detected! Scaling up detail.flagger",
				"Copying detail.flagger template spec to detail-primary.flagger",
				"Routing all traffic to primary",
				"Promotion completed! Scaling down detail.flagger",
			},
			want: func(t *testing.T, sim simulation) {
				wantPromoted(t, sim, "rev2bbbbbb", "c2c2c2c2c2")
			},
		},
		{
			// sluice abort at 1m30s, weight 5: the next step (2m) rolls
			// back as a failure would, the reason naming who aborted.
			scenario: scenario{
				name:          "abort",
				git:           []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				canaryStartup: 20 * time.Second, primaryStartup: 15 * time.Second,
				requests: []manualPush{{90 * time.Second, v1alpha1.RequestAbort}},
			},
			wantMessages: []string{
				"New revision detected! Scaling up detail.flagger",
				"Starting canary analysis for detail.flagger",
				"Pre-rollout check acceptance-test passed",
				"Advance detail.flagger canary weight 5",
				"Rolling back detail.flagger aborted by alice",
				"Canary failed! Scaling down detail.flagger",
			},
			want: func(t *testing.T, sim simulation) {
				if sim.status.Phase != v1alpha1.PhaseFailed || sim.status.LastFailedRevision != "rev2bbbbbb" || sim.status.FailureReason != "aborted by alice" {
					t.Errorf("status = %s failed %q for %q, want Failed, rev2 failed, aborted by alice", sim.status.Phase, sim.status.LastFailedRevision, sim.status.FailureReason)
				}
				if sim.world.weights != (Weights{Primary: 100}) || sim.world.canaryUp || sim.world.primaryRevision != "rev1aaaaaa" {
					t.Errorf("world = %+v, want all traffic on a rev1 primary and the canary down", sim.world)
				}
				if !strings.Contains(sim.transcript, `forge c2c2c2c failure "aborted by alice — rolled back"`) {
					t.Errorf("no failure status saying who aborted:\n%s", sim.transcript)
				}
			},
		},
		{
			// sluice promote at 1m30s, weight 5: the next step promotes,
			// weights 10 and 15 skipped.
			scenario: scenario{
				name:          "manual-promotion",
				git:           []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				canaryStartup: 20 * time.Second, primaryStartup: 5 * time.Second,
				requests: []manualPush{{90 * time.Second, v1alpha1.RequestPromote}},
			},
			wantMessages: []string{
				"New revision detected! Scaling up detail.flagger",
				"Starting canary analysis for detail.flagger",
				"Pre-rollout check acceptance-test passed",
				"Advance detail.flagger canary weight 5",
				"Promotion of detail.flagger requested by alice: skipping the rest of the analysis",
				"Copying detail.flagger template spec to detail-primary.flagger",
				"Routing all traffic to primary",
				"Promotion completed! Scaling down detail.flagger",
			},
			want: func(t *testing.T, sim simulation) {
				wantPromoted(t, sim, "rev2bbbbbb", "c2c2c2c2c2")
			},
		},
		{
			// sluice pause at 1m30s, resume at 4m10s: no step from 2m to
			// 4m10s (weight 5 held, no check asked), then the analysis
			// goes on at once, the step being overdue.
			scenario: scenario{
				name:          "pause-resume",
				git:           []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				canaryStartup: 20 * time.Second, primaryStartup: 5 * time.Second,
				requests: []manualPush{{90 * time.Second, v1alpha1.RequestPause}, {250 * time.Second, v1alpha1.RequestResume}},
			},
			wantMessages: []string{
				"New revision detected! Scaling up detail.flagger",
				"Starting canary analysis for detail.flagger",
				"Pre-rollout check acceptance-test passed",
				"Advance detail.flagger canary weight 5",
				"Canary detail.flagger paused by alice: no rollout steps until sluice resume",
				"Canary detail.flagger resumed by alice",
				"Advance detail.flagger canary weight 10",
				"Advance detail.flagger canary weight 15",
				"Copying detail.flagger template spec to detail-primary.flagger",
				"Routing all traffic to primary",
				"Promotion completed! Scaling down detail.flagger",
			},
			want: func(t *testing.T, sim simulation) {
				wantPromoted(t, sim, "rev2bbbbbb", "c2c2c2c2c2")
			},
		},
		{
			// stepWeightPromotion: the primary's weight rises by 20 per
			// interval once it runs rev2, 50 → 70 → 90 → 100, instead of
			// taking all the traffic at once.
			scenario: scenario{
				name: "gradual-promotion",
				spec: func(spec *v1alpha1.CanarySpec) {
					spec.Analysis.StepWeight, spec.Analysis.MaxWeight, spec.Analysis.StepWeightPromotion = 25, 50, 20
				},
				git:           []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				canaryStartup: 20 * time.Second, primaryStartup: 15 * time.Second,
			},
			wantMessages: []string{
				"New revision detected! Scaling up detail.flagger",
				"Starting canary analysis for detail.flagger",
				"Pre-rollout check acceptance-test passed",
				"Advance detail.flagger canary weight 25",
				"Advance detail.flagger canary weight 50",
				"Copying detail.flagger template spec to detail-primary.flagger",
				"detail-primary.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available",
				"Advance detail.flagger primary weight 70",
				"Advance detail.flagger primary weight 90",
				"Advance detail.flagger primary weight 100",
				"Promotion completed! Scaling down detail.flagger",
			},
			want: func(t *testing.T, sim simulation) {
				wantPromoted(t, sim, "rev2bbbbbb", "c2c2c2c2c2")
			},
		},
		{
			// A/B testing: from the first step to the promotion the
			// requests of analysis.match go to the canary (the router's
			// weighted rule at 0/100), the rest to the primary; the
			// promotion routes them all to the primary again.
			scenario: scenario{
				name:          "ab-testing",
				spec:          abTestingSpec,
				git:           []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				canaryStartup: 20 * time.Second, primaryStartup: 15 * time.Second,
			},
			wantMessages: []string{
				"New revision detected! Scaling up detail.flagger",
				"Starting canary analysis for detail.flagger",
				"Pre-rollout check acceptance-test passed",
				"Advance detail.flagger canary iteration 1/3",
				"Advance detail.flagger canary iteration 2/3",
				"Advance detail.flagger canary iteration 3/3",
				"Copying detail.flagger template spec to detail-primary.flagger",
				"detail-primary.flagger not ready: waiting for rollout to finish: 1 of 2 updated replicas are available",
				"Routing all traffic to primary",
				"Promotion completed! Scaling down detail.flagger",
			},
			want: func(t *testing.T, sim simulation) {
				wantPromoted(t, sim, "rev2bbbbbb", "c2c2c2c2c2")
				wantABRouted(t, sim)
			},
		},
		{
			// An A/B test that fails: the matching requests, on the
			// canary, are the ones the metrics see fail; the rollback
			// routes them back to the primary.
			scenario: scenario{
				name:          "ab-testing-rollback",
				spec:          abTestingSpec,
				git:           []gitPush{{0, "rev3cccccc", "c3c3c3c3c3"}},
				canaryStartup: 20 * time.Second, primaryStartup: 15 * time.Second,
				metric: failingSuccessRate,
			},
			wantMessages: []string{
				"New revision detected! Scaling up detail.flagger",
				"Starting canary analysis for detail.flagger",
				"Pre-rollout check acceptance-test passed",
				"Advance detail.flagger canary iteration 1/3",
				"Halt detail.flagger advancement success rate 23.03% < 99%",
				"Rolling back detail.flagger failed checks threshold reached 1",
				"Canary failed! Scaling down detail.flagger",
			},
			want: func(t *testing.T, sim simulation) {
				wantABRouted(t, sim)
				if sim.status.Phase != v1alpha1.PhaseFailed || sim.world.weights != (Weights{Primary: 100}) || sim.world.canaryUp {
					t.Errorf("status %s, world %+v: want Failed, all traffic on the primary, the canary down", sim.status.Phase, sim.world)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := simulate(t, tt.scenario)
			golden(t, "rollout-"+tt.name, sim.transcript)
			if tt.wantMessages != nil {
				if diff := cmp.Diff(tt.wantMessages, sim.messages); diff != "" {
					t.Errorf("messages (-want +got):\n%s", diff)
				}
			}
			tt.want(t, sim)
		})
	}
}

// TestRolloutWithAReadyPrimaryReadsLikeTheSeedLog pins the first log block
// of the seed word for word: a primary that is ready at the first look
// leaves no warning between copying and routing.
func TestRolloutWithAReadyPrimaryReadsLikeTheSeedLog(t *testing.T) {
	sim := simulate(t, scenario{
		name: "promotion with a fast primary", git: []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
		canaryStartup: 20 * time.Second, primaryStartup: 5 * time.Second,
	})
	if diff := cmp.Diff(seedPromotionLog, sim.messages); diff != "" {
		t.Errorf("messages (-seed +got):\n%s", diff)
	}
}

// wantPromoted checks that a simulation ended with revision promoted: the
// primary runs it and gets all the traffic, the canary is down.
func wantPromoted(t *testing.T, sim simulation, revision, commit string) {
	t.Helper()
	st := sim.status
	if st.Phase != v1alpha1.PhaseSucceeded || st.LastPromotedRevision != revision || st.LastPromotedCommit != commit {
		t.Errorf("status = %s promoted %q %q, want Succeeded %q %q", st.Phase, st.LastPromotedRevision, st.LastPromotedCommit, revision, commit)
	}
	if sim.world.primaryRevision != revision || sim.world.weights != (Weights{Primary: 100}) || sim.world.canaryUp {
		t.Errorf("world = %+v, want all traffic on a %s primary and the canary down", sim.world, revision)
	}
}

// The milestones of a rollout are alerts, with Flagger's severities: a new
// revision and a promotion are info, a rollback error; every other message
// (advances, copies, halts on metrics) is none.
func TestMilestonesAreAlerts(t *testing.T) {
	tests := []struct {
		scenario
		want []string
	}{
		{
			scenario: scenario{name: "promotion", git: []gitPush{{0, "rev2bbbbbb", "c2c2c2c2c2"}},
				canaryStartup: 20 * time.Second, primaryStartup: 15 * time.Second},
			want: []string{
				"info: New revision detected! Scaling up detail.flagger",
				"info: Promotion completed! Scaling down detail.flagger",
			},
		},
		{
			scenario: scenario{name: "rollback", git: []gitPush{{0, "rev3cccccc", "c3c3c3c3c3"}},
				canaryStartup: 20 * time.Second, primaryStartup: 15 * time.Second, metric: failingSuccessRate},
			want: []string{
				"info: New revision detected! Scaling up detail.flagger",
				"error: Rolling back detail.flagger failed checks threshold reached 1",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, simulate(t, tt.scenario).alerts); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAWaitForApprovalIsAWarnAlertUnlessMuted(t *testing.T) {
	r := &rollout{canaryID: "detail.flagger"}
	r.obs.Spec.Analysis.Webhooks = []v1alpha1.CanaryWebhook{
		{Name: "gate", Type: v1alpha1.WebhookConfirmPromotion},
		{Name: "quiet", Type: v1alpha1.WebhookConfirmRollout, MuteAlert: true},
	}
	r.halt("waiting for promotion approval gate")
	r.halt("waiting for approval quiet")
	r.halt("success rate 23.03% < 99%")
	want := []Message{
		{Warning: true, Text: "Halt detail.flagger advancement waiting for promotion approval gate", Alert: AlertWarn},
		{Warning: true, Text: "Halt detail.flagger advancement waiting for approval quiet"},
		{Warning: true, Text: "Halt detail.flagger advancement success rate 23.03% < 99%"},
	}
	if diff := cmp.Diff(want, r.messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

// abTestingSpec makes the seed Canary an A/B test: three iterations on
// the requests of an insider header or cookie.
func abTestingSpec(spec *v1alpha1.CanarySpec) {
	spec.Analysis.StepWeight, spec.Analysis.MaxWeight, spec.Analysis.Iterations = 0, 0, 3
	spec.Analysis.Match = []v1alpha1.HTTPMatch{
		{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Exact: "insider"}}},
		{Headers: map[string]v1alpha1.StringMatch{"cookie": {Regex: ".*canary=always.*"}}},
	}
}

// wantABRouted checks that an A/B test routed the matching requests to
// the canary (weights 0/100 on the A/B rule) once its analysis started,
// and never split them.
func wantABRouted(t *testing.T, sim simulation) {
	t.Helper()
	if !strings.Contains(sim.transcript, "do    SetWeights primary 0 canary 100\n") {
		t.Errorf("the A/B test never routed the matching requests to the canary:\n%s", sim.transcript)
	}
	for _, line := range strings.Split(sim.transcript, "\n") {
		if strings.Contains(line, "SetWeights") && !strings.HasSuffix(line, "primary 0 canary 100") && !strings.HasSuffix(line, "primary 100 canary 0") {
			t.Errorf("an A/B test split the traffic: %s", line)
		}
	}
}
