package applier_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

func TestDiffReportsWhatApplyWouldDoAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	secret := `{apiVersion: v1, kind: Secret, metadata: {name: token, namespace: NS}, stringData: {token: hunter2}}`
	if _, err := a.Apply(ctx, objects(t, ns, configMap, secret)); err != nil {
		t.Fatal(err)
	}
	desired := objects(t, ns, configMap, deployment, `{apiVersion: v1, kind: Secret, metadata: {name: token, namespace: NS}, stringData: {token: swordfish}}`)
	_ = unstructured.SetNestedField(desired[0].Object, "green", "data", "color")

	diffs, err := a.Diff(ctx, desired)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]applier.Diff{}
	for _, d := range diffs {
		got[d.Subject] = d
	}
	cm := got["ConfigMap/"+ns+"/settings"]
	if cm.Action != applier.Configured || !strings.Contains(cm.Text, "-  color: blue") || !strings.Contains(cm.Text, "+  color: green") {
		t.Errorf("ConfigMap diff = %s %q, want configured with color blue → green", cm.Action, cm.Text)
	}
	if d := got["Deployment/"+ns+"/detail"]; d.Action != applier.Created {
		t.Errorf("Deployment action = %q, want created", d.Action)
	}
	if s := got["Secret/"+ns+"/token"]; s.Action != applier.Configured || strings.Contains(s.Text, "swordfish") || strings.Contains(s.Text, "hunter2") ||
		strings.Contains(s.Text, "c3dvcmRmaXNo") || strings.Contains(s.Text, "aHVudGVyMg==") {
		t.Errorf("Secret diff = %s %q, want configured with values masked", s.Action, s.Text)
	}

	var live corev1.ConfigMap
	if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, &live); err != nil {
		t.Fatal(err)
	}
	if live.Data["color"] != "blue" {
		t.Errorf("Diff changed the live ConfigMap: color = %q", live.Data["color"])
	}
	if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment"}}); err == nil {
		t.Error("Diff created the Deployment")
	}
}
