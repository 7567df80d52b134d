package applier_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// requestCounter counts the requests a client sends to the API server.
type requestCounter struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c requestCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(req)
}

// countedClient returns an admin client of the playground whose requests
// are counted in the returned counter.
func countedClient(t *testing.T) (client.Client, *atomic.Int64) {
	t.Helper()
	n := &atomic.Int64{}
	c, err := client.New(countedConfig(n), client.Options{Scheme: playgroundtest.Client().Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c, n
}

// countedConfig is the playground admin's config, without a client-side
// rate limit, counting its requests in n.
func countedConfig(n *atomic.Int64) *rest.Config {
	config := rest.CopyConfig(playgroundtest.Playground().ControlPlane.Config)
	config.QPS = -1
	config.WrapTransport = func(next http.RoundTripper) http.RoundTripper { return requestCounter{next: next, n: n} }
	return config
}

// newWatchedApplier returns an applier writing through c that watches
// with a metadata client of config (the admin's when nil), closed when
// the test ends.
func newWatchedApplier(t *testing.T, ns string, c client.Client, config *rest.Config, log *slog.Logger) *applier.Applier {
	t.Helper()
	if config == nil {
		config = playgroundtest.Playground().ControlPlane.Config
	}
	md, err := metadata.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	a, err := applier.New(c, applier.Options{Owner: "test", OwnerNamespace: ns, Metadata: md, WatchNamespace: ns, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// manyObjects returns n ConfigMaps and n Deployments labelled tier: web.
func manyObjects(t *testing.T, ns string, n int) []*unstructured.Unstructured {
	t.Helper()
	var docs []string
	for i := range n {
		docs = append(docs, fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
metadata: {name: settings-%02d, namespace: NS, labels: {tier: web}}
data: {color: blue}
`, i), fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: detail-%02d, namespace: NS, labels: {tier: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: detail-%02d}}
  template:
    metadata: {labels: {app: detail-%02d}}
    spec: {containers: [{name: detail, image: "detail:1.0"}]}
`, i, i, i))
	}
	return objects(t, ns, docs...)
}

// applyUntilIdle applies objs until an Apply writes nothing and sends no
// request: the Deployment controller's first writes have settled and the
// watch has seen them.
func applyUntilIdle(t *testing.T, a *applier.Applier, objs []*unstructured.Unstructured, requests *atomic.Int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		before := requests.Load()
		changes, err := a.Apply(context.Background(), objs)
		if err != nil {
			t.Fatal(err)
		}
		sent := requests.Load() - before
		if changes.Written() == 0 && sent == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("applies still write %d objects and send %d requests after a minute: %v", changes.Written(), sent, changes)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// applyUntilWritten applies objs until an Apply writes something, and
// returns what it wrote: the watch reports a hand edit within moments,
// and an Apply before that trusts the version it had.
func applyUntilWritten(t *testing.T, a *applier.Applier, objs []*unstructured.Unstructured) map[string]applier.Action {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		changes, err := a.Apply(context.Background(), objs)
		if err != nil {
			t.Fatal(err)
		}
		if changes.Written() > 0 {
			written := map[string]applier.Action{}
			for _, c := range changes {
				if c.Action != applier.Unchanged {
					written[c.Subject] = c.Action
				}
			}
			return written
		}
		if time.Now().After(deadline) {
			t.Fatal("no apply corrected the hand edits within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAnIdleApplyMakesNoRequests(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	c, requests := countedClient(t)
	a := newWatchedApplier(t, ns, c, nil, nil)
	objs := manyObjects(t, ns, 25)
	changes, err := a.Apply(context.Background(), objs)
	if err != nil {
		t.Fatal(err)
	}
	if changes.Written() != 50 {
		t.Fatalf("first apply wrote %d objects, want 50", changes.Written())
	}
	// A Deployment's status moves its resourceVersion until it is ready:
	// each move is a dry run, rightly.
	for i := range 25 {
		waitReady(t, a, client.ObjectKey{Namespace: ns, Name: fmt.Sprintf("detail-%02d", i)})
	}
	applyUntilIdle(t, a, objs, requests)

	for range 3 {
		before := requests.Load()
		changes, err := a.Apply(context.Background(), objs)
		if err != nil {
			t.Fatal(err)
		}
		if n := requests.Load() - before; n != 0 {
			t.Errorf("an idle apply of 50 objects sent %d requests, want 0", n)
		}
		if len(changes) != 50 || changes.Written() != 0 {
			t.Errorf("an idle apply reported %d outcomes, %d written; want 50 unchanged: %v", len(changes), changes.Written(), changes)
		}
	}

	// The outcomes come in the order an apply without the watch reports.
	watchedChanges, err := a.Apply(context.Background(), objs)
	if err != nil {
		t.Fatal(err)
	}
	plainChanges, err := newApplier(t, ns).Apply(context.Background(), objs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plainChanges, watchedChanges); diff != "" {
		t.Errorf("outcomes with the watch (-without +with):\n%s", diff)
	}
}

func TestDriftIsCorrectedWithTheWatchOn(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	c, requests := countedClient(t)
	a := newWatchedApplier(t, ns, c, nil, nil)
	objs := manyObjects(t, ns, 3)
	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	applyUntilIdle(t, a, objs, requests)

	// By hand, as kubectl edit would: another field manager, plain updates.
	admin := playgroundtest.Client()
	byHand := client.FieldOwner("kubectl-edit")
	var cm corev1.ConfigMap
	mustGet(t, client.ObjectKey{Namespace: ns, Name: "settings-00"}, &cm)
	cm.Data["color"] = "red"
	if err := admin.Update(ctx, &cm, byHand); err != nil {
		t.Fatal(err)
	}
	var labelled corev1.ConfigMap
	mustGet(t, client.ObjectKey{Namespace: ns, Name: "settings-01"}, &labelled)
	labelled.Labels["tier"] = "hacked"
	if err := admin.Update(ctx, &labelled, byHand); err != nil {
		t.Fatal(err)
	}
	var deploy appsv1.Deployment
	mustGet(t, client.ObjectKey{Namespace: ns, Name: "detail-00"}, &deploy)
	deploy.Spec.Replicas = new(int32(3))
	if err := admin.Update(ctx, &deploy, byHand); err != nil {
		t.Fatal(err)
	}
	// Someone strips sluice's owner labels: the watch loses the object.
	var stripped corev1.ConfigMap
	mustGet(t, client.ObjectKey{Namespace: ns, Name: "settings-02"}, &stripped)
	delete(stripped.Labels, "sluice.dev/name")
	if err := admin.Update(ctx, &stripped, byHand); err != nil {
		t.Fatal(err)
	}
	if err := admin.Delete(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "detail-01"}}); err != nil {
		t.Fatal(err)
	}

	want := map[string]applier.Action{
		"ConfigMap/" + ns + "/settings-00": applier.Configured,
		"ConfigMap/" + ns + "/settings-01": applier.Configured,
		"ConfigMap/" + ns + "/settings-02": applier.Configured,
		"Deployment/" + ns + "/detail-00":  applier.Configured,
		"Deployment/" + ns + "/detail-01":  applier.Created,
	}
	got := map[string]applier.Action{}
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < len(want) && time.Now().Before(deadline) {
		for subject, action := range applyUntilWritten(t, a, objs) {
			got[subject] = action
		}
	}
	for subject, action := range want {
		if got[subject] != action {
			t.Errorf("%s: %q, want %q (all written: %v)", subject, got[subject], action, got)
		}
	}
	mustGet(t, client.ObjectKey{Namespace: ns, Name: "settings-00"}, &cm)
	mustGet(t, client.ObjectKey{Namespace: ns, Name: "settings-01"}, &labelled)
	mustGet(t, client.ObjectKey{Namespace: ns, Name: "settings-02"}, &stripped)
	mustGet(t, client.ObjectKey{Namespace: ns, Name: "detail-00"}, &deploy)
	mustGet(t, client.ObjectKey{Namespace: ns, Name: "detail-01"}, &appsv1.Deployment{})
	if cm.Data["color"] != "blue" || labelled.Labels["tier"] != "web" || stripped.Labels["sluice.dev/name"] != "test" || *deploy.Spec.Replicas != 1 {
		t.Errorf("after the applies: color %q, tier %q, owner label %q, replicas %d; want blue, web, test, 1",
			cm.Data["color"], labelled.Labels["tier"], stripped.Labels["sluice.dev/name"], *deploy.Spec.Replicas)
	}
}

func TestAChangedDesiredObjectIsApplied(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	c, requests := countedClient(t)
	a := newWatchedApplier(t, ns, c, nil, nil)
	objs := manyObjects(t, ns, 10)
	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	applyUntilIdle(t, a, objs, requests)

	changed := manyObjects(t, ns, 10)
	if err := unstructured.SetNestedField(changed[4].Object, "green", "data", "color"); err != nil {
		t.Fatal(err)
	}
	before := requests.Load()
	changes, err := a.Apply(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	if changes.Written() != 1 || actions(changes)["ConfigMap/"+ns+"/settings-02"] != applier.Configured {
		t.Errorf("changing settings-02 in Git wrote %d objects, want settings-02 configured: %v", changes.Written(), changes)
	}
	// A GET, a dry run and the apply of the one object.
	if n := requests.Load() - before; n != 3 {
		t.Errorf("the apply of one changed object among 20 sent %d requests, want 3", n)
	}
	var cm corev1.ConfigMap
	mustGet(t, client.ObjectKey{Namespace: ns, Name: "settings-02"}, &cm)
	if cm.Data["color"] != "green" {
		t.Errorf("data.color = %q, want green", cm.Data["color"])
	}
}

func TestAKindThatCannotBeWatchedFallsBackToDryRun(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	c, requests := countedClient(t)
	// The watch runs as a user without any role: every list is forbidden.
	config := rest.CopyConfig(playgroundtest.Playground().ControlPlane.Config)
	config.Impersonate = rest.ImpersonationConfig{UserName: "sluice-test-nobody"}
	var log bytes.Buffer
	a := newWatchedApplier(t, ns, c, config, slog.New(slog.NewTextHandler(&log, nil)))
	objs := objects(t, ns, configMap)
	for range 3 {
		if _, err := a.Apply(ctx, objs); err != nil {
			t.Fatalf("apply with a forbidden watch: %v", err)
		}
	}
	before := requests.Load()
	changes, err := a.Apply(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	if changes.Written() != 0 || requests.Load() == before {
		t.Errorf("an idle apply without a watch wrote %d objects with %d requests; want 0 written, dry-run requests", changes.Written(), requests.Load()-before)
	}
	if n := strings.Count(log.String(), "Cannot watch configmaps"); n != 1 {
		t.Errorf("logged the forbidden watch %d times, want once:\n%s", n, log.String())
	}

	var cm corev1.ConfigMap
	mustGet(t, client.ObjectKey{Namespace: ns, Name: "settings"}, &cm)
	cm.Data["color"] = "red"
	if err := playgroundtest.Client().Update(ctx, &cm, client.FieldOwner("kubectl-edit")); err != nil {
		t.Fatal(err)
	}
	changes, err = a.Apply(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(changes)["ConfigMap/"+ns+"/settings"]; got != applier.Configured {
		t.Errorf("the first apply after a hand edit: %q, want configured (it dry-runs)", got)
	}
}

func mustGet(t *testing.T, key client.ObjectKey, obj client.Object) {
	t.Helper()
	if err := playgroundtest.Client().Get(context.Background(), key, obj); err != nil {
		t.Fatal(err)
	}
}

// TestAWatchedAppliersInventoryIsReadOnce: with the watch on, the
// inventory an applier wrote is what it reads back, without a request,
// and writing it unchanged sends none; a changed inventory is written and
// read back as written, and another applier (a restart) reads it from
// the ConfigMap.
func TestAWatchedAppliersInventoryIsReadOnce(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	c, requests := countedClient(t)
	a := newWatchedApplier(t, ns, c, nil, nil)
	ctx := context.Background()
	first := applier.Inventory{"/v1/ConfigMap/" + ns + "/a", "/v1/ConfigMap/" + ns + "/b"}
	if err := a.WriteInventory(ctx, first); err != nil {
		t.Fatal(err)
	}
	before := requests.Load()
	for range 3 {
		inv, err := a.ReadInventory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(inv, first) {
			t.Fatalf("read back %v, want %v", inv, first)
		}
		if err := a.WriteInventory(ctx, first); err != nil {
			t.Fatal(err)
		}
	}
	if n := requests.Load() - before; n != 0 {
		t.Errorf("three idle reads and writes of the inventory sent %d requests, want 0", n)
	}
	second := applier.Inventory{"/v1/ConfigMap/" + ns + "/a"}
	if err := a.WriteInventory(ctx, second); err != nil {
		t.Fatal(err)
	}
	if n := requests.Load() - before; n != 1 {
		t.Errorf("writing a changed inventory sent %d requests, want 1 (the apply)", n)
	}
	for name, reader := range map[string]*applier.Applier{"the same applier": a, "a restarted one": newWatchedApplier(t, ns, c, nil, nil)} {
		inv, err := reader.ReadInventory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(inv, second) {
			t.Errorf("%s reads %v, want %v", name, inv, second)
		}
	}
}

// A write of a Deployment's status (its controller writes it all along a
// rollout) leaves the proof of its applied state standing: the next apply
// asks nothing. A change of its metadata voids the proof: the next apply
// dry-runs it again.
func TestAStatusWriteLeavesAWatchedProofStanding(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	c, requests := countedClient(t)
	a := newWatchedApplier(t, ns, c, nil, nil)
	objs := manyObjects(t, ns, 1)
	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKey{Namespace: ns, Name: "detail-00"}
	waitReady(t, a, key)
	applyUntilIdle(t, a, objs, requests)

	admin := playgroundtest.Client()
	var d appsv1.Deployment
	if err := admin.Get(ctx, key, &d); err != nil {
		t.Fatal(err)
	}
	before := d.ResourceVersion
	d.Status.Conditions = append(d.Status.Conditions, appsv1.DeploymentCondition{Type: "Checked", Status: corev1.ConditionTrue, Reason: "Test"})
	if err := admin.Status().Update(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if d.ResourceVersion == before {
		t.Fatal("the status write did not move the resource version")
	}
	time.Sleep(500 * time.Millisecond) // the watch has delivered it
	sent := requests.Load()
	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	if n := requests.Load() - sent; n != 0 {
		t.Errorf("the apply after a status write sent %d requests, want 0", n)
	}

	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"team":"b"}}}`))
	if err := admin.Patch(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "detail-00"}}, patch); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		sent := requests.Load()
		changes, err := a.Apply(ctx, objs)
		if err != nil {
			t.Fatal(err)
		}
		if requests.Load() > sent {
			if changes.Written() != 0 {
				t.Errorf("an annotation of another owner made the apply write: %v", changes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an annotation change never voided the proof: the apply sent nothing for 10s")
		}
	}
}
