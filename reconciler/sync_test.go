package reconciler_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

const kustomization = `resources: [deployment.yaml, canary.yaml, settings.yaml]
`

func deploymentYAML(tag string) string {
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
        ports: [{containerPort: 3000}]
`
}

var canaryYAML = `apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata: {name: detail}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  provider: gatewayapi
  service:
    port: 3000
    gatewayRefs: [{name: public, namespace: gateway}]
  analysis: {interval: 1m, threshold: 1, stepWeight: 5, maxWeight: 15, webhooks: [{name: gate, type: pre-rollout, url: "` + passingWebhook.URL + `"}]}
`

func settingsYAML(color string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: " + color + "}\n"
}

// seedApp commits the detail app at 1.0 with its Canary and a plain ConfigMap.
func seedApp(repo *gitRepo) string {
	return repo.commit("detail 1.0", map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(deploymentYAML("1.0")),
		"canary.yaml":        text(canaryYAML),
		"settings.yaml":      text(settingsYAML("blue")),
	})
}

func (h *harness) canary() *v1alpha1.Canary {
	h.t.Helper()
	var c v1alpha1.Canary
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: "detail"}, &c); err != nil {
		h.t.Fatal(err)
	}
	return &c
}

func (h *harness) deployment(name string) *appsv1.Deployment {
	h.t.Helper()
	var d appsv1.Deployment
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: name}, &d); err != nil {
		h.t.Fatalf("deployment %s: %v", name, err)
	}
	return &d
}

func (h *harness) configMapColor() string {
	h.t.Helper()
	var cm corev1.ConfigMap
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: "settings"}, &cm); err != nil {
		h.t.Fatal(err)
	}
	return cm.Data["color"]
}

func TestFirstSyncInstallsEverythingAndThePrimary(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	commit := seedApp(repo)
	h := newHarness(t, repo, ns, nil)

	h.settle()

	if got := h.configMapColor(); got != "blue" {
		t.Errorf("ConfigMap settings color = %q, want blue", got)
	}
	target := h.deployment("detail")
	if *target.Spec.Replicas != 0 {
		t.Errorf("target detail has %d replicas, want 0 between rollouts", *target.Spec.Replicas)
	}
	primary := h.deployment("detail-primary")
	if *primary.Spec.Replicas != 2 || primary.Status.AvailableReplicas != 2 {
		t.Errorf("primary replicas %d available %d, want 2 and 2", *primary.Spec.Replicas, primary.Status.AvailableReplicas)
	}
	if img := primary.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":1.0") {
		t.Errorf("primary runs %s, want the 1.0 image", img)
	}
	for _, name := range []string{"detail", "detail-primary", "detail-canary"} {
		if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &corev1.Service{}); err != nil {
			t.Errorf("service %s: %v", name, err)
		}
	}
	c := h.canary()
	if c.Status.Phase != v1alpha1.PhaseInitialized {
		t.Errorf("phase = %q, want Initialized", c.Status.Phase)
	}
	if c.Status.LastPromotedCommit != commit || c.Status.LastAppliedCommit != commit || c.Status.LastPromotedRevision == "" {
		t.Errorf("status = %+v, want the commit %s promoted with a revision", c.Status, commit)
	}
	if cond := meta.FindStatusCondition(c.Status.Conditions, reconciler.ConditionReady); cond == nil || cond.Status != "True" {
		t.Errorf("Ready condition = %+v, want True", cond)
	}
	var events corev1.EventList
	if err := h.client.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events.Items {
		found = found || (e.InvolvedObject.Kind == "Canary" && e.Message == "Initialization done! detail."+ns)
	}
	if !found {
		t.Errorf("no event 'Initialization done! detail.%s' on the Canary among %d events", ns, len(events.Items))
	}
}

func TestAnUnchangedHeadFetchesNothingAndWritesNothing(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	seedApp(repo)
	h := newHarness(t, repo, ns, nil)
	h.settle()

	fetches := h.source.Stats().Fetches
	writes := h.writes.n.Load()
	res := h.mustSync()
	if got := h.source.Stats().Fetches; got != fetches {
		t.Errorf("an unchanged head caused %d fetches", got-fetches)
	}
	if got := h.writes.n.Load() - writes; got != 0 {
		t.Errorf("an unchanged head caused %d API writes (changes %v)", got, res.Changes)
	}
}

func TestAChangedConfigMapIsApplied(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	seedApp(repo)
	h := newHarness(t, repo, ns, nil)
	h.settle()

	repo.commit("green", map[string]*string{"settings.yaml": text(settingsYAML("green"))})
	h.mustSync()
	if got := h.configMapColor(); got != "green" {
		t.Errorf("ConfigMap color = %q after the commit, want green", got)
	}
}

func TestAnObjectRemovedFromGitIsPruned(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	seedApp(repo)
	h := newHarness(t, repo, ns, nil)
	h.settle()

	repo.commit("drop settings", map[string]*string{
		"settings.yaml":      nil,
		"kustomization.yaml": text("resources: [deployment.yaml, canary.yaml]\n"),
	})
	h.mustSync()
	err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "settings"}, &corev1.ConfigMap{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("ConfigMap settings after it left Git: %v, want not found", err)
	}
	h.deployment("detail-primary") // the primary is not pruned
}

func TestATargetImageChangeIsPendingAndThePrimaryIsUntouched(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	seedApp(repo)
	h := newHarness(t, repo, ns, nil)
	h.settle()
	before := h.canary().Status

	commit := repo.commit("detail 2.0", map[string]*string{"deployment.yaml": text(deploymentYAML("2.0"))})
	h.mustSync()

	c := h.canary()
	if c.Status.Phase != v1alpha1.PhaseWaiting || c.Status.PendingCommit != commit || c.Status.PendingRevision == "" ||
		c.Status.PendingRevision == before.LastPromotedRevision {
		t.Errorf("status = %+v, want Waiting with the pending commit %s and a new revision", c.Status, commit)
	}
	if c.Status.LastPromotedRevision != before.LastPromotedRevision {
		t.Errorf("promoted revision moved from %s to %s without a rollout", before.LastPromotedRevision, c.Status.LastPromotedRevision)
	}
	for _, name := range []string{"detail", "detail-primary"} {
		if img := h.deployment(name).Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":1.0") {
			t.Errorf("%s runs %s, want it left at 1.0 until a rollout", name, img)
		}
	}
}

func TestBadCommitsAreRefusedWholeAndTheLastGoodStateStays(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]*string
		opts   func(*reconciler.Options)
		reason string
		want   string
	}{
		{
			name:   "YAML that does not parse",
			files:  map[string]*string{"extra.yaml": text("kind: [unclosed\n"), "kustomization.yaml": text("resources: [deployment.yaml, canary.yaml, settings.yaml, extra.yaml]\n")},
			reason: "InvalidManifests", want: "extra.yaml",
		},
		{
			name:   "a Canary whose target is not rendered",
			files:  map[string]*string{"canary.yaml": text(strings.Replace(canaryYAML, "kind: Deployment, name: detail}", "kind: Deployment, name: missing}", 1))},
			reason: "InvalidManifests", want: "spec.targetRef",
		},
		{
			name: "two Canaries on one target",
			files: map[string]*string{
				"canary2.yaml":       text(strings.Replace(canaryYAML, "metadata: {name: detail}", "metadata: {name: detail-two}", 1)),
				"kustomization.yaml": text("resources: [deployment.yaml, canary.yaml, settings.yaml, canary2.yaml]\n"),
			},
			reason: "InvalidManifests", want: "detail",
		},
		{
			name:   "a remote base",
			files:  map[string]*string{"kustomization.yaml": text("resources: [deployment.yaml, canary.yaml, settings.yaml, 'https://github.com/example/app//base?ref=v1']\n")},
			reason: "InvalidManifests", want: "remote",
		},
		{
			name:   "an invalid Canary field",
			files:  map[string]*string{"canary.yaml": text(strings.Replace(canaryYAML, "stepWeight: 5", "stepWeight: 500", 1))},
			reason: "InvalidManifests", want: "spec.analysis.stepWeight",
		},
		{
			name:   "a path outside the repository",
			opts:   func(o *reconciler.Options) { o.Path = "../elsewhere" },
			reason: "InvalidManifests", want: "../elsewhere",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := playgroundtest.Namespace(t)
			repo := newGitRepo(t)
			seedApp(repo)
			h := newHarness(t, repo, ns, nil)
			h.settle()

			// The bad commit also changes the plain ConfigMap: that change
			// must not be applied either.
			files := map[string]*string{"settings.yaml": text(settingsYAML("red"))}
			for k, v := range tt.files {
				files[k] = v
			}
			repo.commit("bad", files)
			if tt.opts != nil {
				h = newHarness(t, repo, ns, tt.opts)
			}
			_, err := h.sync()
			if err == nil {
				t.Fatal("sync of a bad commit succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
			var invalid *manifests.InvalidError
			if tt.reason == "InvalidManifests" && !errors.As(err, &invalid) {
				t.Errorf("error %v is not a *manifests.InvalidError", err)
			}
			if got := h.configMapColor(); got != "blue" {
				t.Errorf("ConfigMap color = %q, want blue: part of the bad commit was applied", got)
			}
			cond := meta.FindStatusCondition(h.canary().Status.Conditions, reconciler.ConditionReady)
			if cond == nil || cond.Status != "False" || cond.Reason != tt.reason || !strings.Contains(cond.Message, tt.want) {
				t.Errorf("Ready condition = %+v, want False/%s naming %q", cond, tt.reason, tt.want)
			}
		})
	}
}
