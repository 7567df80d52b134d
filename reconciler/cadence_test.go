package reconciler_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// deploymentReads counts the reads of each Deployment by name.
type deploymentReads struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *deploymentReads) of(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[name]
}

func (d *deploymentReads) funcs() interceptor.Funcs {
	return interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		if _, ok := obj.(*appsv1.Deployment); ok {
			d.mu.Lock()
			d.n[key.Name]++
			d.mu.Unlock()
		}
		return c.Get(ctx, key, obj, opts...)
	}}
}

// TestRunStepsEachCanaryAtItsCadenceNotAtEveryPoll: under Run, a sync
// every 100ms does not step a Canary whose analysis waits: slow, whose
// next step is an hour away, is stepped once over dozens of syncs (a step
// of an analysis reads its target Deployment; a sync does not), where
// each sync used to step it (74 reads over 40 polls). The rollout's own
// cadence and a sync that moves a Canary still step it at once (the
// schedule tests); calm, settled, is repaired once a minute.
func TestRunStepsEachCanaryAtItsCadenceNotAtEveryPoll(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	commitApps := func(slowTag string) {
		repo.commit("apps", map[string]*string{
			"kustomization.yaml": text("resources: [slow.yaml, calm.yaml]\n"),
			"slow.yaml":          text(appYAML("slow", slowTag, "1h")),
			"calm.yaml":          text(appYAML("calm", "1.0", "1m")),
		})
	}
	commitApps("1.0")
	h := newHarness(t, repo, ns, nil)
	h.settle()
	commitApps("2.0")
	for deadline := time.Now().Add(time.Minute); h.canaryNamed("slow").Status.Phase != v1alpha1.PhaseProgressing; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("slow did not start its analysis within a minute: %+v", h.canaryNamed("slow").Status)
		}
		h.mustSync()
	}

	reads := &deploymentReads{n: map[string]int{}}
	counted := interceptor.NewClient(h.client.(client.WithWatch), reads.funcs())
	a, err := applier.New(counted, applier.Options{Owner: "sluice", OwnerNamespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	source := &countingSource{Repository: h.source}
	var logs logLines
	rec := reconciler.New(counted, a, nil, source, reconciler.Options{
		Namespace: ns, Prune: true, Interval: 100 * time.Millisecond, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		Render: manifests.Options{DefaultNamespace: ns},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	time.Sleep(4 * time.Second)
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}

	polls := source.polls.Load()
	if polls < 10 {
		t.Fatalf("only %d polls in 4s at a 100ms interval: the test did not exercise syncs", polls)
	}
	if st := h.canaryNamed("slow").Status; st.Phase != v1alpha1.PhaseProgressing || st.CanaryWeight != 0 {
		t.Errorf("slow is %s at weight %d, want still Progressing at 0 (its next step is an hour away)", st.Phase, st.CanaryWeight)
	}
	// One step reads its target at most twice (replicas, readiness).
	if n := reads.of("slow"); n > 4 {
		t.Errorf("Deployment slow was read %d times over %d polls: its Canary was stepped at (almost) every sync", n, polls)
	}
	t.Logf("%d polls; target reads: slow %d, calm %d; primary reads: slow %d, calm %d",
		polls, reads.of("slow"), reads.of("calm"), reads.of("slow-primary"), reads.of("calm-primary"))
}
