package reconciler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/forgeemu"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// gate is a pre-rollout webhook that fails the Canaries it is told to
// and passes the others.
type gate struct {
	url     string
	mu      sync.Mutex
	failing map[string]bool
}

func newGate(t *testing.T) *gate {
	t.Helper()
	g := &gate{failing: map[string]bool{}}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var payload struct {
			Name string `json:"name"`
		}
		_ = json.NewDecoder(req.Body).Decode(&payload)
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.failing[payload.Name] {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(server.Close)
	g.url = server.URL
	return g
}

func (g *gate) fail(name string, failing bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failing[name] = failing
}

// canaryOf reads the Canary name of the harness's namespace.
func (h *harness) canaryOf(name string) v1alpha1.Canary {
	h.t.Helper()
	var c v1alpha1.Canary
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: name}, &c); err != nil {
		h.t.Fatalf("canary %s: %v", name, err)
	}
	return c
}

// rollUntilAll syncs until done holds for the statuses of the named
// Canaries.
func (h *harness) rollUntilAll(what string, names []string, done func(map[string]v1alpha1.CanaryStatus) bool) map[string]v1alpha1.CanaryStatus {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := h.sync(); err != nil {
			h.t.Fatalf("sync while waiting for %s: %v", what, err)
		}
		statuses := map[string]v1alpha1.CanaryStatus{}
		for _, name := range names {
			statuses[name] = h.canaryOf(name).Status
		}
		if done(statuses) {
			return statuses
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("no %s within a minute; statuses %+v", what, statuses)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// appObjects are the kinds and names of what one app of a fleet is in
// the cluster: its Deployments, Services, route, Canary and configs.
func appObjects(app string) []client.Object {
	named := func(obj client.Object, name string) client.Object { obj.SetName(name); return obj }
	return []client.Object{
		named(&appsv1.Deployment{}, app), named(&appsv1.Deployment{}, app+"-primary"),
		named(&corev1.Service{}, app), named(&corev1.Service{}, app+"-primary"), named(&corev1.Service{}, app+"-canary"),
		named(httpRoute(), app), named(&v1alpha1.Canary{}, app),
		named(&corev1.ConfigMap{}, app+"-config"), named(&corev1.ConfigMap{}, app+"-config-primary"),
	}
}

// httpRoute is an empty HTTPRoute, which the test client's scheme does not
// know as a type.
func httpRoute() *unstructured.Unstructured {
	route := &unstructured.Unstructured{}
	route.SetGroupVersionKind(gatewayv1.SchemeGroupVersion.WithKind("HTTPRoute"))
	return route
}

// snapshot records the identity and spec generation of an app's objects
// ("Kind/name" → "uid@generation"; Services and ConfigMaps, which have no
// generation, by uid and content), or "absent".
func (h *harness) snapshot(apps ...string) map[string]string {
	h.t.Helper()
	out := map[string]string{}
	for _, app := range apps {
		for _, obj := range appObjects(app) {
			kind := fmt.Sprintf("%T", obj)
			if u, ok := obj.(*unstructured.Unstructured); ok {
				kind = "*v1." + u.GetKind()
			}
			key := kind + "/" + obj.GetName()
			err := h.client.Get(context.Background(), client.ObjectKey{Namespace: h.ns, Name: obj.GetName()}, obj)
			switch {
			case apierrors.IsNotFound(err):
				out[key] = "absent"
				continue
			case err != nil:
				h.t.Fatal(err)
			}
			state := fmt.Sprintf("%s@%d", obj.GetUID(), obj.GetGeneration())
			switch o := obj.(type) {
			case *corev1.Service:
				state += fmt.Sprint(o.Spec.Selector, o.Spec.Ports)
			case *corev1.ConfigMap:
				state += fmt.Sprint(o.Data)
			case *unstructured.Unstructured:
				spec, _, _ := unstructured.NestedFieldNoCopy(o.Object, "spec")
				state += fmt.Sprint(spec)
			}
			out[key] = state
		}
	}
	return out
}

// fleetHarness starts a forge emulator holding fleet, and a sluice that
// syncs it and writes back to it.
func fleetHarness(t *testing.T, fleet *reconciler.Fleet) (*harness, *forgeRepo) {
	t.Helper()
	ns := playgroundtest.Namespace(t)
	repo := newForgeRepo(t)
	repo.push("the fleet", fleet.Files())
	var logs logLines
	h := forgeHarness(t, repo, ns, &logs)
	h.settle()
	return h, repo
}

// revertPullRequest returns the revert pull request the Canary's status
// names, and its files.
func (f *forgeRepo) revertPullRequest(number int) (body string, files map[string]string) {
	f.t.Helper()
	pr, _, err := f.user.PullRequests.Get(context.Background(), "shop", "fleet", number)
	if err != nil {
		f.t.Fatal(err)
	}
	list, _, err := f.user.PullRequests.ListFiles(context.Background(), "shop", "fleet", number, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	files = map[string]string{}
	for _, file := range list {
		files[file.GetFilename()] = changedLines(file.GetPatch())
	}
	return pr.GetBody(), files
}

// changedLines keeps the added and removed lines of a patch.
func changedLines(patch string) string {
	var out []string
	for _, line := range strings.Split(patch, "\n") {
		if strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func failed(st v1alpha1.CanaryStatus) bool { return st.Phase == v1alpha1.PhaseFailed }

// Case (a) and (d) of the revert-scope issue: with frontend and a newly
// added search next to detail in the root kustomization, detail's failed
// image change gets a revert pull request that changes one line, and
// merging it leaves frontend's and search's objects, routes and primaries
// as they were.
func TestARevertPullRequestChangesOnlyTheFailedAppAndMergingItLeavesTheOthersAlone(t *testing.T) {
	g := newGate(t)
	fleet := reconciler.NewFleet(g.url, "detail", "frontend")
	h, repo := fleetHarness(t, fleet)

	fleet.App("detail").Tag = "2.0"
	repo.mergePR("detail 2.0", fleet.Files())
	h.rollUntilAll("detail 2.0 promoted", []string{"detail"}, func(st map[string]v1alpha1.CanaryStatus) bool {
		return st["detail"].Phase == v1alpha1.PhaseSucceeded
	})
	// Another team adds search: new files and two lines in the root.
	fleet.Add("search")
	repo.mergePR("add search", fleet.Files())
	h.settle()

	g.fail("detail", true)
	fleet.App("detail").Tag = "3.0"
	repo.mergePR("detail 3.0", fleet.Files())
	st := h.rollUntilAll("a revert pull request", []string{"detail"}, func(st map[string]v1alpha1.CanaryStatus) bool {
		return st["detail"].RevertPullRequest != 0
	})["detail"]
	body, files := repo.revertPullRequest(st.RevertPullRequest)
	t.Logf("revert pull request #%d:\n%s\nfiles: %v", st.RevertPullRequest, body, files)
	want := map[string]string{"kustomization.yaml": "-  newTag: \"3.0\"\n+  newTag: \"2.0\""}
	if !maps.Equal(want, files) {
		t.Errorf("the revert changes %q, want only detail's tag line back to 2.0: %q", files, want)
	}
	if !strings.Contains(body, "renders revision `"+st.LastPromotedRevision[:7]+"`, the one `detail-primary."+h.ns+"` runs") {
		t.Errorf("the body does not say the revert was rendered and restores detail:\n%s", body)
	}

	// (d) The user merges it: nothing rolls out, and the other apps'
	// objects are the very ones they were.
	before := h.snapshot("frontend", "search")
	g.fail("detail", false)
	revertMerge := repo.merge(st.RevertPullRequest)
	h.settle()
	h.mustSync()
	after := h.snapshot("frontend", "search")
	if !maps.Equal(before, after) {
		t.Errorf("merging detail's revert touched other apps:\nbefore %v\nafter  %v", before, after)
	}
	for key, state := range after {
		if state == "absent" {
			t.Errorf("%s is missing after the merged revert", key)
		}
	}
	detail := h.canaryOf("detail").Status
	if detail.LastAppliedCommit != revertMerge || detail.LastAppliedRevision != detail.LastPromotedRevision || detail.Phase == v1alpha1.PhaseProgressing {
		t.Errorf("detail after its merged revert: %+v, want the primary's revision applied from %s and no rollout", detail, revertMerge)
	}
	if got := repo.statuses(h.ns, revertMerge); len(got) != 1 || !strings.HasPrefix(got[0], "success: primary already runs this revision") {
		t.Errorf("statuses of the revert's merge commit = %q", got)
	}
}

// Case (b) and (c): one commit moves detail's tag, frontend's mode and
// the shared component's log level. frontend is promoted, detail fails.
// The revert reverts detail's tag alone, lists the shared log level with
// frontend under Not reverted, and says merging it starts an analysis.
func TestARevertOfACommitThatChangedOtherAppsAndASharedBaseRevertsOnlyTheFailedAppsLines(t *testing.T) {
	g := newGate(t)
	fleet := reconciler.NewFleet(g.url, "detail", "frontend")
	h, repo := fleetHarness(t, fleet)

	g.fail("detail", true)
	fleet.App("detail").Tag = "2.0"
	fleet.App("frontend").Mode = "b"
	fleet.LogLevel = "debug"
	repo.mergePR("release train", fleet.Files())
	statuses := h.rollUntilAll("frontend promoted and detail's revert", []string{"detail", "frontend"}, func(st map[string]v1alpha1.CanaryStatus) bool {
		return st["frontend"].Phase == v1alpha1.PhaseSucceeded && st["detail"].RevertPullRequest != 0
	})
	body, files := repo.revertPullRequest(statuses["detail"].RevertPullRequest)
	t.Logf("revert pull request:\n%s\nfiles: %v", body, files)
	want := map[string]string{"kustomization.yaml": "-  newTag: \"2.0\"\n+  newTag: \"1.0\""}
	if !maps.Equal(want, files) {
		t.Errorf("the revert changes %q, want only detail's tag line: %q", files, want)
	}
	for _, part := range []string{
		"**Not reverted:**",
		"- `common/kustomization.yaml line 11`: also changes Deployment.apps frontend." + h.ns + " (canary frontend." + h.ns + ")",
		"**not** `" + statuses["detail"].LastPromotedRevision[:7] + "`",
		"merging it starts a canary analysis of that revision",
	} {
		if !strings.Contains(body, part) {
			t.Errorf("the body lacks %q:\n%s", part, body)
		}
	}

	// Merged, detail's revision is its good tag with the new log level: a
	// new analysis, which passes now; frontend is left as it is.
	before := h.snapshot("frontend")
	g.fail("detail", false)
	repo.merge(statuses["detail"].RevertPullRequest)
	h.rollUntilAll("detail promoted", []string{"detail"}, func(st map[string]v1alpha1.CanaryStatus) bool {
		return st["detail"].Phase == v1alpha1.PhaseSucceeded
	})
	if after := h.snapshot("frontend"); !maps.Equal(before, after) {
		t.Errorf("detail's revert touched frontend:\nbefore %v\nafter  %v", before, after)
	}
	primary := h.deployment("detail-primary").Spec.Template.Spec.Containers[0]
	if !strings.HasSuffix(primary.Image, ":1.0") || !slices.ContainsFunc(primary.Env, func(e corev1.EnvVar) bool { return e.Name == "LOG_LEVEL" && e.Value == "debug" }) {
		t.Errorf("detail-primary runs %s with %v, want 1.0 with LOG_LEVEL debug", primary.Image, primary.Env)
	}
}

// Case (e): an app removed from Git takes everything sluice made for it
// along, its route included; one whose Canary alone leaves hands the
// traffic over to its Deployment first.
func TestACanaryThatLeavesGitLeavesNothingBehind(t *testing.T) {
	g := newGate(t)
	fleet := reconciler.NewFleet(g.url, "detail", "frontend", "search")
	h, repo := fleetHarness(t, fleet)
	for _, app := range []string{"frontend", "search"} {
		for key, state := range h.snapshot(app) {
			if state == "absent" {
				t.Fatalf("%s of %s was never made", key, app)
			}
		}
	}

	// search leaves Git: its files and its lines in the root.
	fleet.Apps = slices.DeleteFunc(fleet.Apps, func(a *reconciler.FleetApp) bool { return a.Name == "search" })
	_, err := repo.srv.Commit(context.Background(), forgeemu.Change{Branch: "main", Message: "remove search", Write: fleet.Files(),
		Delete: []string{"search/kustomization.yaml", "search/deployment.yaml", "search/config.yaml", "search/canary.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	h.mustSync()
	for key, state := range h.snapshot("search") {
		if state != "absent" {
			t.Errorf("%s of search is left behind", key)
		}
	}

	// frontend's Canary leaves, frontend stays: at no sync is frontend
	// without a ready Deployment behind it.
	fleet.App("frontend").NoCanary = true
	repo.push("frontend without a canary", fleet.Files())
	deadline := time.Now().Add(time.Minute)
	for {
		res := h.mustSync()
		primaryReady := h.a.DeploymentReady(context.Background(), client.ObjectKey{Namespace: h.ns, Name: "frontend-primary"}) == nil
		targetReady := h.a.DeploymentReady(context.Background(), client.ObjectKey{Namespace: h.ns, Name: "frontend"}) == nil &&
			*h.deployment("frontend").Spec.Replicas == 2
		if !primaryReady && !targetReady {
			t.Fatal("frontend has neither a ready primary nor a ready Deployment of its own")
		}
		if !res.Settling {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hand-over did not finish within a minute")
		}
		time.Sleep(200 * time.Millisecond)
	}
	left := h.snapshot("frontend")
	for _, key := range []string{"*v1.Deployment/frontend-primary", "*v1.Service/frontend", "*v1.Service/frontend-primary", "*v1.Service/frontend-canary",
		"*v1.HTTPRoute/frontend", "*v1alpha1.Canary/frontend", "*v1.ConfigMap/frontend-config-primary"} {
		if left[key] != "absent" {
			t.Errorf("%s is left behind after the hand-over", key)
		}
	}
	if left["*v1.Deployment/frontend"] == "absent" || left["*v1.ConfigMap/frontend-config"] == "absent" {
		t.Errorf("frontend's own Deployment or config went with its Canary: %v", left)
	}
	if d := h.deployment("frontend"); *d.Spec.Replicas != 2 {
		t.Errorf("frontend runs %d replicas after the hand-over, want Git's 2", *d.Spec.Replicas)
	}
}
