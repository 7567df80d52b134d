package reconciler_test

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// configuredDeploymentYAML is detail reading the ConfigMap detail-config
// both as a volume and as environment variables.
func configuredDeploymentYAML(tag string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: detail}
spec:
  replicas: 2
  selector: {matchLabels: {app: detail}}
  template:
    metadata: {labels: {app: detail}}
    spec:
      containers:
      - name: detail
        image: public.ecr.aws/u2g6w7p2/eks-workshop-demo/detail:` + tag + `
        envFrom: [{configMapRef: {name: detail-config}}]
        volumeMounts: [{name: config, mountPath: /etc/detail}]
      volumes:
      - name: config
        configMap: {name: detail-config}
`
}

func detailConfigYAML(mode string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: detail-config}\ndata: {MODE: " + mode + "}\n"
}

// commitConfiguredApp commits detail 1.0 reading detail-config in mode
// "steady", with the seed's Canary.
func commitConfiguredApp(t *testing.T, repo *gitRepo, canaryYAML string) {
	t.Helper()
	repo.commit("detail 1.0", map[string]*string{
		"kustomization.yaml": text("resources: [deployment.yaml, canary.yaml, config.yaml]\n"),
		"deployment.yaml":    text(configuredDeploymentYAML("1.0")),
		"canary.yaml":        text(canaryYAML),
		"config.yaml":        text(detailConfigYAML("steady")),
	})
}

func (h *harness) configMode(name string) string {
	h.t.Helper()
	var cm corev1.ConfigMap
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: name}, &cm); err != nil {
		h.t.Fatalf("configmap %s: %v", name, err)
	}
	return cm.Data["MODE"]
}

// configNames lists the ConfigMaps a Deployment's pods read, volume first.
func configNames(d *appsv1.Deployment) []string {
	spec := d.Spec.Template.Spec
	return []string{spec.Volumes[0].ConfigMap.Name, spec.Containers[0].EnvFrom[0].ConfigMapRef.Name}
}

func TestAConfigMapChangeIsCanariedWhileThePrimaryKeepsItsCopyUntilPromotion(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	startRequestsExporter(t, ns, "detail")
	repo := newGitRepo(t)
	commitConfiguredApp(t, repo, seedCanaryYAML(acceptanceTest(t)))
	h := newHarness(t, repo, ns, func(o *reconciler.Options) {
		o.PrometheusURL = playgroundtest.Playground().Prometheus.URL
	})
	h.settle()

	// Installed: the primary reads its own copy, the canary the original.
	if got := configNames(h.deployment("detail-primary")); got[0] != "detail-config-primary" || got[1] != "detail-config-primary" {
		t.Errorf("the primary reads %v, want detail-config-primary twice", got)
	}
	if got := configNames(h.deployment("detail")); got[0] != "detail-config" || got[1] != "detail-config" {
		t.Errorf("the canary reads %v, want detail-config twice", got)
	}
	if mode := h.configMode("detail-config-primary"); mode != "steady" {
		t.Errorf("detail-config-primary has MODE %q after the install, want steady", mode)
	}
	installed := h.canary().Status
	if installed.TrackedConfigs["configmap/detail-config"] == "" {
		t.Errorf("status.trackedConfigs = %v, want the hash of configmap/detail-config", installed.TrackedConfigs)
	}
	primaryBefore := h.deployment("detail-primary")

	// Only the config changes: a new revision, canaried like an image.
	repo.commit("detail config: fast", map[string]*string{"config.yaml": text(detailConfigYAML("fast"))})
	for _, weight := range []int32{5, 10, 15} {
		h.rollUntil("weight", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == weight })
		if mode := h.configMode("detail-config"); mode != "fast" {
			t.Errorf("at weight %d the canary's detail-config has MODE %q, want fast", weight, mode)
		}
		if mode := h.configMode("detail-config-primary"); mode != "steady" {
			t.Errorf("at weight %d the primary's copy has MODE %q, want steady until promotion", weight, mode)
		}
		if gen := h.deployment("detail-primary").Generation; gen != primaryBefore.Generation {
			t.Errorf("at weight %d the primary's generation moved %d → %d before promotion", weight, primaryBefore.Generation, gen)
		}
	}
	st := h.rollUntil("promotion", phaseIs(v1alpha1.PhaseSucceeded))

	if mode := h.configMode("detail-config-primary"); mode != "fast" {
		t.Errorf("after the promotion the primary's copy has MODE %q, want fast", mode)
	}
	primaryAfter := h.deployment("detail-primary")
	// The template differs by its revision annotation only, which is what
	// makes the primary's pods restart and read the new data.
	if before, after := primaryBefore.Spec.Template.Annotations["sluice.dev/revision"], primaryAfter.Spec.Template.Annotations["sluice.dev/revision"]; before == after || after != st.LastPromotedRevision {
		t.Errorf("primary pod template revision %s → %s, want it to change to the promoted %s", before, after, st.LastPromotedRevision)
	}
	if st.TrackedConfigs["configmap/detail-config"] == installed.TrackedConfigs["configmap/detail-config"] {
		t.Errorf("status.trackedConfigs did not follow the promoted config: %v", st.TrackedConfigs)
	}
	h.assertAllTrafficOnThePrimary()
}

// TestAPromotionThatCannotFinishRestoresThePrimaryAndItsConfig pins
// RestorePrimary: once the primary's template and config copy were
// replaced, a rollback must put both back on the last promoted commit, or
// the primary would run the failed revision.
func TestAPromotionThatCannotFinishRestoresThePrimaryAndItsConfig(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	startRequestsExporter(t, ns, "detail")
	repo := newGitRepo(t)
	canaryYAML := strings.Replace(seedCanaryYAML(acceptanceTest(t)), "progressDeadlineSeconds: 60", "progressDeadlineSeconds: 5", 1)
	commitConfiguredApp(t, repo, canaryYAML)
	h := newHarness(t, repo, ns, func(o *reconciler.Options) {
		o.PrometheusURL = playgroundtest.Playground().Prometheus.URL
	})
	h.settle()
	promoted := h.canary().Status.LastPromotedRevision

	repo.commit("detail 2.0 in mode fast", map[string]*string{
		"deployment.yaml": text(configuredDeploymentYAML("2.0")),
		"config.yaml":     text(detailConfigYAML("fast")),
	})
	h.rollUntil("weight 15", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 15 })
	// From now on no pod can be created in the namespace, so the primary's
	// new ReplicaSet never gets its pods. The playground runs no quota
	// controller: the test writes the usage the admission plugin reads.
	pods := corev1.ResourceList{corev1.ResourcePods: resource.MustParse("4")}
	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "no-more-pods", Namespace: ns},
		Spec:       corev1.ResourceQuotaSpec{Hard: pods},
	}
	if err := h.client.Create(context.Background(), quota); err != nil {
		t.Fatal(err)
	}
	quota.Status = corev1.ResourceQuotaStatus{Hard: pods, Used: pods}
	if err := h.client.Status().Update(context.Background(), quota); err != nil {
		t.Fatal(err)
	}

	var sawPromoting bool
	st := h.rollUntil("rollback", func(st v1alpha1.CanaryStatus) bool {
		sawPromoting = sawPromoting || st.Phase == v1alpha1.PhasePromoting
		return st.Phase == v1alpha1.PhaseFailed
	})

	if !sawPromoting {
		t.Errorf("the rollout never reached Promoting: the test did not exercise RestorePrimary")
	}
	if st.LastPromotedRevision != promoted {
		t.Errorf("lastPromotedRevision = %s, want the 1.0 revision %s", st.LastPromotedRevision, promoted)
	}
	primary := h.deployment("detail-primary")
	if img := primary.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":1.0") {
		t.Errorf("the primary's template has image %s after the rollback, want 1.0", img)
	}
	if rev := primary.Spec.Template.Annotations["sluice.dev/revision"]; rev != promoted {
		t.Errorf("the primary's template has revision %s, want %s", rev, promoted)
	}
	if mode := h.configMode("detail-config-primary"); mode != "steady" {
		t.Errorf("the primary's config copy has MODE %q after the rollback, want steady", mode)
	}
	if mode := h.configMode("detail-config"); mode != "fast" {
		t.Errorf("detail-config has MODE %q, want fast: Git says so, and only the canary reads it", mode)
	}
	var deadline bool
	for _, msg := range h.canaryEvents() {
		deadline = deadline || strings.HasPrefix(msg, "Rolling back detail."+ns+" progress deadline exceeded detail-primary."+ns+" not ready")
	}
	if !deadline {
		t.Errorf("no event says the promotion was rolled back for the primary's deadline; events: %q", h.canaryEvents())
	}
}

// canaryEvents lists the messages of the Events on the Canary detail.
func (h *harness) canaryEvents() []string {
	h.t.Helper()
	var events corev1.EventList
	if err := h.client.List(context.Background(), &events, client.InNamespace(h.ns)); err != nil {
		h.t.Fatal(err)
	}
	var msgs []string
	for _, e := range events.Items {
		if e.InvolvedObject.Kind == "Canary" && e.InvolvedObject.Name == "detail" {
			msgs = append(msgs, e.Message)
		}
	}
	return msgs
}
