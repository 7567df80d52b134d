package applier_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// agentDaemonSet is a rendered DaemonSet target.
func agentDaemonSet(ns string) *appsv1.DaemonSet {
	labels := map[string]string{"app": "agent"}
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: ns, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"kubernetes.io/os": "linux"},
					Containers:   []corev1.Container{{Name: "agent", Image: "example.com/agent:1.0"}},
				},
			},
		},
	}
}

func TestPrimaryDaemonSetSelectsItsOwnPodsAndRunsOnEveryNode(t *testing.T) {
	target := applier.ScaledDownDaemonSet(agentDaemonSet("ns"))
	primary, err := applier.PrimaryDaemonSet(target, "rev1", "c1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if primary.Name != "agent-primary" || primary.Annotations[applier.RevisionAnnotation] != "rev1" || primary.Annotations[applier.CommitAnnotation] != "c1" {
		t.Errorf("primary %s annotations %v", primary.Name, primary.Annotations)
	}
	want := map[string]string{"app": "agent-primary"}
	if diff := cmp.Diff(want, primary.Spec.Selector.MatchLabels); diff != "" {
		t.Errorf("selector (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, primary.Spec.Template.Labels); diff != "" {
		t.Errorf("pod labels (-want +got):\n%s", diff)
	}
	// The canary's scale-down label is never copied; the target's own
	// node selector is.
	if diff := cmp.Diff(map[string]string{"kubernetes.io/os": "linux"}, primary.Spec.Template.Spec.NodeSelector); diff != "" {
		t.Errorf("primary node selector (-want +got):\n%s", diff)
	}
	if got := target.Spec.Template.Spec.NodeSelector[applier.ScaleDownNodeSelector]; got != "true" {
		t.Errorf("scaled-down node selector %v", target.Spec.Template.Spec.NodeSelector)
	}
	if applier.DaemonSetScaledUp(target) || !applier.DaemonSetScaledUp(primary) {
		t.Error("DaemonSetScaledUp does not tell the scaled-down canary from the primary")
	}
}

// On the playground (kwok nodes, the daemonset controller): the primary
// runs a pod on every node; the canary at rest runs none and is ready;
// scaled up it runs on every node and is ready once they are available;
// scaling is idempotent.
func TestDaemonSetScaleAndReadinessOnThePlayground(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	target := agentDaemonSet(ns)
	primary, err := applier.PrimaryDaemonSet(target, "rev1", "c1", nil)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := applier.ToUnstructured(applier.ScaledDownDaemonSet(target), primary)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	nodes := int32(len(playgroundtest.Playground().ControlPlane.Nodes))
	canaryKey, primaryKey := client.ObjectKey{Namespace: ns, Name: "agent"}, client.ObjectKey{Namespace: ns, Name: "agent-primary"}
	if nodes == 0 {
		t.Fatal("the playground has no nodes")
	}
	waitDaemonSet(t, a, primaryKey, nodes)
	waitDaemonSet(t, a, canaryKey, 0)

	changes, err := a.ScaleDaemonSet(ctx, canaryKey, true)
	if err != nil || changes.Written() != 1 {
		t.Fatalf("scale up: %v, %v", changes, err)
	}
	var notReady *applier.NotReadyError
	if err := a.DaemonSetReadyAt(ctx, canaryKey, 100); !errors.As(err, &notReady) {
		t.Errorf("canary ready at once after its scale-up: %v", err)
	}
	waitDaemonSet(t, a, canaryKey, nodes)
	if changes, err := a.ScaleDaemonSet(ctx, canaryKey, true); err != nil || changes.Written() != 0 {
		t.Errorf("a second scale up wrote %v, %v", changes, err)
	}
	if _, err := a.ScaleDaemonSet(ctx, canaryKey, false); err != nil {
		t.Fatal(err)
	}
	waitDaemonSet(t, a, canaryKey, 0)
	var ds appsv1.DaemonSet
	if err := playgroundtest.Client().Get(ctx, canaryKey, &ds); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"kubernetes.io/os": "linux", applier.ScaleDownNodeSelector: "true"}, ds.Spec.Template.Spec.NodeSelector); diff != "" {
		t.Errorf("node selector after the scale-down (-want +got):\n%s", diff)
	}
}

// waitDaemonSet waits until the DaemonSet is ready with want pods
// scheduled.
func waitDaemonSet(t *testing.T, a *applier.Applier, key client.ObjectKey, want int32) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ds appsv1.DaemonSet
		if err := playgroundtest.Client().Get(context.Background(), key, &ds); err != nil {
			t.Fatal(err)
		}
		err := a.DaemonSetReadyAt(context.Background(), key, 100)
		if err == nil && ds.Status.DesiredNumberScheduled == want && ds.Status.NumberAvailable == want && ds.Status.ObservedGeneration == ds.Generation {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemonset %s not ready with %d pods within 20s: %v, status %+v", key, want, err, ds.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
