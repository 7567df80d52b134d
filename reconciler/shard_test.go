package reconciler_test

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// shardHarness is a sluice of shard key syncing repo, as `sluice run
// --shard-key key` is: its own owner (sluice-<key>) and inventory, on the
// cluster client of base.
func shardHarness(t *testing.T, base *harness, key string) *harness {
	t.Helper()
	a, err := applier.New(base.counted, applier.Options{Owner: "sluice-" + key, OwnerNamespace: base.ns})
	if err != nil {
		t.Fatal(err)
	}
	source, err := gitsync.New(gitsync.Options{URL: "file://" + base.repo.dir, Branch: "main", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	events, err := kubernetes.NewForConfig(playgroundtest.Playground().ControlPlane.Config)
	if err != nil {
		t.Fatal(err)
	}
	h := *base
	h.a, h.source = a, source
	h.rec = reconciler.New(base.counted, a, events, source, reconciler.Options{
		Namespace: base.ns, Prune: true, Shard: key, Render: manifests.Options{DefaultNamespace: base.ns},
	})
	return &h
}

// shardedFiles is a repository of two apps, alpha in shard a and beta in
// shardOfBeta, each with its Canary, under a root kustomization that lists
// both, as one team's repository split between two sluices.
func shardedFiles(shardOfBeta string) map[string]*string {
	return map[string]*string{
		"kustomization.yaml":       text("resources: [alpha, beta]\n"),
		"alpha/kustomization.yaml": text("resources: [app.yaml]\nlabels: [{pairs: {sluice.dev/shard: a}}]\n"),
		"alpha/app.yaml":           text(appYAML("alpha", "1.0", "1m")),
		"beta/kustomization.yaml":  text("resources: [app.yaml]\nlabels: [{pairs: {sluice.dev/shard: " + shardOfBeta + "}}]\n"),
		"beta/app.yaml":            text(appYAML("beta", "1.0", "1m")),
	}
}

// TestTwoShardsSplitARepositoryAndAnAppMovesBetweenThemWithoutADeletion:
// two sluices with --shard-key a and b sync the same repository; each
// applies, owns and inventories its app and what it generates (primary,
// Services) and never writes the other's. When beta's label moves it to
// shard a, shard b hands it over — nothing is deleted, whichever shard
// syncs first — and shard a takes it over: the same objects (same UIDs)
// now carry shard a's owner. A Canary whose target is in another shard
// is refused with an error naming the label.
func TestTwoShardsSplitARepositoryAndAnAppMovesBetweenThemWithoutADeletion(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	repo.commit("two apps, two shards", shardedFiles("b"))
	base := newHarness(t, repo, ns, nil)
	shardA, shardB := shardHarness(t, base, "a"), shardHarness(t, base, "b")
	shardA.settle()
	shardB.settle()
	shardA.mustSync()

	owner := func(name string) string {
		t.Helper()
		var d appsv1.Deployment
		if err := base.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &d); err != nil {
			t.Fatalf("deployment %s: %v", name, err)
		}
		return d.Labels["sluice.dev/name"]
	}
	uid := func(kind client.Object, name string) types.UID {
		t.Helper()
		if err := base.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, kind); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return kind.GetUID()
	}
	inventory := func(h *harness) string {
		t.Helper()
		inv, err := h.applier().ReadInventory(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(inv, "\n")
	}
	for name, want := range map[string]string{"alpha": "sluice-a", "alpha-primary": "sluice-a", "beta": "sluice-b", "beta-primary": "sluice-b"} {
		if got := owner(name); got != want {
			t.Errorf("deployment %s is owned by %q, want %q", name, got, want)
		}
	}
	invA, invB := inventory(shardA), inventory(shardB)
	if !strings.Contains(invA, "/alpha-primary") || strings.Contains(invA, "/beta") {
		t.Errorf("shard a's inventory holds beta or lacks alpha's primary:\n%s", invA)
	}
	if !strings.Contains(invB, "/beta-primary") || strings.Contains(invB, "/alpha") {
		t.Errorf("shard b's inventory holds alpha or lacks beta's primary:\n%s", invB)
	}
	for _, h := range []*harness{shardA, shardB} {
		for _, change := range h.mustSync().Changes {
			if change.Action != applier.Unchanged {
				t.Errorf("an idle sync of a shard changed %s (%s): the shards fight over it", change.Subject, change.Action)
			}
		}
	}

	// beta moves to shard a. Shard b syncs first: it must hand over, not
	// delete.
	before := map[string]types.UID{
		"beta": uid(&appsv1.Deployment{}, "beta"), "beta-primary": uid(&appsv1.Deployment{}, "beta-primary"),
		"beta-svc": uid(&corev1.Service{}, "beta"), "beta-canary-svc": uid(&corev1.Service{}, "beta-canary"),
	}
	repo.commit("beta moves to shard a", shardedFiles("a"))
	// The plans of the move: each shard's plan shows its own part as
	// run acts on it, and shard b's prunes nothing it hands over.
	canaries := func(plan reconciler.Plan) (names []string) {
		for _, c := range plan.Canaries {
			names = append(names, c.Name)
		}
		return names
	}
	planA, planB := shardA.plan(), shardB.plan()
	if got := canaries(planB); len(got) != 0 || len(planB.Prune) != 0 {
		t.Errorf("shard b's plan of the move: Canaries %v, prune %v; want neither (beta is handed over, not deleted)", got, planB.Prune)
	}
	if got := canaries(planA); len(got) != 2 {
		t.Errorf("shard a's plan of the move: Canaries %v, want alpha and beta", got)
	}
	for _, d := range planB.Objects {
		if strings.Contains(d.Subject, "alpha") || strings.Contains(d.Subject, "beta") {
			t.Errorf("shard b's plan holds %s, of shard a", d.Subject)
		}
	}
	for _, change := range shardB.mustSync().Changes {
		if change.Action == applier.Deleted {
			t.Errorf("shard b deleted %s when beta moved to shard a", change.Subject)
		}
	}
	if inv := inventory(shardB); strings.Contains(inv, "/beta") {
		t.Errorf("shard b still inventories beta after handing it over:\n%s", inv)
	}
	shardA.settle()
	shardB.mustSync()
	after := map[string]types.UID{
		"beta": uid(&appsv1.Deployment{}, "beta"), "beta-primary": uid(&appsv1.Deployment{}, "beta-primary"),
		"beta-svc": uid(&corev1.Service{}, "beta"), "beta-canary-svc": uid(&corev1.Service{}, "beta-canary"),
	}
	for name, was := range before {
		if after[name] != was {
			t.Errorf("%s was recreated (uid %s → %s) when it moved between shards", name, was, after[name])
		}
	}
	for _, name := range []string{"beta", "beta-primary"} {
		if got := owner(name); got != "sluice-a" {
			t.Errorf("deployment %s is owned by %q after the move, want sluice-a", name, got)
		}
	}
	if inv := inventory(shardA); !strings.Contains(inv, "/beta-primary") || !strings.Contains(inv, "Canary/"+ns+"/beta") {
		t.Errorf("shard a does not inventory beta after taking it over:\n%s", inv)
	}

	// A Canary in shard b whose target is in shard a is refused, whole.
	files := shardedFiles("a")
	files["beta/app.yaml"] = text(strings.Replace(appYAML("beta", "1.0", "1m"), "kind: Canary\nmetadata: {name: beta}", "kind: Canary\nmetadata: {name: beta, labels: {sluice.dev/shard: b}}", 1))
	files["beta/kustomization.yaml"] = text("resources: [app.yaml]\n")
	files["beta/app.yaml"] = text(strings.Replace(*files["beta/app.yaml"], "metadata: {name: beta}\nspec:\n  replicas", "metadata: {name: beta, labels: {sluice.dev/shard: a}}\nspec:\n  replicas", 1))
	repo.commit("beta's Canary in shard b, its Deployment in a", files)
	_, err := shardB.sync()
	if err == nil || !strings.Contains(err.Error(), "canary "+ns+"/beta: metadata.labels[sluice.dev/shard]") || !strings.Contains(err.Error(), "must be in the same shard") {
		t.Fatalf("sync of a Canary split across shards: error %v, want one naming the Canary and its shard label", err)
	}
}
