package planner

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// withLastChecks is a status whose last step recorded checks.
func withLastChecks(st v1alpha1.CanaryStatus) v1alpha1.CanaryStatus {
	st.LastChecks = []v1alpha1.CheckRecord{{Name: v1alpha1.MetricRequestSuccessRate, Kind: CheckKindMetric, Verdict: "Pass", Value: "99.9"}}
	return st
}

func measured(name string, verdict Verdict, value float64, message string) MetricVerdict {
	return MetricVerdict{Name: name, Verdict: verdict, Value: value, Measured: true, Message: message}
}

func TestDecideRolloutRecordsTheLastChecks(t *testing.T) {
	passed := []v1alpha1.CheckRecord{
		{Name: v1alpha1.MetricRequestSuccessRate, Kind: CheckKindMetric, Verdict: "Pass", Value: "99.5235"},
		{Name: v1alpha1.MetricRequestDuration, Kind: CheckKindMetric, Verdict: "Pass"},
		{Name: "load-test", Kind: CheckKindWebhook, Verdict: "Pass"},
	}
	tests := []struct {
		name string
		obs  RolloutObservation
		want []v1alpha1.CheckRecord
	}{
		{
			name: "a passing step records each metric with its value and each webhook",
			obs:  observe(withLastChecks(progressing(5, 1)), stepChecked(measured(v1alpha1.MetricRequestSuccessRate, VerdictPass, 99.5234567, ""))),
			want: passed,
		},
		{
			name: "a failing step that holds records why each check did not pass",
			obs: observe(progressing(5, 1), withThreshold(5), stepChecked(
				measured(v1alpha1.MetricRequestSuccessRate, VerdictFail, 23.0312345, "success rate 23.03% < 99%"),
				metric(v1alpha1.MetricRequestDuration, VerdictNoData, ""),
				loadTest(false, "answered 500 Internal Server Error"),
			)),
			want: []v1alpha1.CheckRecord{
				{Name: v1alpha1.MetricRequestSuccessRate, Kind: CheckKindMetric, Verdict: "Fail", Value: "23.0312", Message: "success rate 23.03% < 99%"},
				{Name: v1alpha1.MetricRequestDuration, Kind: CheckKindMetric, Verdict: "NoData", Message: "no values found for metric request-duration"},
				{Name: "load-test", Kind: CheckKindWebhook, Verdict: "Fail", Message: "external check load-test failed answered 500 Internal Server Error"},
			},
		},
		{
			name: "a rollback keeps the checks that rolled it back",
			obs:  observe(progressing(5, 1), stepChecked(measured(v1alpha1.MetricRequestSuccessRate, VerdictFail, 23.03, "success rate 23.03% < 99%"))),
			want: []v1alpha1.CheckRecord{
				{Name: v1alpha1.MetricRequestSuccessRate, Kind: CheckKindMetric, Verdict: "Fail", Value: "23.03", Message: "success rate 23.03% < 99%"},
				{Name: v1alpha1.MetricRequestDuration, Kind: CheckKindMetric, Verdict: "Pass"},
				{Name: "load-test", Kind: CheckKindWebhook, Verdict: "Pass"},
			},
		},
		{
			name: "a metric asked for without a verdict is an error, as the step holds it",
			obs:  observe(progressing(5, 1), checked(loadTest(true, ""), measured(v1alpha1.MetricRequestSuccessRate, VerdictPass, 100, ""))),
			want: []v1alpha1.CheckRecord{
				{Name: v1alpha1.MetricRequestSuccessRate, Kind: CheckKindMetric, Verdict: "Pass", Value: "100"},
				{Name: v1alpha1.MetricRequestDuration, Kind: CheckKindMetric, Verdict: "Error", Message: "no verdict for metric request-duration"},
				{Name: "load-test", Kind: CheckKindWebhook, Verdict: "Pass"},
			},
		},
		{
			name: "the first step records its pre-rollout webhooks",
			obs:  observe(progressing(0, 0), withThreshold(5), checked(webhook("acceptance-test", v1alpha1.WebhookPreRollout, false, "answered 503 Service Unavailable"))),
			want: []v1alpha1.CheckRecord{
				{Name: "acceptance-test", Kind: CheckKindWebhook, Verdict: "Fail", Message: "pre-rollout check acceptance-test failed answered 503 Service Unavailable"},
			},
		},
		{
			name: "a gate that does not approve is a Fail that says so",
			obs: observe(progressing(5, 1), withHook("gate", v1alpha1.WebhookConfirmTrafficIncrease),
				stepChecked(webhook("gate", v1alpha1.WebhookConfirmTrafficIncrease, false, "answered 403 Forbidden"), measured(v1alpha1.MetricRequestSuccessRate, VerdictPass, 99.5234567, ""))),
			want: append(passed[:3:3], v1alpha1.CheckRecord{Name: "gate", Kind: CheckKindWebhook, Verdict: "Fail", Message: "not approved answered 403 Forbidden"}),
		},
		{
			name: "a rollback webhook appears only when it asked for a rollback",
			obs: observe(progressing(5, 1), withHook("quiet", v1alpha1.WebhookRollback), withHook("panic", v1alpha1.WebhookRollback),
				stepChecked(webhook("quiet", v1alpha1.WebhookRollback, false, "answered 404"), webhook("panic", v1alpha1.WebhookRollback, true, ""), measured(v1alpha1.MetricRequestSuccessRate, VerdictPass, 99.5234567, ""))),
			want: append(passed[:3:3], v1alpha1.CheckRecord{Name: "panic", Kind: CheckKindWebhook, Verdict: "Fail", Message: "asked for a rollback"}),
		},
		{
			name: "a promotion keeps the checks of the last step",
			obs:  observe(withLastChecks(in(v1alpha1.PhaseFinalising, progressing(0, 3)))),
			want: withLastChecks(v1alpha1.CanaryStatus{}).LastChecks,
		},
		{
			name: "a new revision mid-analysis clears them",
			obs:  observe(withLastChecks(progressing(10, 2)), revision("rev3cccccc", "c3c3c3c3c3")),
		},
		{
			name: "a new revision after a promotion clears them",
			obs:  observe(withLastChecks(in(v1alpha1.PhaseSucceeded, initialized()))),
		},
		{
			name: "Git back at the primary's revision mid-analysis clears them: they were the stopped rollout's",
			obs:  observe(withLastChecks(progressing(10, 2)), revision("rev1aaaaaa", "c1c1c1c1c1")),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecideRollout(tt.obs).Status.LastChecks
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("status.lastChecks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLastChecksAreBounded(t *testing.T) {
	obs := observe(progressing(5, 1))
	obs.Spec.Analysis.Metrics = nil
	obs.Checks = &StepChecks{Webhooks: []WebhookResult{loadTest(true, "")}}
	for i := range 2 * MaxLastChecks {
		name := fmt.Sprintf("metric-%d", i)
		obs.Spec.Analysis.Metrics = append(obs.Spec.Analysis.Metrics, v1alpha1.CanaryMetric{Name: name})
		obs.Checks.Metrics = append(obs.Checks.Metrics, MetricVerdict{Name: name, Verdict: VerdictFail, Message: strings.Repeat("é", 1000)})
	}
	got := DecideRollout(obs).Status.LastChecks
	if len(got) != MaxLastChecks {
		t.Fatalf("%d records, want at most %d", len(got), MaxLastChecks)
	}
	if got[0].Name != "metric-0" || got[MaxLastChecks-1].Name != fmt.Sprintf("metric-%d", MaxLastChecks-1) {
		t.Errorf("records %s … %s, want the first ones in the spec's order", got[0].Name, got[MaxLastChecks-1].Name)
	}
	if msg := got[0].Message; len(msg) > maxCheckMessage || !strings.HasSuffix(msg, "…") || !strings.HasPrefix(msg, "éé") {
		t.Errorf("a long message is kept as %d bytes %q…, want it cut at %d bytes on a rune boundary", len(msg), msg[:min(len(msg), 10)], maxCheckMessage)
	}
}

func TestFormatValue(t *testing.T) {
	for v, want := range map[float64]string{
		99.5234567:   "99.5235",
		23.03:        "23.03",
		100:          "100",
		0:            "0",
		0.00001:      "0",
		-0.00001:     "0",
		-12.5:        "-12.5",
		1e21:         "1000000000000000000000",
		math.Inf(1):  "+Inf",
		math.Inf(-1): "-Inf",
	} {
		if got := formatValue(v); got != want {
			t.Errorf("formatValue(%v) = %q, want %q", v, got, want)
		}
	}
	if got := formatValue(math.NaN()); got != "NaN" {
		t.Errorf("formatValue(NaN) = %q, want NaN", got)
	}
}

// TestEverySupersededStatusIsMarked pins the mark on each error status
// that says "superseded": a Check Run reads it as cancelled, not neutral.
func TestEverySupersededStatusIsMarked(t *testing.T) {
	waitingForPrimary := v1alpha1.CanaryStatus{Phase: v1alpha1.PhaseInitializing, PendingRevision: "rev2bbbbbb", PendingCommit: "c2c2c2c2c2"}
	waiting := initialized()
	waiting.Phase, waiting.PendingRevision, waiting.PendingCommit = v1alpha1.PhaseWaiting, "rev2bbbbbb", "c2c2c2c2c2"
	decisions := map[string][]CommitStatus{
		"a restart mid-analysis": DecideRollout(observe(progressing(10, 2), revision("rev3cccccc", "c3c3c3c3c3"))).CommitStatuses,
		"a newer revision while one waits": DecideSync(SyncObservation{Name: "detail", Namespace: "flagger", Revision: "rev3cccccc", Commit: "c3c3c3c3c3",
			PrimaryReady: true, Status: waiting, Now: now}).CommitStatuses,
		"a newer revision while the primary is not ready": DecideSync(SyncObservation{Name: "detail", Namespace: "flagger", Revision: "rev3cccccc", Commit: "c3c3c3c3c3",
			Primary: PrimaryRecord{Exists: true, Revision: "rev1aaaaaa"}, Status: waitingForPrimary, Now: now}).CommitStatuses,
	}
	for name, statuses := range decisions {
		superseded := 0
		for _, cs := range statuses {
			says := strings.HasPrefix(cs.Description, "superseded by ")
			if says != cs.Superseded {
				t.Errorf("%s: %+v: Superseded is %t, want %t", name, cs, cs.Superseded, says)
			}
			if says {
				superseded++
			}
		}
		if superseded != 1 {
			t.Errorf("%s: %d superseded statuses in %+v, want 1", name, superseded, statuses)
		}
	}
}
