package reconciler_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// detailWithGate is the detail app at tag whose Canary is gated by g.
func detailWithGate(tag, gateURL string) map[string]*string {
	canary := strings.Replace(canaryYAML, passingWebhook.URL, gateURL, 1)
	canary = strings.Replace(canary, "interval: 1m", "interval: 1s", 1)
	return map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(deploymentYAML(tag)),
		"canary.yaml":        text(canary),
		"settings.yaml":      text(settingsYAML("blue")),
	}
}

func (h *harness) primaryImage() string {
	h.t.Helper()
	return h.deployment("detail-primary").Spec.Template.Spec.Containers[0].Image
}

// Regression: with its status lost, a Canary was seen "for the first
// time" and the revision that had failed was installed on the primary
// with no analysis.
func TestACanaryThatLostItsStatusNeverInstallsWhatFailed(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	g := newGate(t)
	repo := newGitRepo(t)
	repo.commit("detail 1.0", detailWithGate("1.0", g.url))
	var logs logLines
	h := newHarness(t, repo, ns, func(o *reconciler.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	h.settle()

	g.fail("detail", true)
	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	h.rollUntil("the failure of 2.0", phaseIs(v1alpha1.PhaseFailed))
	record, err := h.a.ReadPrimaryRecord(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail-primary"})
	if err != nil {
		t.Fatal(err)
	}
	if record.FailedRevision == "" || record.FailedRevision != h.canary().Status.LastFailedRevision || record.FailedReason == "" {
		t.Fatalf("the primary records %+v, want the failed revision %s and its reason", record, h.canary().Status.LastFailedRevision)
	}

	// Someone deletes the Canary; sluice applies it again from Git.
	if err := h.client.Delete(context.Background(), h.canary()); err != nil {
		t.Fatal(err)
	}
	h.mustSync()
	h.mustSync()
	st := h.canary().Status
	if st.Phase != v1alpha1.PhaseFailed || st.LastFailedRevision != record.FailedRevision || st.LastPromotedRevision != record.Revision {
		t.Errorf("status after the Canary was re-created = phase %s, failed %.7s, promoted %.7s; want Failed with what the primary records", st.Phase, st.LastFailedRevision, st.LastPromotedRevision)
	}
	if img := h.primaryImage(); !strings.HasSuffix(img, ":1.0") {
		t.Errorf("the primary runs %s after the Canary lost its status, want 1.0", img)
	}
	if !strings.Contains(logs.String(), "Adopting detail-primary."+ns+": it runs revision ") {
		t.Errorf("no adoption logged:\n%s", logs.String())
	}

	// A new revision is analysed, not installed.
	g.fail("detail", false)
	repo.commit("detail 3.0", map[string]*string{"deployment.yaml": text(deploymentYAML("3.0"))})
	h.rollUntil("the promotion of 3.0", phaseIs(v1alpha1.PhaseSucceeded))
	if n := strings.Count(logs.String(), "Starting canary analysis for detail."+ns); n < 2 {
		t.Errorf("3.0 reached the primary after %d analyses, want a second one", n)
	}
}

// Regression: a commit that landed while the first install was still
// rolling out was installed on the primary with no analysis.
func TestACommitDuringTheFirstInstallIsAnalysedNotInstalled(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	g := newGate(t)
	g.fail("detail", true)
	repo := newGitRepo(t)
	repo.commit("detail 1.0", detailWithGate("1.0", g.url))
	h := newHarness(t, repo, ns, nil)
	if res := h.mustSync(); !res.Settling {
		t.Fatal("the first sync found the primary ready at once; the test needs it still rolling out")
	}
	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	h.mustSync()
	if img := h.primaryImage(); !strings.HasSuffix(img, ":1.0") {
		t.Fatalf("the primary runs %s while initializing, want 1.0: 2.0 reached it without an analysis", img)
	}
	deadline := time.Now().Add(time.Minute)
	for h.canary().Status.Phase != v1alpha1.PhaseFailed {
		if time.Now().After(deadline) {
			t.Fatalf("2.0 did not fail its analysis within a minute; status %+v", h.canary().Status)
		}
		h.mustSync()
		time.Sleep(300 * time.Millisecond)
	}
	st := h.canary().Status
	if img := h.primaryImage(); !strings.HasSuffix(img, ":1.0") || st.LastPromotedRevision == st.LastFailedRevision {
		t.Errorf("after 2.0 failed the primary runs %s (promoted %.7s, failed %.7s), want 1.0", img, st.LastPromotedRevision, st.LastFailedRevision)
	}
	var d = h.deployment("detail-primary")
	if d.Annotations[applier.CommitAnnotation] == "" || d.Annotations[applier.FailedRevisionAnnotation] != st.LastFailedRevision {
		t.Errorf("primary annotations %v, want the commit it runs and the failed revision", d.Annotations)
	}
}

// Regression: a target deleted by hand mid-rollout made the rollback's
// scale-down fail on not-found every step, forever; a primary deleted by
// hand left the traffic going to nothing until Git changed.
func TestHandDeletedDeploymentsDoNotWedgeARollbackAndAPrimaryIsMadeAgain(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	g := newGate(t)
	repo := newGitRepo(t)
	files := detailWithGate("1.0", g.url)
	*files["canary.yaml"] = strings.Replace(*files["canary.yaml"], "spec:\n", "spec:\n  progressDeadlineSeconds: 3\n", 1)
	repo.commit("detail 1.0", files)
	h := newHarness(t, repo, ns, nil)
	h.settle()
	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	h.rollUntil("weight 5", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 5 })

	if err := h.client.Delete(context.Background(), h.deployment("detail")); err != nil {
		t.Fatal(err)
	}
	st := h.rollUntil("the rollback", phaseIs(v1alpha1.PhaseFailed))
	if !strings.Contains(st.FailureReason, "progress deadline exceeded") {
		t.Errorf("failure reason %q, want the progress deadline", st.FailureReason)
	}
	router, err := h.a.Router("gatewayapi")
	if err != nil {
		t.Fatal(err)
	}
	if primary, canary, err := router.Weights(context.Background(), h.canary()); err != nil || primary != 100 || canary != 0 {
		t.Errorf("route weights %d/%d (%v) after the rollback, want 100/0", primary, canary, err)
	}

	if err := h.client.Delete(context.Background(), h.deployment("detail-primary")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		h.mustSync()
		var d appsv1.Deployment
		err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "detail-primary"}, &d)
		if err == nil {
			if img := d.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":1.0") {
				t.Errorf("the primary was made again with %s, want the last promoted 1.0", img)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deleted primary was not made again within 30s: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// A primary edited by hand (kubectl set image) goes back to the revision
// it should run at the next sync.
func TestAPrimaryEditedByHandGoesBackToItsRevision(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	repo.commit("detail 1.0", detailWithGate("1.0", passingWebhook.URL))
	h := newHarness(t, repo, ns, nil)
	h.settle()
	primary := h.deployment("detail-primary")
	patch := []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"detail","image":"example.com/hotfix:9.9"}]}}}}`)
	if err := h.client.Patch(context.Background(), primary, client.RawPatch(types.StrategicMergePatchType, patch), client.FieldOwner("kubectl")); err != nil {
		t.Fatal(err)
	}
	if img := h.primaryImage(); img != "example.com/hotfix:9.9" {
		t.Fatalf("the hand edit did not take: %s", img)
	}
	h.mustSync()
	if img := h.primaryImage(); !strings.HasSuffix(img, ":1.0") {
		t.Errorf("the primary runs %s after a sync, want Git's 1.0 back", img)
	}
}
