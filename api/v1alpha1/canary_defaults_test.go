package v1alpha1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestDefault(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "detail", Namespace: "flagger"}
	tests := []struct {
		name string
		in   CanarySpec
		want CanarySpec
	}{{
		name: "a bare spec gets every default",
		in: CanarySpec{
			TargetRef: TargetRef{Kind: "Deployment", Name: "detail"},
			Service:   CanaryService{Port: 3000, GatewayRefs: []GatewayRef{{Name: "public"}}},
			Analysis: CanaryAnalysis{
				StepWeight: 10,
				Metrics:    []CanaryMetric{{Name: MetricRequestSuccessRate}},
				Webhooks:   []CanaryWebhook{{Name: "load-test", URL: "http://loadtester/"}},
			},
		},
		want: CanarySpec{
			TargetRef:               TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "detail"},
			Provider:                "gatewayapi",
			Service:                 CanaryService{Port: 3000, TargetPort: intstr.FromInt32(3000), PortName: "http", GatewayRefs: []GatewayRef{{Name: "public", Namespace: "flagger"}}},
			ProgressDeadlineSeconds: ptr.To[int32](600),
			Analysis: CanaryAnalysis{
				Interval:   "1m",
				Threshold:  1,
				MaxErrors:  5,
				StepWeight: 10,
				MaxWeight:  100,
				Metrics:    []CanaryMetric{{Name: MetricRequestSuccessRate, Interval: "1m"}},
				Webhooks:   []CanaryWebhook{{Name: "load-test", URL: "http://loadtester/", Type: "rollout", Timeout: "60s"}},
			},
		},
	}, {
		name: "fields that are set are kept",
		in: CanarySpec{
			TargetRef:               TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "detail"},
			Provider:                "istio",
			Service:                 CanaryService{Port: 80, TargetPort: intstr.FromInt32(8080), PortName: "web", GatewayRefs: []GatewayRef{{Name: "public", Namespace: "gateway"}}},
			ProgressDeadlineSeconds: ptr.To[int32](60),
			Analysis: CanaryAnalysis{
				Interval:   "30s",
				Threshold:  3,
				MaxErrors:  2,
				StepWeight: 5,
				MaxWeight:  15,
				Metrics:    []CanaryMetric{{Name: MetricRequestDuration, Interval: "5m"}},
				Webhooks:   []CanaryWebhook{{Name: "gate", URL: "http://gate/", Type: "confirm-promotion", Timeout: "5s"}},
			},
		},
		want: CanarySpec{
			TargetRef:               TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "detail"},
			Provider:                "istio",
			Service:                 CanaryService{Port: 80, TargetPort: intstr.FromInt32(8080), PortName: "web", GatewayRefs: []GatewayRef{{Name: "public", Namespace: "gateway"}}},
			ProgressDeadlineSeconds: ptr.To[int32](60),
			Analysis: CanaryAnalysis{
				Interval:   "30s",
				Threshold:  3,
				MaxErrors:  2,
				StepWeight: 5,
				MaxWeight:  15,
				Metrics:    []CanaryMetric{{Name: MetricRequestDuration, Interval: "5m"}},
				Webhooks:   []CanaryWebhook{{Name: "gate", URL: "http://gate/", Type: "confirm-promotion", Timeout: "5s"}},
			},
		},
	}, {
		name: "a maxWeight without a stepWeight is left for Validate to reject",
		in:   CanarySpec{Analysis: CanaryAnalysis{MaxWeight: 50}},
		want: CanarySpec{
			TargetRef:               TargetRef{APIVersion: "apps/v1"},
			Provider:                "gatewayapi",
			Service:                 CanaryService{PortName: "http"},
			ProgressDeadlineSeconds: ptr.To[int32](600),
			Analysis:                CanaryAnalysis{Interval: "1m", Threshold: 1, MaxErrors: 5, MaxWeight: 50},
		},
	}, {
		name: "stepWeights get no maxWeight",
		in:   CanarySpec{Analysis: CanaryAnalysis{StepWeights: []int32{5, 10, 15}}},
		want: CanarySpec{
			TargetRef:               TargetRef{APIVersion: "apps/v1"},
			Provider:                "gatewayapi",
			Service:                 CanaryService{PortName: "http"},
			ProgressDeadlineSeconds: ptr.To[int32](600),
			Analysis:                CanaryAnalysis{Interval: "1m", Threshold: 1, MaxErrors: 5, StepWeights: []int32{5, 10, 15}},
		},
	}, {
		name: "iterations get no weights",
		in:   CanarySpec{Provider: "kubernetes", Analysis: CanaryAnalysis{Iterations: 3}},
		want: CanarySpec{
			TargetRef:               TargetRef{APIVersion: "apps/v1"},
			Provider:                "kubernetes",
			Service:                 CanaryService{PortName: "http"},
			ProgressDeadlineSeconds: ptr.To[int32](600),
			Analysis:                CanaryAnalysis{Interval: "1m", Threshold: 1, MaxErrors: 5, Iterations: 3},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			canary := &Canary{ObjectMeta: meta, Spec: tt.in}
			canary.Default()
			if diff := cmp.Diff(tt.want, canary.Spec); diff != "" {
				t.Errorf("Default() spec (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(meta, canary.ObjectMeta); diff != "" {
				t.Errorf("Default() changed the metadata (-want +got):\n%s", diff)
			}
			again := canary.DeepCopy()
			again.Default()
			if diff := cmp.Diff(canary, again); diff != "" {
				t.Errorf("Default() twice differs from once (-once +twice):\n%s", diff)
			}
		})
	}
}

func TestDefaultOnANilCanaryDoesNothing(t *testing.T) {
	var canary *Canary
	canary.Default() // must not panic
}

func TestDefaultLeavesTheGatewayNamespaceEmptyWhenTheCanaryHasNone(t *testing.T) {
	canary := &Canary{Spec: CanarySpec{Service: CanaryService{GatewayRefs: []GatewayRef{{Name: "public"}}}}}
	canary.Default()
	if got := canary.Spec.Service.GatewayRefs[0].Namespace; got != "" {
		t.Errorf("gatewayRefs[0].namespace = %q, want empty", got)
	}
}
