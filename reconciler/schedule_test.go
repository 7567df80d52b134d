package reconciler_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// countingSource counts the polls of a Git source.
type countingSource struct {
	*gitsync.Repository
	polls atomic.Int32
}

func (s *countingSource) Poll(ctx context.Context) (gitsync.Checkout, bool, error) {
	s.polls.Add(1)
	return s.Repository.Poll(ctx)
}

// appYAML is a Deployment name at tag and its Canary, which steps every
// interval through 5/10/15, gated by a webhook that passes.
func appYAML(name, tag, interval string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ` + name + `}
spec:
  replicas: 1
  selector: {matchLabels: {app: ` + name + `}}
  template:
    metadata: {labels: {app: ` + name + `}}
    spec:
      containers: [{name: app, image: "example.com/` + name + `:` + tag + `"}]
---
apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata: {name: ` + name + `}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: ` + name + `}
  service: {port: 3000, gatewayRefs: [{name: public, namespace: gateway}]}
  analysis: {interval: ` + interval + `, threshold: 1, stepWeight: 5, maxWeight: 15, webhooks: [{name: gate, type: pre-rollout, url: "` + passingWebhook.URL + `"}]}
`
}

func TestEachCanaryStepsOnItsOwnIntervalBetweenPolls(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	commitApps := func(tag string) {
		repo.commit("apps "+tag, map[string]*string{
			"kustomization.yaml": text("resources: [fast.yaml, slow.yaml]\n"),
			"fast.yaml":          text(appYAML("fast", tag, "2s")),
			"slow.yaml":          text(appYAML("slow", tag, "1h")),
		})
	}
	commitApps("1.0")
	h := newHarness(t, repo, ns, nil)
	h.settle()

	commitApps("2.0")
	source := &countingSource{Repository: h.source}
	var logs logLines
	rec := reconciler.New(h.recClient(), h.applier(), nil, source, reconciler.Options{
		Namespace: ns, Prune: true, Interval: time.Hour, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		Render: manifests.Options{DefaultNamespace: ns},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	// With a poll interval of an hour, only the Canaries' own cadence can
	// take fast through three steps and its promotion.
	deadline := time.Now().Add(time.Minute)
	for h.canaryNamed("fast").Status.Phase != v1alpha1.PhaseSucceeded {
		if time.Now().After(deadline) {
			t.Fatalf("fast not promoted within a minute; status %+v\nlog:\n%s", h.canaryNamed("fast").Status, strings.Join(logs.messages(t), "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := source.polls.Load(); n != 1 {
		t.Errorf("Git was polled %d times during the rollout, want once (the first sync)", n)
	}
	// slow took its first step with fast, and waits an hour for the next.
	slow := h.canaryNamed("slow").Status
	if slow.Phase != v1alpha1.PhaseProgressing || slow.CanaryWeight > 5 {
		t.Errorf("slow is %s at weight %d, want Progressing at no more than 5: its interval is an hour", slow.Phase, slow.CanaryWeight)
	}
}

func (h *harness) canaryNamed(name string) *v1alpha1.Canary {
	h.t.Helper()
	var c v1alpha1.Canary
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: name}, &c); err != nil {
		h.t.Fatal(err)
	}
	return &c
}

// One Canary whose webhook hangs delays no other: Run takes each step on
// a goroutine of its own. fast steps every second through 5/10/15 and is
// promoted while hung's pre-rollout webhook has not answered yet; the lag
// of fast's steps behind its interval is the figure of
// docs/reliability.md.
func TestAWebhookThatHangsDelaysOnlyItsOwnCanary(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	hang := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(hang)
	repo := newGitRepo(t)
	commitApps := func(tag string) {
		hung := strings.Replace(appYAML("hung", tag, "1s"), "url: \""+passingWebhook.URL+"\"", "url: \""+hanging.URL+"\", timeout: 5m", 1)
		repo.commit("apps "+tag, map[string]*string{
			"kustomization.yaml": text("resources: [fast.yaml, hung.yaml]\n"),
			"fast.yaml":          text(appYAML("fast", tag, "1s")),
			"hung.yaml":          text(hung),
		})
	}
	commitApps("1.0")
	h := newHarness(t, repo, ns, nil)
	h.settle()
	commitApps("2.0")
	var logs logLines
	rec := reconciler.New(h.recClient(), h.applier(), nil, h.source, reconciler.Options{
		Namespace: ns, Prune: true, Interval: time.Hour, Render: manifests.Options{DefaultNamespace: ns},
		Log: slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("log:\n%s", logs.String())
		}
	}()

	// Watch fast's weight change, every 20ms.
	var changes []time.Time
	last := int32(0)
	deadline := time.Now().Add(time.Minute)
	for {
		st := h.canaryNamed("fast").Status
		if st.CanaryWeight > last { // 5, 10, 15: one step an interval
			changes, last = append(changes, time.Now()), st.CanaryWeight
		}
		if st.Phase == v1alpha1.PhaseSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fast was not promoted within a minute while hung's webhook hangs; status %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var worst time.Duration
	if len(changes) != 3 {
		t.Fatalf("fast went through %d weights, want 3", len(changes))
	}
	for i := 1; i < len(changes); i++ {
		worst = max(worst, changes[i].Sub(changes[i-1])-time.Second)
	}
	t.Logf("fast's steps lagged behind its 1s interval by at most %s while hung's webhook hung", worst.Round(time.Millisecond))
	if hung := h.canaryNamed("hung").Status; hung.CanaryWeight != 0 || hung.Phase != v1alpha1.PhaseProgressing {
		t.Errorf("hung is %s at weight %d, want Progressing at 0: its pre-rollout webhook has not answered", hung.Phase, hung.CanaryWeight)
	}
}
