package applier

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

func detail() *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "detail", Namespace: "flagger", Labels: map[string]string{"app": "detail", "team": "shop"}}}
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "detail"}}
	d.Spec.Template.Labels = map[string]string{"app": "detail", "version": "1.0"}
	return d
}

func TestPrimaryRewritesSelectorLabelsAndKeepsTheRest(t *testing.T) {
	primary, err := Primary(detail(), "abc123", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if primary.Name != "detail-primary" || primary.Namespace != "flagger" {
		t.Errorf("primary is %s/%s, want flagger/detail-primary", primary.Namespace, primary.Name)
	}
	if diff := cmp.Diff(map[string]string{"app": "detail-primary"}, primary.Spec.Selector.MatchLabels); diff != "" {
		t.Errorf("selector (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"app": "detail-primary", "version": "1.0"}, primary.Spec.Template.Labels); diff != "" {
		t.Errorf("template labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"app": "detail-primary", "team": "shop"}, primary.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if *primary.Spec.Replicas != 1 {
		t.Errorf("replicas = %d, want 1 when the target leaves it unset", *primary.Spec.Replicas)
	}
	if primary.Annotations[RevisionAnnotation] != "abc123" {
		t.Errorf("revision annotation = %q", primary.Annotations[RevisionAnnotation])
	}
	// A change of config data alone must roll the primary's pods.
	if primary.Spec.Template.Annotations[RevisionAnnotation] != "abc123" {
		t.Errorf("pod template revision annotation = %q, want abc123", primary.Spec.Template.Annotations[RevisionAnnotation])
	}
}

func TestPrimaryRefusesSelectorsItCannotRewrite(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*appsv1.Deployment)
		want   string
	}{
		{"an empty selector", func(d *appsv1.Deployment) { d.Spec.Selector = nil }, "spec.selector.matchLabels is empty"},
		{"a selector with expressions", func(d *appsv1.Deployment) {
			d.Spec.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpExists}}
		}, "spec.selector.matchExpressions is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := detail()
			tt.mutate(d)
			_, err := Primary(d, "r", "", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "deployment flagger/detail") {
				t.Errorf("err = %v, want one naming deployment flagger/detail and %q", err, tt.want)
			}
		})
	}
}

func TestServicesSelectPrimaryForApexAndTargetForCanary(t *testing.T) {
	canary := &v1alpha1.Canary{Spec: v1alpha1.CanarySpec{TargetRef: v1alpha1.TargetRef{Name: "detail"}, Service: v1alpha1.CanaryService{Port: 3000}}}
	got := map[string]map[string]string{}
	for _, svc := range Services(canary, detail()) {
		got[svc.Name] = svc.Spec.Selector
		if p := svc.Spec.Ports[0]; p.Port != 3000 || p.TargetPort.IntValue() != 3000 || p.Name != "http" {
			t.Errorf("service %s port = %+v, want http 3000→3000", svc.Name, p)
		}
	}
	want := map[string]map[string]string{
		"detail":         {"app": "detail-primary"},
		"detail-primary": {"app": "detail-primary"},
		"detail-canary":  {"app": "detail"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("service selectors (-want +got):\n%s", diff)
	}
}

func TestRolloutPendingExplainsEachStage(t *testing.T) {
	two := int32(2)
	tests := []struct {
		name   string
		status appsv1.DeploymentStatus
		gen    int64
		want   string
	}{
		{"a spec not yet observed", appsv1.DeploymentStatus{ObservedGeneration: 1}, 2, "waiting for rollout to finish: observed deployment generation less than desired generation"},
		{"replicas not yet updated", appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 1, Replicas: 2}, 2, "waiting for rollout to finish: 1 out of 2 new replicas have been updated"},
		{"old replicas still there", appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 2, Replicas: 3}, 2, "waiting for rollout to finish: 1 old replicas are pending termination"},
		{"updated replicas not yet available", appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 2, Replicas: 2, AvailableReplicas: 1}, 2, "waiting for rollout to finish: 1 of 2 updated replicas are available"},
		{"a finished rollout", appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 2, Replicas: 2, AvailableReplicas: 2}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: &two}, Status: tt.status}
			d.Generation = tt.gen
			if got := rolloutPending(d, 100); got != tt.want {
				t.Errorf("rolloutPending = %q, want %q", got, tt.want)
			}
		})
	}
}
