package reconciler

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

const fleetNamespace = "shop"

// fleetOrigin is a real repository on disk that a Fleet is committed to.
type fleetOrigin struct {
	t   testing.TB
	dir string
}

func newFleetOrigin(t testing.TB) *fleetOrigin {
	t.Helper()
	o := &fleetOrigin{t: t, dir: t.TempDir()}
	o.git("init", "-q", "-b", "main")
	return o
}

func (o *fleetOrigin) git(args ...string) string {
	o.t.Helper()
	return gitIn(o.t, o.dir, args...)
}

func gitIn(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes the fleet's files and commits them.
func (o *fleetOrigin) commit(f *Fleet, msg string) string {
	o.t.Helper()
	for name, content := range f.Files() {
		path := filepath.Join(o.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			o.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			o.t.Fatal(err)
		}
	}
	o.git("add", "-A")
	o.git("commit", "-q", "--allow-empty", "-m", msg)
	return o.git("rev-parse", "HEAD")
}

// fleetRender renders a checkout of a fleet.
func fleetRender(dir string) (*manifests.Rendering, error) {
	return manifests.Render(dir, ".", manifests.Options{DefaultNamespace: fleetNamespace})
}

// renderCommit checks a commit of the origin out and renders it.
func (o *fleetOrigin) renderCommit(ref string) *manifests.Rendering {
	o.t.Helper()
	dir := o.t.TempDir()
	gitIn(o.t, dir, "clone", "-q", "file://"+o.dir, ".")
	gitIn(o.t, dir, "checkout", "-q", ref)
	rendering, err := fleetRender(dir)
	if err != nil {
		o.t.Fatalf("render %s: %v", ref, err)
	}
	return rendering
}

// revertOutcome is what sluice would do about the failure of bad.
type revertOutcome struct {
	plan     revertPlan
	decision planner.RevertPullRequestDecision
	pushed   gitsync.RevertResult
}

// revertOf chooses, proves and (when decided) pushes the revert of the
// failure of app's canary at bad, with good its last promoted commit, on
// the head of main, as openRevert does.
func (o *fleetOrigin) revertOf(app, good, bad string) revertOutcome {
	o.t.Helper()
	ctx := context.Background()
	repo, err := gitsync.New(gitsync.Options{URL: "file://" + o.dir, Branch: "main", Dir: o.t.TempDir()})
	if err != nil {
		o.t.Fatal(err)
	}
	canary := types.NamespacedName{Namespace: fleetNamespace, Name: app}
	head := o.renderCommit("main")
	target, ok := head.Target(canary)
	if !ok {
		o.t.Fatalf("the head has no canary %s", canary)
	}
	goodTarget, _ := o.renderCommit(good).Target(canary)
	branch := "sluice/revert-" + app + "-" + bad[:7]
	draft, err := repo.PrepareRevert(ctx, gitsync.RevertRequest{Good: good, Bad: bad, Paths: target.SourceFiles, Branch: branch})
	if err != nil {
		o.t.Fatal(err)
	}
	defer draft.Close()
	plan, err := chooseRevert(draft, fleetRender, canary, goodTarget.Revision)
	if err != nil {
		o.t.Fatal(err)
	}
	out := revertOutcome{plan: plan, decision: planner.DecideRevertPullRequest(bad, plan.proof)}
	if out.decision.Open {
		if out.pushed, err = draft.Push(ctx, plan.choice); err != nil {
			o.t.Fatal(err)
		}
	}
	return out
}

// diff is the lines a commit changes from its parent, as git shows them.
func (o *fleetOrigin) diff(commit string) []string {
	o.t.Helper()
	var lines []string
	for _, line := range strings.Split(o.git("diff", "-U0", commit+"^", commit), "\n") {
		switch {
		case strings.HasPrefix(line, "+++ "), strings.HasPrefix(line, "--- "):
			lines = append(lines, line)
		case strings.HasPrefix(line, "+"), strings.HasPrefix(line, "-"):
			lines = append(lines, line)
		}
	}
	return lines
}

// checkProof renders the pushed revert branch, independently of sluice's
// choice, and checks what the proof claims: every object outside app's
// scope renders as on the head, and the app's revision is good's when the
// decision says it Restores.
func (o *fleetOrigin) checkProof(app, goodRevision string, out revertOutcome) {
	o.t.Helper()
	canary := types.NamespacedName{Namespace: fleetNamespace, Name: app}
	head := o.renderCommit("main")
	branch := o.renderCommit(out.pushed.Commit)
	scope := head.Scope(canary)
	for key := range branch.Scope(canary) {
		scope[key] = true
	}
	for _, key := range manifests.Differences(head, branch) {
		if !scope[key] {
			o.t.Errorf("the revert of %s changes %s, which is not %s's", app, key, app)
		}
	}
	target, _ := branch.Target(canary)
	if out.decision.Restores != (target.Revision == goodRevision) {
		t := o.t
		t.Errorf("the decision says restores=%v, but %s renders revision %.7s on the branch and %.7s is good", out.decision.Restores, app, target.Revision, goodRevision)
	}
}

func TestTheRevertOfOneAppsTagChangesOnlyThatLineOfTheSharedKustomization(t *testing.T) {
	o := newFleetOrigin(t)
	fleet := NewFleet("http://127.0.0.1:9/", "detail", "frontend")
	o.commit(fleet, "detail and frontend 1.0")
	fleet.App("detail").Tag = "2.0"
	good := o.commit(fleet, "detail 2.0")
	// Another team adds an app: two new files, lines in the root.
	fleet.Add("search")
	o.commit(fleet, "add search")
	fleet.App("detail").Tag = "3.0"
	bad := o.commit(fleet, "detail 3.0")

	out := o.revertOf("detail", good, bad)
	if !out.decision.Open || !out.decision.Restores {
		t.Fatalf("decision %+v (proof %+v), want a revert that restores detail", out.decision, out.plan.proof)
	}
	want := []string{"--- a/kustomization.yaml", "+++ b/kustomization.yaml", `-  newTag: "3.0"`, `+  newTag: "2.0"`}
	if diff := cmp.Diff(want, o.diff(out.pushed.Commit)); diff != "" {
		t.Errorf("the revert's diff (-want +got):\n%s", diff)
	}
	if len(out.plan.proof.Left) != 0 {
		t.Errorf("left out %+v, want nothing: the lines that add search are not detail's change", out.plan.proof.Left)
	}
}

func TestTheRevertOfACommitThatChangedTwoAppsRevertsOnlyTheFailedOne(t *testing.T) {
	o := newFleetOrigin(t)
	fleet := NewFleet("http://127.0.0.1:9/", "detail", "frontend")
	good := o.commit(fleet, "detail and frontend 1.0")
	// One commit: detail's tag and mode, frontend's tag and config, and
	// a new app.
	fleet.App("detail").Tag = "2.0"
	fleet.App("detail").Mode = "b"
	fleet.App("frontend").Tag = "2.0"
	fleet.App("frontend").Greeting = "hi"
	fleet.Add("search")
	bad := o.commit(fleet, "release train")

	out := o.revertOf("detail", good, bad)
	if !out.decision.Open || !out.decision.Restores {
		t.Fatalf("decision %+v (proof %+v), want a revert that restores detail", out.decision, out.plan.proof)
	}
	want := []string{
		"--- a/detail/deployment.yaml", "+++ b/detail/deployment.yaml", `-          value: "b"`, `+          value: "a"`,
		"--- a/kustomization.yaml", "+++ b/kustomization.yaml", `-  newTag: "2.0"`, `+  newTag: "1.0"`,
	}
	if diff := cmp.Diff(want, o.diff(out.pushed.Commit)); diff != "" {
		t.Errorf("the revert's diff (-want +got):\n%s", diff)
	}
	// The tag line it reverts is detail's, not frontend's.
	root := gitIn(t, o.dir, "show", out.pushed.Commit+":kustomization.yaml")
	if !strings.Contains(root, "- name: example.com/frontend\n  newTag: \"2.0\"") || !strings.Contains(root, "- name: example.com/detail\n  newTag: \"1.0\"") {
		t.Errorf("root kustomization on the revert:\n%s\nwant detail at 1.0 and frontend still at 2.0", root)
	}
	o.checkProof("detail", o.renderTarget(good, "detail").Revision, out)
}

func TestASharedBaseChangeIsNotRevertedAndIsListedWithTheAppsItChanges(t *testing.T) {
	o := newFleetOrigin(t)
	fleet := NewFleet("http://127.0.0.1:9/", "detail", "frontend")
	good := o.commit(fleet, "detail and frontend 1.0")
	fleet.LogLevel = "debug"
	fleet.App("detail").Mode = "b"
	bad := o.commit(fleet, "debug logs, detail mode b")

	out := o.revertOf("detail", good, bad)
	if !out.decision.Open || out.decision.Restores {
		t.Fatalf("decision %+v, want a revert that does not restore detail (the shared change stays)", out.decision)
	}
	want := []string{"--- a/detail/deployment.yaml", "+++ b/detail/deployment.yaml", `-          value: "b"`, `+          value: "a"`}
	if diff := cmp.Diff(want, o.diff(out.pushed.Commit)); diff != "" {
		t.Errorf("the revert's diff (-want +got):\n%s", diff)
	}
	wantLeft := []planner.LeftHunk{{
		Path: "common/kustomization.yaml", Where: "common/kustomization.yaml line 11",
		Why: "also changes Deployment.apps frontend.shop (canary frontend.shop)",
	}}
	if diff := cmp.Diff(wantLeft, out.plan.proof.Left); diff != "" {
		t.Errorf("left out (-want +got):\n%s", diff)
	}
	o.checkProof("detail", o.renderTarget(good, "detail").Revision, out)

	// With the shared change alone, nothing is reverted and the reason
	// says what else it would change.
	fleet.App("detail").Mode = "a"
	good = o.commit(fleet, "detail mode a")
	fleet.LogLevel = "trace"
	bad = o.commit(fleet, "trace logs")
	out = o.revertOf("detail", good, bad)
	if out.decision.Open || out.decision.Reason != planner.RevertShared || !strings.Contains(out.decision.Message, "frontend.shop") {
		t.Errorf("decision %+v, want no pull request, reason Shared, naming frontend", out.decision)
	}
}

func TestARevertThatNeedsTwoHunksTogetherTakesBoth(t *testing.T) {
	o := newFleetOrigin(t)
	fleet := NewFleet("http://127.0.0.1:9/", "detail", "frontend")
	good := o.commit(fleet, "detail and frontend 1.0")
	// The failed commit renames detail's ConfigMap in two files: either
	// hunk alone leaves detail reading a ConfigMap that does not exist.
	files := fleet.Files()
	files["detail/config.yaml"] = strings.Replace(files["detail/config.yaml"], "name: detail-config", "name: detail-settings", 1)
	files["detail/deployment.yaml"] = strings.Replace(files["detail/deployment.yaml"], "name: detail-config", "name: detail-settings", 1)
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(o.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o.git("commit", "-q", "-am", "rename detail's config")
	bad := o.git("rev-parse", "HEAD")

	out := o.revertOf("detail", good, bad)
	if !out.decision.Open || !out.decision.Restores {
		t.Fatalf("decision %+v (proof %+v), want a revert that restores detail", out.decision, out.plan.proof)
	}
	if diff := cmp.Diff([]string{"detail/config.yaml", "detail/deployment.yaml"}, out.pushed.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// renderTarget renders app's target at a commit.
func (o *fleetOrigin) renderTarget(ref, app string) manifests.Target {
	o.t.Helper()
	target, ok := o.renderCommit(ref).Target(types.NamespacedName{Namespace: fleetNamespace, Name: app})
	if !ok {
		o.t.Fatalf("%s has no canary %s", ref, app)
	}
	return target
}

var revertCases = flag.Int("revert-cases", 8, "random commit sequences TestEveryRevertRendersToTheGoodRevisionAndLeavesTheRestAsTheHead tries")

// fleetChange is one random change to a fleet: what it touches.
type fleetChange struct {
	name string
	// app is the app it changes alone; empty for a change of every app
	// (shared) or of none.
	app    string
	shared bool
	apply  func(*Fleet)
}

// randomChange picks a change of the fleet.
func randomChange(rng *rand.Rand, f *Fleet, serial int) fleetChange {
	app := f.Apps[rng.IntN(len(f.Apps))]
	name := app.Name
	v := fmt.Sprint(serial)
	changes := []fleetChange{
		{name: "tag of " + name, app: name, apply: func(f *Fleet) { f.App(name).Tag = v + ".0" }},
		{name: "mode of " + name, app: name, apply: func(f *Fleet) { f.App(name).Mode = v }},
		{name: "config of " + name, app: name, apply: func(f *Fleet) { f.App(name).Greeting = "hi" + v }},
		{name: "retry of " + name, app: name, apply: func(f *Fleet) { f.App(name).Retry = serial }},
		{name: "replicas of " + name, app: name, apply: func(f *Fleet) { f.App(name).Replicas = 1 + serial%5 }},
		{name: "note of " + name, app: name, apply: func(f *Fleet) { f.App(name).Note = serial }},
		{name: "log level", shared: true, apply: func(f *Fleet) { f.LogLevel = "level" + v }},
		{name: "shared config", shared: true, apply: func(f *Fleet) { f.Shared = "color" + v }},
		{name: "root note", apply: func(f *Fleet) { f.RootNote = serial }},
		{name: "new app", apply: func(f *Fleet) { f.Add("app" + v) }},
	}
	return changes[rng.IntN(len(changes))]
}

// TestEveryRevertRendersToTheGoodRevisionAndLeavesTheRestAsTheHead is the
// property behind revert pull requests: for random commit sequences over
// a fleet (good, then changes up to a failed commit, then more changes up
// to the head), every revert sluice opens renders every object but the
// failed app's as the head does, and the failed app at the good revision
// whenever it says so. And it is complete: when no shared change came
// since good and nothing changed the failed app since the failure, the
// revert restores it.
func TestEveryRevertRendersToTheGoodRevisionAndLeavesTheRestAsTheHead(t *testing.T) {
	seed := uint64(20261206)
	for n := range *revertCases {
		rng := rand.New(rand.NewPCG(seed, uint64(n)))
		t.Run(fmt.Sprint("sequence ", n), func(t *testing.T) {
			o := newFleetOrigin(t)
			fleet := NewFleet("http://127.0.0.1:9/", "detail", "frontend", "cart")
			good := o.commit(fleet, "good")
			failed := fleet.Apps[rng.IntN(len(fleet.Apps))].Name
			serial, shared, since := 0, false, false
			var story []string
			commitChanges := func(count int, label string, mustTouchFailed bool) string {
				for range count {
					serial++
					change := randomChange(rng, fleet, serial)
					if mustTouchFailed {
						change = fleetChange{name: "mode of " + failed, app: failed, apply: func(f *Fleet) { f.App(failed).Mode = fmt.Sprint("m", serial) }}
						mustTouchFailed = false
					}
					change.apply(fleet)
					shared = shared || change.shared
					since = since || label == "after" && change.app == failed
					story = append(story, label+": "+change.name)
				}
				return o.commit(fleet, label)
			}
			bad := commitChanges(1+rng.IntN(4), "before", true)
			if rng.IntN(2) == 0 {
				commitChanges(1+rng.IntN(3), "after", false)
			}
			t.Logf("%s fails; %s", failed, strings.Join(story, ", "))
			goodRevision := o.renderTarget(good, failed).Revision

			out := o.revertOf(failed, good, bad)
			if out.decision.Reason == planner.RevertProofFailed {
				t.Fatalf("the revert sluice chose failed its own proof: %s", out.decision.Message)
			}
			if !shared && !since && !out.decision.Restores {
				t.Errorf("no shared change and nothing changed %s since the failure, yet the revert does not restore it: %+v, proof %+v", failed, out.decision, out.plan.proof)
			}
			if out.decision.Open {
				o.checkProof(failed, goodRevision, out)
			}
		})
	}
}
