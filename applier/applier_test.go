package applier_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

func TestMain(m *testing.M) { playgroundtest.Main(m) }

// newApplier returns an applier whose inventory lives in the test's namespace.
func newApplier(t *testing.T, ns string) *applier.Applier {
	t.Helper()
	a, err := applier.New(playgroundtest.Client(), applier.Options{Owner: "test", OwnerNamespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// objects parses YAML documents, replacing NS with ns.
func objects(t *testing.T, ns string, docs ...string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, doc := range docs {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			t.Fatal(err)
		}
		if obj.GetNamespace() == "NS" {
			obj.SetNamespace(ns)
		}
		out = append(out, obj)
	}
	return out
}

const configMap = `
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: NS}
data: {color: blue}
`

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: detail, namespace: NS}
spec:
  replicas: 1
  selector: {matchLabels: {app: detail}}
  template:
    metadata: {labels: {app: detail}}
    spec: {containers: [{name: detail, image: "detail:1.0"}]}
`

func actions(changes applier.Changes) map[string]applier.Action {
	out := map[string]applier.Action{}
	for _, c := range changes {
		out[c.Subject] = c.Action
	}
	return out
}

func TestApplyCreatesThenWritesNothingWhenNothingChanged(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	objs := objects(t, ns, configMap, deployment)

	changes, err := a.Apply(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]applier.Action{"ConfigMap/" + ns + "/settings": applier.Created, "Deployment/" + ns + "/detail": applier.Created}
	if diff := cmp.Diff(want, actions(changes)); diff != "" {
		t.Errorf("first apply (-want +got):\n%s", diff)
	}
	var before corev1.ConfigMap
	if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, &before); err != nil {
		t.Fatal(err)
	}
	if before.Labels["sluice.dev/name"] != "test" {
		t.Errorf("owner label sluice.dev/name = %q, want test", before.Labels["sluice.dev/name"])
	}
	// The deployment controller annotates a new Deployment; let it finish so
	// that its write does not race the comparison below.
	waitReady(t, a, client.ObjectKey{Namespace: ns, Name: "detail"})

	changes, err = a.Apply(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	if n := changes.Written(); n != 0 {
		t.Errorf("second apply of the same objects wrote %d objects: %v", n, changes)
	}
	var after corev1.ConfigMap
	if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, &after); err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("resourceVersion moved from %s to %s on an unchanged apply", before.ResourceVersion, after.ResourceVersion)
	}
}

func TestApplyUpdatesAChangedConfigMap(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	if _, err := a.Apply(ctx, objects(t, ns, configMap)); err != nil {
		t.Fatal(err)
	}
	changed := objects(t, ns, configMap)
	if err := unstructured.SetNestedField(changed[0].Object, "green", "data", "color"); err != nil {
		t.Fatal(err)
	}
	changes, err := a.Apply(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(changes)["ConfigMap/"+ns+"/settings"]; got != applier.Configured {
		t.Errorf("action = %q, want configured", got)
	}
	var cm corev1.ConfigMap
	if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Data["color"] != "green" {
		t.Errorf("data.color = %q, want green", cm.Data["color"])
	}
}

func TestApplyCreatesANamespaceBeforeTheObjectsInIt(t *testing.T) {
	ctx := context.Background()
	owner := playgroundtest.Namespace(t)
	a := newApplier(t, owner)
	fresh := owner + "-new"
	objs := objects(t, fresh, `{apiVersion: v1, kind: Namespace, metadata: {name: NSNAME}}`, configMap)
	objs[0].SetName(fresh)
	t.Cleanup(func() { _ = playgroundtest.Client().Delete(context.Background(), objs[0]) })
	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatalf("apply a namespace with a ConfigMap in it: %v", err)
	}
	var cm corev1.ConfigMap
	if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: fresh, Name: "settings"}, &cm); err != nil {
		t.Errorf("ConfigMap in the new namespace: %v", err)
	}
}

func TestApplyRefusesAnImmutableFieldChangeUnlessForced(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	if _, err := a.Apply(ctx, objects(t, ns, deployment)); err != nil {
		t.Fatal(err)
	}
	changed := objects(t, ns, deployment)
	// spec.selector of a Deployment cannot change.
	labels := map[string]any{"app": "detail-v2"}
	_ = unstructured.SetNestedMap(changed[0].Object, labels, "spec", "selector", "matchLabels")
	_ = unstructured.SetNestedMap(changed[0].Object, labels, "spec", "template", "metadata", "labels")

	_, err := a.Apply(ctx, changed)
	var immutable *applier.ImmutableFieldError
	if !errors.As(err, &immutable) {
		t.Fatalf("err = %v, want an *ImmutableFieldError", err)
	}
	if want := "Deployment/" + ns + "/detail"; immutable.Subject != want {
		t.Errorf("error names %q, want %q", immutable.Subject, want)
	}

	changed[0].SetAnnotations(map[string]string{applier.ForceAnnotation: "enabled"})
	// The force annotation must be on the live object for the recreate to
	// be allowed; apply it first without the immutable change.
	annotated := objects(t, ns, deployment)
	annotated[0].SetAnnotations(map[string]string{applier.ForceAnnotation: "enabled"})
	if _, err := a.Apply(ctx, annotated); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, changed); err != nil {
		t.Fatalf("forced apply: %v", err)
	}
}

func TestPruneDeletesOnlyOwnedObjectsThatLeftGit(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	objs := objects(t, ns, configMap, deployment)
	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	previous := applier.InventoryOf(objs)
	if err := a.WriteInventory(ctx, previous); err != nil {
		t.Fatal(err)
	}
	read, err := a.ReadInventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(previous, read); diff != "" {
		t.Errorf("inventory read back (-want +got):\n%s", diff)
	}

	// The ConfigMap leaves Git.
	current := applier.InventoryOf(objs[1:])
	changes, err := a.Prune(ctx, read, current)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(changes)["ConfigMap/"+ns+"/settings"]; got != applier.Deleted {
		t.Errorf("prune action for the ConfigMap = %q, want deleted (changes %v)", got, changes)
	}
	err = playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, &corev1.ConfigMap{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("ConfigMap after prune: %v, want not found", err)
	}
	if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment"}}); err != nil {
		t.Errorf("Deployment still in Git was touched by prune: %v", err)
	}
}

func TestPruneLeavesAnObjectWithoutOwnerLabels(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	foreign := &corev1.ConfigMap{}
	foreign.Name, foreign.Namespace = "settings", ns
	if err := playgroundtest.Client().Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Prune(ctx, applier.InventoryOf(objects(t, ns, configMap)), nil); err != nil {
		t.Fatal(err)
	}
	if err := playgroundtest.Client().Get(ctx, client.ObjectKeyFromObject(foreign), &corev1.ConfigMap{}); err != nil {
		t.Errorf("a ConfigMap sluice does not own was pruned: %v", err)
	}
}

func TestDeploymentReadySaysWhyARolloutIsNotFinished(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	if _, err := a.Apply(ctx, objects(t, ns, deployment)); err != nil {
		t.Fatal(err)
	}
	waitReady(t, a, client.ObjectKey{Namespace: ns, Name: "detail"})
	var notReady *applier.NotReadyError
	if err := a.DeploymentReady(ctx, client.ObjectKey{Namespace: ns, Name: "missing"}); err == nil || errors.As(err, &notReady) {
		t.Errorf("DeploymentReady of a missing deployment = %v, want a read error", err)
	}
}

// waitReady waits until DeploymentReady returns nil, failing on any error
// other than *NotReadyError.
func waitReady(t *testing.T, a *applier.Applier, key client.ObjectKey) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var notReady *applier.NotReadyError
	for {
		err := a.DeploymentReady(ctx, key)
		if err == nil {
			break
		}
		if !errors.As(err, &notReady) {
			t.Fatalf("DeploymentReady: %v, want nil or *NotReadyError", err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("deployment never ready: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
