package applier_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// startedReads returns CachedReads over a counted admin client, watching
// ns, started; and the counter of the requests it sends.
func startedReads(t *testing.T, ns string) (*applier.CachedReads, func() int64) {
	t.Helper()
	ctx := context.Background()
	config := playgroundtest.Playground().ControlPlane.Config
	admin, err := client.New(config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	if err := reconciler.EnsureCRD(ctx, admin); err != nil {
		t.Fatal(err)
	}
	n := &atomic.Int64{}
	live, err := client.New(countedConfig(n), client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	reads := applier.NewCachedReads(config, live, ns)
	if err := reads.Start(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reads.Stop)
	return reads, n.Load
}

func testDeployment(ns, name string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "demo:1.0"}}},
			},
		},
	}
}

func testCanary(ns, name string) *v1alpha1.Canary {
	return &v1alpha1.Canary{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.CanarySpec{
			TargetRef: v1alpha1.TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			Service:   v1alpha1.CanaryService{Port: 80},
		},
	}
}

// Every read after a write through CachedReads returns that write or a
// newer state, though the watch that feeds the cache lags (a write that
// answered the whole object is that state, and costs no read); once the
// watch has caught up, reads cost no request; a change made by someone
// else reaches the reads through the watch; a deleted object is gone at
// once.
func TestCachedReadsAreWatchFedAndNeverOlderThanSluicesOwnWrites(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	reads, requests := startedReads(t, ns)
	deploy, canary := testDeployment(ns, "detail"), testCanary(ns, "detail")
	for _, obj := range []client.Object{deploy, canary} {
		if err := reads.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	key := types.NamespacedName{Namespace: ns, Name: "detail"}

	// Read your writes: status, spec and metadata, each read at once.
	for i := 1; i <= 30; i++ {
		var c v1alpha1.Canary
		if err := reads.Get(ctx, key, &c); err != nil {
			t.Fatal(err)
		}
		c.Status.CanaryWeight = int32(i)
		if err := reads.Status().Update(ctx, &c); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		var got v1alpha1.Canary
		before := requests()
		if err := reads.Get(ctx, key, &got); err != nil {
			t.Fatal(err)
		}
		if sent := requests() - before; sent != 0 {
			t.Fatalf("the read right after a status write sent %d requests: the write's answer is the newest state known", sent)
		}
		if got.Status.CanaryWeight != int32(i) {
			t.Fatalf("read right after writing weight %d: weight %d (resource version %s, written %s)", i, got.Status.CanaryWeight, got.ResourceVersion, c.ResourceVersion)
		}

		var d appsv1.Deployment
		if err := reads.Get(ctx, key, &d); err != nil {
			t.Fatal(err)
		}
		patch := client.MergeFrom(d.DeepCopy())
		d.Spec.Replicas = ptr.To(int32(i % 4))
		if err := reads.Patch(ctx, &d, patch); err != nil {
			t.Fatal(err)
		}
		var gotD appsv1.Deployment
		if err := reads.Get(ctx, key, &gotD); err != nil {
			t.Fatal(err)
		}
		if *gotD.Spec.Replicas != int32(i%4) || gotD.Generation < d.Generation {
			t.Fatalf("read right after scaling to %d: replicas %d, generation %d (written %d)", i%4, *gotD.Spec.Replicas, gotD.Generation, d.Generation)
		}

		meta := &metav1.PartialObjectMetadata{}
		meta.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("Deployment"))
		meta.SetNamespace(ns)
		meta.SetName("detail")
		annotate := client.MergeFrom(meta.DeepCopy())
		meta.Annotations = map[string]string{"sluice.dev/failed-revision": string(rune('a' + i%26))}
		if err := reads.Patch(ctx, meta, annotate); err != nil {
			t.Fatal(err)
		}
		gotMeta := &metav1.PartialObjectMetadata{}
		gotMeta.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("Deployment"))
		if err := reads.Get(ctx, key, gotMeta); err != nil {
			t.Fatal(err)
		}
		if gotMeta.Annotations["sluice.dev/failed-revision"] != string(rune('a'+i%26)) {
			t.Fatalf("metadata read right after annotating %q: %v", string(rune('a'+i%26)), gotMeta.Annotations)
		}
	}

	// Once the watch has shown the last writes, reads ask nothing.
	deadline := time.Now().Add(10 * time.Second)
	for {
		before := requests()
		for range 50 {
			var c v1alpha1.Canary
			var d appsv1.Deployment
			if err := reads.Get(ctx, key, &c); err != nil {
				t.Fatal(err)
			}
			if err := reads.Get(ctx, key, &d); err != nil {
				t.Fatal(err)
			}
			if c.Status.CanaryWeight != 30 || *d.Spec.Replicas != 30%4 {
				t.Fatalf("settled reads: weight %d, replicas %d; want 30, %d", c.Status.CanaryWeight, *d.Spec.Replicas, 30%4)
			}
		}
		if requests() == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("100 reads of objects nobody changes still sent %d requests after 10s", requests()-before)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if cached, _ := reads.Reads(); cached < 100 {
		t.Fatalf("%d reads served by the cache, want at least 100", cached)
	}

	// A write refused for a conflict sends the next read to the API
	// server, whatever the cache holds.
	var stale v1alpha1.Canary
	if err := reads.Get(ctx, key, &stale); err != nil {
		t.Fatal(err)
	}
	stale.ResourceVersion = "1"
	if err := reads.Status().Update(ctx, &stale); !apierrors.IsConflict(err) {
		t.Fatalf("a status write of resource version 1: %v, want a conflict", err)
	}
	before := requests()
	if err := reads.Get(ctx, key, &v1alpha1.Canary{}); err != nil {
		t.Fatal(err)
	}
	if sent := requests() - before; sent != 1 {
		t.Fatalf("the read after a conflict sent %d requests, want 1", sent)
	}

	// Someone else's change arrives through the watch.
	other := testDeployment(ns, "detail")
	if err := playgroundtest.Client().Patch(ctx, other, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"team":"b"}}}`))); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var d appsv1.Deployment
		if err := reads.Get(ctx, key, &d); err != nil {
			t.Fatal(err)
		}
		if d.Labels["team"] == "b" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a label set by another client never reached the reads")
		}
	}

	// A delete is seen at once, and by the watch soon after.
	if err := reads.Delete(ctx, testDeployment(ns, "detail")); err != nil {
		t.Fatal(err)
	}
	if err := reads.Get(ctx, key, &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
		t.Fatalf("read right after the delete: %v, want not found", err)
	}

	// An object outside the watched namespace is read from the API server.
	elsewhere := playgroundtest.Namespace(t)
	if err := playgroundtest.Client().Create(ctx, testDeployment(elsewhere, "search")); err != nil {
		t.Fatal(err)
	}
	if err := reads.Get(ctx, types.NamespacedName{Namespace: elsewhere, Name: "search"}, &appsv1.Deployment{}); err != nil {
		t.Fatalf("a Deployment outside the watched namespace: %v", err)
	}
}

// Before Start, and after Stop, every read goes to the API server.
func TestCachedReadsReadFromTheAPIServerWhenNotStarted(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	n := &atomic.Int64{}
	live, err := client.New(countedConfig(n), client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	reads := applier.NewCachedReads(playgroundtest.Playground().ControlPlane.Config, live, ns)
	if err := reads.Create(ctx, testDeployment(ns, "detail")); err != nil {
		t.Fatal(err)
	}
	before := n.Load()
	for range 3 {
		if err := reads.Get(ctx, types.NamespacedName{Namespace: ns, Name: "detail"}, &appsv1.Deployment{}); err != nil {
			t.Fatal(err)
		}
	}
	if sent := n.Load() - before; sent != 3 {
		t.Fatalf("3 reads before Start sent %d requests, want 3", sent)
	}
	if cached, _ := reads.Reads(); cached != 0 {
		t.Fatalf("%d reads served by a cache that was never started", cached)
	}
}
