package reconciler_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// errCrash stands for the process dying at a fault point.
var errCrash = errors.New("crash (fault injected by the test)")

// crasher fails the first call at its point once armed, as a crash there
// would, and counts that it fired.
type crasher struct {
	point string
	armed atomic.Bool
	fired atomic.Int32
}

func (c *crasher) fault(point string) error {
	if point == c.point && c.armed.CompareAndSwap(true, false) {
		c.fired.Add(1)
		return errCrash
	}
	return nil
}

// invariants checks what no state reachable after a crash may show: traffic
// on a canary without replicas, or a Canary that says it rolled back while
// the primary runs the revision that failed.
func (h *harness) invariants(when string) {
	h.t.Helper()
	ctx := context.Background()
	canary := h.canary()
	router, err := h.a.Router(canary.Spec.Provider)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, canaryWeight, err := router.Weights(ctx, canary); err == nil && canaryWeight > 0 {
		if replicas, err := h.a.Replicas(ctx, client.ObjectKey{Namespace: h.ns, Name: "detail"}); err == nil && replicas == 0 {
			h.t.Errorf("%s: %d%% of the traffic goes to a canary with no replicas", when, canaryWeight)
		}
	}
	st := canary.Status
	record, err := h.a.ReadPrimaryRecord(ctx, client.ObjectKey{Namespace: h.ns, Name: "detail-primary"})
	if err != nil {
		h.t.Fatal(err)
	}
	if st.Phase == v1alpha1.PhaseFailed && st.LastFailedRevision != "" && record.Revision == st.LastFailedRevision {
		h.t.Errorf("%s: the status says rolled back while the primary runs the failed revision", when)
	}
}

// recoverAfterCrash syncs with a new sluice (a restart) until done holds,
// checking the invariants after every sync.
func recoverAfterCrash(t *testing.T, repo *gitRepo, ns, gateURL string, done func(v1alpha1.CanaryStatus) bool) *harness {
	t.Helper()
	restarted := newHarness(t, repo, ns, nil)
	deadline := time.Now().Add(time.Minute)
	for i := 0; ; i++ {
		if _, err := restarted.sync(); err != nil {
			t.Fatalf("sync %d after the restart: %v", i, err)
		}
		restarted.invariants("after the restart")
		if st := restarted.canary().Status; done(st) {
			return restarted
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery within a minute; status %+v", restarted.canary().Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Crash consistency: a sluice killed between any act of a promotion or a
// rollback and the persist that follows it, then restarted, finishes what
// the saved state says and never shows a state in which the traffic goes
// to a canary without replicas, or the status says "rolled back" while
// the primary runs the revision that failed.
func TestACrashAtAnyPointOfAPromotionOrARollbackIsFinishedAfterARestart(t *testing.T) {
	points := []string{
		"rollout: before saving a promotion or rollback",
		"rollout: after saving a promotion or rollback, before acting",
		"rollout: after the actions, before saving the status",
	}
	for _, point := range points {
		if !slices.Contains(reconciler.FaultPoints(), point) {
			t.Fatalf("%q is not a fault point of the reconciler", point)
		}
	}
	for _, point := range points {
		for _, outcome := range []string{"promotion", "rollback"} {
			t.Run(outcome+" "+point, func(t *testing.T) {
				ns := playgroundtest.Namespace(t)
				g := newGate(t)
				repo := newGitRepo(t)
				repo.commit("detail 1.0", detailWithGate("1.0", g.url))
				crash := &crasher{point: point}
				h := newHarness(t, repo, ns, func(o *reconciler.Options) { o.Fault = crash.fault })
				h.settle()

				if outcome == "rollback" {
					// The pre-rollout gate fails: the first step rolls back.
					g.fail("detail", true)
				}
				repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
				if outcome == "promotion" {
					h.rollUntil("the last weight", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 15 })
				}
				crash.armed.Store(true)
				deadline := time.Now().Add(time.Minute)
				for crash.fired.Load() == 0 {
					if time.Now().After(deadline) {
						t.Fatalf("the fault at %q never fired", point)
					}
					_, _ = h.sync()
					time.Sleep(200 * time.Millisecond)
				}
				h.invariants("at the crash")

				// The restarted sluice finishes the job.
				var final v1alpha1.CanaryStatus
				if outcome == "promotion" {
					final = recoverAfterCrash(t, repo, ns, g.url, phaseIs(v1alpha1.PhaseSucceeded)).canary().Status
					if img := h.primaryImage(); !strings.HasSuffix(img, ":2.0") {
						t.Errorf("after the promotion the primary runs %s, want 2.0", img)
					}
				} else {
					restarted := recoverAfterCrash(t, repo, ns, g.url, func(st v1alpha1.CanaryStatus) bool {
						return st.Phase == v1alpha1.PhaseFailed
					})
					restarted.mustSync()
					restarted.mustSync()
					final = restarted.canary().Status
					if img := h.primaryImage(); !strings.HasSuffix(img, ":1.0") {
						t.Errorf("after the rollback the primary runs %s, want 1.0", img)
					}
					record, err := h.a.ReadPrimaryRecord(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail-primary"})
					if err != nil || record.FailedRevision != final.LastFailedRevision {
						t.Errorf("the primary records failed revision %.7s (%v), want %.7s", record.FailedRevision, err, final.LastFailedRevision)
					}
				}
				h.assertAllTrafficOnThePrimary()
				if final.CanaryWeight != 0 {
					t.Errorf("final status weight %d, want 0", final.CanaryWeight)
				}
			})
		}
	}
}

// A crash between pushing the revert branch and opening its pull request,
// or between opening it and saving its number, never yields a second pull
// request: the restarted sluice finds the branch, and the open pull
// request of the branch.
func TestACrashDuringTheRevertWriteBackOpensOnePullRequest(t *testing.T) {
	for _, point := range []string{
		"write-back: after pushing the revert branch, before opening its pull request",
		"write-back: after opening the revert pull request, before saving it",
	} {
		t.Run(point, func(t *testing.T) {
			if !slices.Contains(reconciler.FaultPoints(), point) {
				t.Fatalf("%q is not a fault point of the reconciler", point)
			}
			ns := playgroundtest.Namespace(t)
			exporter := startRequestsExporter(t, ns, "detail")
			repo := newForgeRepo(t)
			repo.push("detail 1.0", seedFiles(t, "1.0"))
			var logs logLines
			crash := &crasher{point: point}
			crash.armed.Store(true)
			h := forgeHarness(t, repo, ns, &logs, func(o *reconciler.Options) { o.Fault = crash.fault })
			h.settle()
			repo.push("detail 2.0", map[string]string{"detail/deployment.yaml": deploymentYAML("2.0")})
			h.rollUntil("weight 5", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 5 })
			exporter.setSuccessRate(0.2)
			deadline := time.Now().Add(time.Minute)
			for crash.fired.Load() == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("the fault at %q never fired; status %+v", point, h.canary().Status)
				}
				_, _ = h.sync()
				time.Sleep(300 * time.Millisecond)
			}

			restarted := forgeHarness(t, repo, ns, &logs)
			st := restarted.rollUntil("the revert pull request saved", func(st v1alpha1.CanaryStatus) bool { return st.RevertPullRequest != 0 })
			restarted.mustSync()
			restarted.mustSync()
			reverts := 0
			for _, pr := range repo.pulls() {
				if strings.HasPrefix(pr.GetHead().GetRef(), "sluice/revert-detail-") {
					reverts++
				}
			}
			if reverts != 1 {
				t.Errorf("%d revert pull requests after a crash at %q, want 1", reverts, point)
			}
			if st.Phase != v1alpha1.PhaseFailed {
				t.Errorf("phase %s, want Failed", st.Phase)
			}
		})
	}
}

// A crash after a sync applied a commit but before it saved the Canaries'
// statuses — at the first install, and when a new revision is detected —
// is finished by the next sync: the install completes, the new revision
// is recorded pending and analysed, never installed.
func TestACrashBetweenASyncsApplyAndItsStatusesIsFinished(t *testing.T) {
	const point = "sync: after applying, before saving the statuses"
	if !slices.Contains(reconciler.FaultPoints(), point) {
		t.Fatalf("%q is not a fault point of the reconciler", point)
	}
	ns := playgroundtest.Namespace(t)
	g := newGate(t)
	repo := newGitRepo(t)
	repo.commit("detail 1.0", detailWithGate("1.0", g.url))
	crash := &crasher{point: point}
	crash.armed.Store(true)
	h := newHarness(t, repo, ns, func(o *reconciler.Options) { o.Fault = crash.fault })
	if _, err := h.sync(); !errors.Is(err, errCrash) {
		t.Fatalf("first sync = %v, want the crash", err)
	}
	restarted := newHarness(t, repo, ns, nil)
	restarted.settle()
	if st := restarted.canary().Status; st.Phase != v1alpha1.PhaseInitialized || st.LastPromotedRevision == "" {
		t.Fatalf("after a crash at the install: %+v, want Initialized", st)
	}

	g.fail("detail", true)
	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	crash.armed.Store(true)
	if _, err := h.sync(); !errors.Is(err, errCrash) {
		t.Fatalf("sync of 2.0 = %v, want the crash", err)
	}
	if img := restarted.primaryImage(); !strings.HasSuffix(img, ":1.0") {
		t.Fatalf("the primary runs %s after the crash, want 1.0", img)
	}
	st := restarted.rollUntil("2.0's failure", phaseIs(v1alpha1.PhaseFailed))
	if img := restarted.primaryImage(); !strings.HasSuffix(img, ":1.0") || st.LastFailedRevision == st.LastPromotedRevision {
		t.Errorf("after 2.0 failed the primary runs %s, want 1.0", img)
	}
}
