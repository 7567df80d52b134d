package manifests

import (
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fleet is a repository of apps sharing files: a root kustomization that
// lists the apps, and a common base every app uses, with a generated
// ConfigMap and a patch per app.
type fleet struct {
	apps    []string // in the order of the root kustomization
	files   map[string]string
	links   map[string]string // symbolic links: path → target
	version int               // bumped on every change, to make contents differ
}

func newFleet(n int) *fleet {
	f := &fleet{files: map[string]string{
		"base/kustomization.yaml":    "resources: [common.yaml]\n",
		"base/common.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: common}\ndata: {level: '0'}\n",
		"shared/settings.properties": "color=shared\n",
		"shared/other.properties":    "color=other\n",
	}, links: map[string]string{}}
	for range n {
		f.addApp()
	}
	return f
}

// addApp adds an app at the end of the root kustomization.
func (f *fleet) addApp() {
	f.version++
	name := fmt.Sprintf("app-%d", f.version)
	dir := "apps/" + name + "/"
	f.apps = append(f.apps, name)
	f.files[dir+"kustomization.yaml"] = fleetKustomization(name, "deployment.yaml")
	f.files[dir+"deployment.yaml"] = deploymentYAML(name) + `
          envFrom: [{configMapRef: {name: settings}}, {configMapRef: {name: common}}]
`
	f.files[dir+"canary.yaml"] = canaryYAML(name, "Deployment", name)
	f.files[dir+"settings.properties"] = "color=blue\n"
	f.files[dir+"patch.yaml"] = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec: {replicas: 2}\n"
	f.writeRoot()
}

func fleetKustomization(name, deployment string) string {
	return "namespace: " + name + "\n" +
		"resources: [../../base, " + deployment + ", canary.yaml]\n" +
		"configMapGenerator: [{name: settings, envs: [settings.properties]}]\n" +
		"patches: [{path: patch.yaml}]\n"
}

func (f *fleet) writeRoot() {
	var root strings.Builder
	root.WriteString("resources:\n")
	for _, app := range f.apps {
		fmt.Fprintf(&root, "  - apps/%s\n", app)
	}
	f.files["kustomization.yaml"] = root.String()
}

// commit is a change to the fleet, described for failure messages.
type commit struct {
	what  string
	apply func(f *fleet, r *rand.Rand)
}

var fleetCommits = []commit{
	{"change an app's image", func(f *fleet, r *rand.Rand) {
		file := "apps/" + f.pick(r) + "/deployment.yaml"
		if _, ok := f.files[file]; !ok {
			file = strings.Replace(file, "deployment.yaml", "workload.yaml", 1)
		}
		f.files[file] = strings.Replace(f.files[file], "detail:", fmt.Sprintf("detail-%d:", f.version), 1)
	}},
	{"change an app's generated settings", func(f *fleet, r *rand.Rand) {
		file := "apps/" + f.pick(r) + "/settings.properties"
		delete(f.links, file)
		f.files[file] = fmt.Sprintf("color=c%d\n", f.version)
	}},
	{"change an app's patch", func(f *fleet, r *rand.Rand) {
		app := f.pick(r)
		f.files["apps/"+app+"/patch.yaml"] = fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s}\nspec: {replicas: %d}\n", app, f.version%7+1)
	}},
	{"change the shared base", func(f *fleet, _ *rand.Rand) {
		f.files["base/common.yaml"] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: common}\ndata: {level: '%d'}\n", f.version)
	}},
	{"add an app", func(f *fleet, _ *rand.Rand) { f.addApp() }},
	{"remove an app", func(f *fleet, r *rand.Rand) {
		if len(f.apps) < 2 {
			return
		}
		i := r.IntN(len(f.apps))
		for file := range f.files {
			if strings.HasPrefix(file, "apps/"+f.apps[i]+"/") {
				delete(f.files, file)
			}
		}
		for file := range f.links {
			if strings.HasPrefix(file, "apps/"+f.apps[i]+"/") {
				delete(f.links, file)
			}
		}
		f.apps = slices.Delete(f.apps, i, i+1)
		f.writeRoot()
	}},
	{"rename an app's deployment file", func(f *fleet, r *rand.Rand) {
		app := f.pick(r)
		dir := "apps/" + app + "/"
		from, to := "deployment.yaml", "workload.yaml"
		if _, ok := f.files[dir+from]; !ok {
			from, to = to, from
		}
		f.files[dir+to] = f.files[dir+from]
		delete(f.files, dir+from)
		f.files[dir+"kustomization.yaml"] = fleetKustomization(app, to)
	}},
	breakYAML,
	{"refer an app to a missing Deployment", func(f *fleet, r *rand.Rand) {
		f.files["apps/"+f.pick(r)+"/canary.yaml"] = canaryYAML("missing", "Deployment", "missing")
	}},
	{"link an app's settings to a shared file", func(f *fleet, r *rand.Rand) {
		file := "apps/" + f.pick(r) + "/settings.properties"
		delete(f.files, file)
		f.links[file] = "../../shared/settings.properties"
		if r.IntN(2) == 0 {
			f.links[file] = "../../shared/other.properties"
		}
	}},
	{"unlink an app's settings", func(f *fleet, r *rand.Rand) {
		file := "apps/" + f.pick(r) + "/settings.properties"
		if _, linked := f.links[file]; linked {
			delete(f.links, file)
			f.files[file] = "color=own\n"
		}
	}},
	{"change a shared settings file", func(f *fleet, _ *rand.Rand) {
		f.files["shared/settings.properties"] = fmt.Sprintf("color=s%d\n", f.version)
	}},
	{"reorder the root", func(f *fleet, r *rand.Rand) {
		r.Shuffle(len(f.apps), func(i, j int) { f.apps[i], f.apps[j] = f.apps[j], f.apps[i] })
		f.writeRoot()
	}},
}

var breakYAML = commit{"break an app's YAML", func(f *fleet, r *rand.Rand) {
	f.files["apps/"+f.pick(r)+"/canary.yaml"] = "kind: Canary\nmetadata: {name: [unclosed\n"
}}

// pick returns one of the apps.
func (f *fleet) pick(r *rand.Rand) string { return f.apps[r.IntN(len(f.apps))] }

// repair makes every app valid again.
func (f *fleet) repair() {
	for _, app := range f.apps {
		f.files["apps/"+app+"/canary.yaml"] = canaryYAML(app, "Deployment", app)
	}
}

// TestRendererRendersAsRender drives a Renderer through random commits of
// a fleet of apps that share files, some of them invalid, each checked out
// in place or, as gitsync does, in a new directory, and checks after each
// that it renders what a fresh Render does, errors included.
func TestRendererRendersAsRender(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 17))
			f := newFleet(5)
			renderer := NewRenderer()
			// hinted is told what changed, as sluice's sync tells it
			// from Git (RenderChanges).
			hinted := NewRenderer()
			root := writeRepo(t, f.files, f.links)
			var history []string
			invalid := 0
			before := f.snapshot()
			for step := range 30 {
				c := fleetCommits[r.IntN(len(fleetCommits))]
				switch {
				case step == 10:
					c = breakYAML // at least one invalid commit
				case step == 11 || r.IntN(3) == 0:
					c = commit{"repair every app", func(f *fleet, _ *rand.Rand) { f.repair() }}
				}
				f.version++
				c.apply(f, r)
				history = append(history, c.what)
				since := root
				if r.IntN(2) == 0 {
					root = writeRepo(t, f.files, f.links)
				} else {
					rewriteRepo(t, root, f.files, f.links)
				}
				after := f.snapshot()
				changes := &Changes{Since: since, Paths: changedBetween(before, after)}
				before = after
				want, wantErr := Render(root, ".", Options{})
				got, gotErr := renderer.Render(root, ".", Options{})
				if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
					t.Fatalf("after %q: Renderer error %v, Render error %v", history, gotErr, wantErr)
				}
				hintedGot, hintedErr := hinted.RenderChanges(root, ".", Options{}, changes)
				if fmt.Sprint(wantErr) != fmt.Sprint(hintedErr) {
					t.Fatalf("after %q, told %v: Renderer error %v, Render error %v", history, changes.Paths, hintedErr, wantErr)
				}
				if wantErr != nil {
					invalid++
					continue
				}
				if diff := cmp.Diff(string(summarize(t, want)), string(summarize(t, hintedGot))); diff != "" {
					t.Fatalf("step %d, after %q, told %v: Renderer differs from Render (-want +got):\n%s", step, history, changes.Paths, diff)
				}
				if diff := cmp.Diff(want.Canaries, hintedGot.Canaries); diff != "" {
					t.Fatalf("step %d, after %q, told %v: Renderer's Canaries differ (-want +got):\n%s", step, history, changes.Paths, diff)
				}
				if diff := cmp.Diff(string(summarize(t, want)), string(summarize(t, got))); diff != "" {
					t.Fatalf("step %d, after %q: Renderer differs from Render (-want +got):\n%s", step, history, diff)
				}
				if diff := cmp.Diff(want.Canaries, got.Canaries); diff != "" {
					t.Fatalf("step %d, after %q: Renderer's Canaries differ (-want +got):\n%s", step, history, diff)
				}
				if diff := cmp.Diff(want.Notices, got.Notices); diff != "" {
					t.Fatalf("step %d, after %q: Renderer's notices differ (-want +got):\n%s", step, history, diff)
				}
			}
			if invalid == 0 || invalid == 30 {
				t.Errorf("%d commits of 30 were invalid: the test no longer tests both", invalid)
			}
		})
	}
}

// snapshot is what the fleet's checkout holds: each file's content and
// each link's target, by path.
func (f *fleet) snapshot() map[string]string {
	all := map[string]string{}
	for name, content := range f.files {
		all[name] = "file\x00" + content
	}
	for name, target := range f.links {
		all[name] = "link\x00" + target
	}
	return all
}

// changedBetween lists the paths whose content, target or presence
// differs between two snapshots, as a Git diff of two commits does.
func changedBetween(before, after map[string]string) []string {
	var paths []string
	for name, was := range before {
		if now, ok := after[name]; !ok || now != was {
			paths = append(paths, name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			paths = append(paths, name)
		}
	}
	slices.Sort(paths)
	return paths
}

// rewriteRepo makes the checkout at root hold exactly files and links: it
// writes those that changed and removes the others.
func rewriteRepo(t *testing.T, root string, files, links map[string]string) {
	t.Helper()
	present := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		present[filepath.ToSlash(rel)] = true
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range present {
		path := filepath.Join(root, filepath.FromSlash(name))
		target, err := os.Readlink(path)
		_, isFile := files[name]
		if linked := err == nil; linked && links[name] != target || !linked && !isFile {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			delete(present, name)
		}
	}
	for name, content := range files {
		if !present[name] || readFile(t, root, name) != content {
			writeFile(t, root, name, content)
		}
	}
	for name, target := range links {
		if !present[name] {
			if err := os.Symlink(filepath.FromSlash(target), filepath.Join(root, filepath.FromSlash(name))); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestRendererReusesOnlyUnchangedEntries checks that a commit changing
// one app of many rebuilds that app only, and that a rendering reusing
// every entry hands out objects equal to the first (the steps after
// building modify copies, not the kept builds).
func TestRendererReusesOnlyUnchangedEntries(t *testing.T) {
	f := newFleet(4)
	root := writeRepo(t, f.files, nil)
	renderer := NewRenderer()
	first, err := renderer.Render(root, ".", Options{DefaultProvider: "gatewayapi"})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	want := summarize(t, first)
	kept := maps.Clone(renderer.entries)
	again, err := renderer.Render(root, ".", Options{DefaultProvider: "gatewayapi"})
	if err != nil {
		t.Fatalf("Render again: %v", err)
	}
	if diff := cmp.Diff(string(want), string(summarize(t, again))); diff != "" {
		t.Errorf("rendering the same commit again differs (-first +again):\n%s", diff)
	}
	for key, b := range renderer.entries {
		if kept[key] != b {
			t.Errorf("entry %q was built again, though nothing it read changed", key)
		}
	}
	writeFile(t, root, "apps/"+f.apps[2]+"/settings.properties", "color=green\n")
	if _, err := renderer.Render(root, ".", Options{DefaultProvider: "gatewayapi"}); err != nil {
		t.Fatalf("Render after a change: %v", err)
	}
	var rebuilt []string
	for key, b := range renderer.entries {
		if kept[key] != b {
			rebuilt = append(rebuilt, key)
		}
	}
	if diff := cmp.Diff([]string{"dir\x00apps/" + f.apps[2]}, rebuilt); diff != "" {
		t.Errorf("entries built again (-want +got):\n%s", diff)
	}
}

// TestRendererFromSeveralGoroutines renders with one Renderer from several
// goroutines, through Render and RenderWithin, while the checkout
// changes between rounds: each rendering must be a fresh Render's.
func TestRendererFromSeveralGoroutines(t *testing.T) {
	f := newFleet(4)
	root := writeRepo(t, f.files, nil)
	renderer := NewRenderer()
	for round := range 3 {
		writeFile(t, root, "base/common.yaml", fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: common}\ndata: {level: '%d'}\n", round))
		want, err := Render(root, ".", Options{})
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		renderings := make([]*Rendering, 4)
		errs := make([]error, len(renderings))
		var wg sync.WaitGroup
		for i := range renderings {
			wg.Go(func() {
				if i%2 == 0 {
					renderings[i], errs[i] = renderer.Render(root, ".", Options{})
				} else {
					renderings[i], errs[i] = renderer.RenderWithin(time.Minute, root, ".", Options{})
				}
			})
		}
		wg.Wait()
		for i, got := range renderings {
			if errs[i] != nil {
				t.Fatalf("round %d, rendering %d: %v", round, i, errs[i])
			}
			if diff := cmp.Diff(string(summarize(t, want)), string(summarize(t, got))); diff != "" {
				t.Errorf("round %d, rendering %d differs from Render (-want +got):\n%s", round, i, diff)
			}
		}
	}
}
