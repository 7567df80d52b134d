package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/analysis"
	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// TestTheComparisonJudgesRealTrafficThroughTheGateway sends real requests
// through the gateway to the demo app's processes of a canary and a
// primary, slows or fails them with the app's knobs, and judges the
// canary on the gateway's metrics in the playground's Prometheus, with a
// fixed threshold and with a comparison with the primary. Its cases run in
// parallel on one gateway, so that their wait for samples is one.
func TestTheComparisonJudgesRealTrafficThroughTheGateway(t *testing.T) {
	// The gateway checks at its start that HTTPRoutes are served, which a
	// CRD just established may not be yet when this test runs first.
	installHTTPRouteCRD(t)
	waitUntil(t, 30*time.Second, "serving HTTPRoutes", func() bool {
		_, err := routes(t).GatewayV1().HTTPRoutes("default").List(context.Background(), metav1.ListOptions{Limit: 1})
		return err == nil
	})
	gw := startGateway(t)
	scrape(t, gw, "gateway-compare")
	const interval = "24s" // 12 windows of 2s, two scrapes each
	tests := []struct {
		name                          string
		canaryKnob                    string // a request of the canary's app, if any
		primaryKnob                   string
		metric                        string
		threshold                     v1alpha1.ThresholdRange
		compare                       v1alpha1.MetricComparison
		wantThreshold, wantComparison analysis.Verdict
		comparisonMessage             string // the start of the comparison's message
	}{
		{
			// A tenth of the canary's answers wait 200ms more: its p99, about
			// 235ms, is under the 500ms threshold.
			name:       "a slow canary that a fixed p99 threshold passes fails the comparison",
			canaryKnob: "/injectLatency?fraction=0.1&extra=200ms", metric: v1alpha1.MetricRequestDuration,
			threshold:     v1alpha1.ThresholdRange{Max: ptrTo(500.0)},
			compare:       v1alpha1.MetricComparison{Direction: v1alpha1.CompareIncrease, Tolerance: 0.5, Confidence: 0.99},
			wantThreshold: analysis.VerdictPass, wantComparison: analysis.VerdictFail, comparisonMessage: "p99 latency of canary ",
		},
		{
			name:       "a shared fault of 5 % that a fixed success-rate threshold fails passes the comparison",
			canaryKnob: "/injectFault?rate=0.05", primaryKnob: "/injectFault?rate=0.05", metric: v1alpha1.MetricRequestSuccessRate,
			threshold:     v1alpha1.ThresholdRange{Min: ptrTo(99.0)},
			compare:       v1alpha1.MetricComparison{Direction: v1alpha1.CompareDecrease, Tolerance: 0.03, Confidence: 0.99},
			wantThreshold: analysis.VerdictFail, wantComparison: analysis.VerdictPass, comparisonMessage: "success rate of canary ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ns := playgroundtest.Namespace(t)
			deployDetail(t, ns, "ghcr.io/sluicehq/detail:2.0", "ghcr.io/sluicehq/detail:1.0", 10)
			canaryHost, primaryHost := "detail-canary."+ns+":3000", "detail-primary."+ns+":3000"
			waitUntil(t, 20*time.Second, "answering with both versions", func() bool {
				return get(t, gw, canaryHost, "/catalogDetail") == "2.0" && get(t, gw, primaryHost, "/catalogDetail") == "1.0"
			})
			for host, knob := range map[string]string{canaryHost: tt.canaryKnob, primaryHost: tt.primaryKnob} {
				if knob != "" {
					if got := get(t, gw, host, knob); got != "200" {
						t.Fatalf("%s %s answered %s, want 200", host, knob, got)
					}
				}
			}
			sendSteadily(t, gw, canaryHost)
			sendSteadily(t, gw, primaryHost)

			checker, err := analysis.NewChecker(analysis.CheckerOptions{Address: playgroundtest.Playground().Prometheus.URL})
			if err != nil {
				t.Fatal(err)
			}
			canary := &v1alpha1.Canary{}
			canary.Name, canary.Namespace = "detail", ns
			canary.Spec.TargetRef = v1alpha1.TargetRef{Kind: "Deployment", Name: "detail"}
			canary.Spec.Provider = v1alpha1.ProviderGatewayAPI
			comparison := v1alpha1.CanaryMetric{Name: tt.metric, Interval: interval, Compare: &tt.compare}
			var got analysis.Result
			waitUntil(t, 60*time.Second, "comparing enough samples", func() bool {
				got = checker.Check(context.Background(), canary, comparison, nil)
				return got.Verdict != analysis.VerdictTooFewSamples && got.Verdict != analysis.VerdictError
			})
			threshold := checker.Check(context.Background(), canary, v1alpha1.CanaryMetric{Name: tt.metric, Interval: interval, ThresholdRange: &tt.threshold}, nil)
			if threshold.Verdict != tt.wantThreshold {
				t.Errorf("threshold: %s (%s), want %s", threshold.Verdict, threshold.Message, tt.wantThreshold)
			}
			if got.Verdict != tt.wantComparison || !strings.HasPrefix(got.Message, tt.comparisonMessage) {
				t.Errorf("comparison: %s (%s), want %s, %q…", got.Verdict, got.Message, tt.wantComparison, tt.comparisonMessage)
			}
			t.Logf("threshold: %s; comparison: %s", threshold.Message, got.Message)
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
