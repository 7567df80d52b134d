package reconciler_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// autoscaledFiles are the detail app whose replicas its
// HorizontalPodAutoscaler sets (the Deployment asks for none), at tag,
// with a Canary naming it and giving the primary's copy minReplicas
// primaryMin, its analysis gated by the pre-rollout webhook gate; and
// frontend, a neighbour without an autoscaler, in the same kustomization.
func autoscaledFiles(tag string, hpaMax, primaryMin int, gate string) map[string]*string {
	deployment := strings.Replace(deploymentYAML(tag), "  replicas: 2\n", "", 1)
	hpa := `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: detail}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  minReplicas: 2
  maxReplicas: ` + strconv.Itoa(hpaMax) + `
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`
	canary := `apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata: {name: detail}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  autoscalerRef:
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    name: detail
    primaryScalerReplicas: {minReplicas: ` + strconv.Itoa(primaryMin) + `}
  service: {port: 3000, gatewayRefs: [{name: public, namespace: gateway}]}
  analysis: {interval: 1s, threshold: 1, stepWeight: 5, maxWeight: 15, webhooks: [{name: gate, type: pre-rollout, url: "` + gate + `"}]}
`
	return map[string]*string{
		"kustomization.yaml": text("resources: [deployment.yaml, hpa.yaml, canary.yaml, frontend.yaml]\n"),
		"deployment.yaml":    text(deployment),
		"hpa.yaml":           text(hpa),
		"canary.yaml":        text(canary),
		"frontend.yaml":      text(appYAML("frontend", "1.0", "1s")),
	}
}

// The story of an autoscaled target: the primary gets its own autoscaler,
// sluice never takes back the count an autoscaler set (the playground's
// autoscaler controller holds Deployments within their bounds, without
// metrics: the test plays the metric-driven scaling itself), a promotion
// copies the pods and not the count, a change of the autoscaler in Git
// reaches the primary's copy, a rollback leaves both as they were, and the
// Canary leaving Git takes the copy along.
func TestAnAutoscaledTargetsPrimaryHasItsOwnAutoscalerWhoseCountSluiceKeeps(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	var failing atomic.Bool
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(gate.Close)
	repo := newGitRepo(t)
	files := func(tag string, hpaMax, primaryMin int) map[string]*string {
		return autoscaledFiles(tag, hpaMax, primaryMin, gate.URL)
	}
	repo.commit("detail 1.0 autoscaled", files("1.0", 5, 3))
	h := newHarness(t, repo, ns, nil)
	h.settle()

	primaryHPA := h.autoscaler("detail-primary")
	if ref := primaryHPA.Spec.ScaleTargetRef; ref.Name != "detail-primary" || ref.Kind != "Deployment" {
		t.Errorf("detail-primary's autoscaler scales %+v, want the Deployment detail-primary", ref)
	}
	if *primaryHPA.Spec.MinReplicas != 3 || primaryHPA.Spec.MaxReplicas != 5 || len(primaryHPA.Spec.Metrics) != 1 {
		t.Errorf("detail-primary's autoscaler: %+v, want min 3 (primaryScalerReplicas), max 5 and the CPU metric of detail's", primaryHPA.Spec)
	}
	if got := h.replicas("detail-primary"); got != 3 {
		t.Errorf("a new primary of a Deployment that leaves its replicas to an autoscaler runs %d, want its autoscaler's minimum 3", got)
	}
	if got := h.replicas("detail"); got != 0 {
		t.Errorf("the canary runs %d replicas between rollouts, want 0", got)
	}
	if err := h.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "frontend-primary"}, &autoscalingv2.HorizontalPodAutoscaler{}); !apierrors.IsNotFound(err) {
		t.Errorf("frontend, whose Canary names no autoscaler: frontend-primary's autoscaler: %v, want not found", err)
	}

	// The autoscaler scales the primary to 4 on its metrics; syncs keep it.
	h.scale("detail-primary", 4)
	h.mustSync()
	h.mustSync()
	if got := h.replicas("detail-primary"); got != 4 {
		t.Fatalf("the primary runs %d replicas after two syncs, want the 4 its autoscaler set", got)
	}

	repo.commit("detail 2.0", map[string]*string{"deployment.yaml": files("2.0", 5, 3)["deployment.yaml"]})
	canaryReplicas := map[int32]bool{}
	h.rollUntil("the promotion of 2.0", func(st v1alpha1.CanaryStatus) bool {
		if st.Phase == v1alpha1.PhaseProgressing {
			canaryReplicas[h.replicas("detail")] = true
		}
		return st.Phase == v1alpha1.PhaseSucceeded
	})
	if !canaryReplicas[2] || len(canaryReplicas) != 1 {
		t.Errorf("the canary ran %v replicas during the analysis, want detail's autoscaler's minimum 2", canaryReplicas)
	}
	if img := h.deployment("detail-primary").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("the primary runs %s after the promotion, want 2.0", img)
	}
	if got := h.replicas("detail-primary"); got != 4 {
		t.Errorf("the promotion set the primary to %d replicas, want the 4 its autoscaler set", got)
	}
	if got := h.replicas("detail"); got != 0 {
		t.Errorf("the canary runs %d replicas after the promotion, want 0", got)
	}
	if got := h.replicas("frontend-primary"); got != 1 {
		t.Errorf("frontend-primary runs %d replicas, want Git's 1", got)
	}

	// Git raises the bounds: the copy follows at the next sync, and the
	// autoscaler (not sluice) brings the primary up to its new minimum.
	raised := files("2.0", 8, 5)
	repo.commit("detail: more replicas", map[string]*string{"hpa.yaml": raised["hpa.yaml"], "canary.yaml": raised["canary.yaml"]})
	h.mustSync()
	if scaler := h.autoscaler("detail-primary"); *scaler.Spec.MinReplicas != 5 || scaler.Spec.MaxReplicas != 8 {
		t.Errorf("after the commit, detail-primary's autoscaler has min %d max %d, want 5 and 8", *scaler.Spec.MinReplicas, scaler.Spec.MaxReplicas)
	}
	h.waitForReplicas("detail-primary", 5)
	h.mustSync()
	if got := h.replicas("detail-primary"); got != 5 {
		t.Errorf("a sync set the primary to %d replicas, want the 5 its autoscaler set", got)
	}

	// 3.0 fails its analysis and rolls back: the primary stays on 2.0
	// with its autoscaler's count, its autoscaler as Git has it, the
	// canary at zero.
	failing.Store(true)
	repo.commit("detail 3.0", map[string]*string{"deployment.yaml": files("3.0", 8, 5)["deployment.yaml"]})
	h.rollUntil("the rollback of 3.0", phaseIs(v1alpha1.PhaseFailed))
	if img := h.deployment("detail-primary").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("the primary runs %s after the rollback, want 2.0", img)
	}
	if got := h.replicas("detail-primary"); got != 5 {
		t.Errorf("the primary runs %d replicas after the rollback, want the 5 its autoscaler set", got)
	}
	if got := h.replicas("detail"); got != 0 {
		t.Errorf("the canary runs %d replicas after the rollback, want 0", got)
	}
	if scaler := h.autoscaler("detail-primary"); *scaler.Spec.MinReplicas != 5 || scaler.Spec.MaxReplicas != 8 || scaler.Spec.ScaleTargetRef.Name != "detail-primary" {
		t.Errorf("after the rollback detail-primary's autoscaler is %+v, want min 5, max 8, scaling detail-primary", scaler.Spec)
	}

	// The Canary leaves Git, detail and its autoscaler stay: detail takes
	// the traffic over, and detail-primary goes with its autoscaler.
	repo.commit("detail without a canary", map[string]*string{"canary.yaml": nil,
		"kustomization.yaml": text("resources: [deployment.yaml, hpa.yaml, frontend.yaml]\n")})
	if !h.mustSync().Settling {
		t.Fatal("the first sync without the Canary handed over at once, want detail scaled up first")
	}
	if got := h.autoscaler("detail-primary").Spec.ScaleTargetRef.Name; got != "detail-primary" || h.replicas("detail-primary") != 5 {
		t.Errorf("while detail scales up, detail-primary runs %d replicas and its autoscaler scales %s; want 5 and detail-primary", h.replicas("detail-primary"), got)
	}
	h.settle()
	if err := h.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail-primary"}, &autoscalingv2.HorizontalPodAutoscaler{}); !apierrors.IsNotFound(err) {
		t.Errorf("detail-primary's autoscaler after the Canary left Git: %v, want not found", err)
	}
	if err := h.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail-primary"}, &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
		t.Errorf("detail-primary after the Canary left Git: %v, want not found", err)
	}
	if scaler := h.autoscaler("detail"); scaler.Spec.ScaleTargetRef.Name != "detail" {
		t.Errorf("detail's own autoscaler scales %s, want detail", scaler.Spec.ScaleTargetRef.Name)
	}
	if got := h.replicas("detail"); got < 2 {
		t.Errorf("detail runs %d replicas once it took the traffic over, want at least its autoscaler's minimum 2", got)
	}
}

// autoscaler reads a HorizontalPodAutoscaler of the test's namespace.
func (h *harness) autoscaler(name string) *autoscalingv2.HorizontalPodAutoscaler {
	h.t.Helper()
	var hpa autoscalingv2.HorizontalPodAutoscaler
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: name}, &hpa); err != nil {
		h.t.Fatalf("autoscaler %s: %v", name, err)
	}
	return &hpa
}

// replicas returns the replicas a Deployment of the test's namespace asks
// for.
func (h *harness) replicas(name string) int32 {
	h.t.Helper()
	return *h.deployment(name).Spec.Replicas
}

// scale sets a Deployment's replicas through its scale subresource, as an
// autoscaler does.
func (h *harness) scale(name string, replicas int32) {
	h.t.Helper()
	deploy := h.deployment(name)
	scale := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: h.ns, ResourceVersion: deploy.ResourceVersion},
		Spec: autoscalingv1.ScaleSpec{Replicas: replicas}}
	if err := h.client.SubResource("scale").Update(context.Background(), deploy, client.WithSubResourceBody(scale), client.FieldOwner("horizontal-pod-autoscaler")); err != nil {
		h.t.Fatalf("scale %s to %d: %v", name, replicas, err)
	}
}

// waitForReplicas waits up to 20 seconds for a Deployment to ask for want
// replicas.
func (h *harness) waitForReplicas(name string, want int32) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for h.replicas(name) != want {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s asks for %d replicas, want %d: nothing scaled it within 20s", name, h.replicas(name), want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
