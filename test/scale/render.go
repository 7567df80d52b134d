package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
)

// kustomizeVersion is the kustomize CLI of the kustomize api in go.mod, as
// in manifests' BenchmarkKustomizeCLIOncePerApp.
const kustomizeVersion = "v5.8.2"

// renderRows measures rows 1 and 2: the first rendering of the generated
// checkout of apps apps (and the kustomize CLI once per app), then the
// rendering after a commit that changes one app, fetched into the
// checkout with git.
func renderRows(ctx context.Context, dir string, apps int, want func(int) bool) []result {
	const (
		what1   = "render + plan of %d apps, first time (vs `kustomize build` once per app)"
		target1 = "< 2 s, < 300 MB allocated; ≥ 8× faster than the CLI"
		what2   = "one app of %d changed: from the fetched commit to the rendering (gitsync's changed paths, then the Renderer told them; median of 5)"
		target2 = "< 50 ms"
	)
	w1, w2 := fmt.Sprintf(what1, apps), fmt.Sprintf(what2, apps)
	origin, _, err := newGitRepo(ctx, filepath.Join(dir, "render-origin"), renderFiles(apps, "1.0"))
	if err == nil {
		_, err = runGit(ctx, dir, "clone", "-q", origin.dir, "render-checkout")
	}
	if err != nil {
		return []result{notMeasured(1, w1, target1, err), notMeasured(2, w2, target2, err)}
	}
	checkout := filepath.Join(dir, "render-checkout")
	renderer := manifests.NewRenderer()
	var results []result
	first, err := renderFirst(renderer, checkout, apps)
	if err != nil {
		results = append(results, notMeasured(1, w1, target1, err))
	} else if want(1) {
		results = append(results, first.result(ctx, w1, target1, checkout, apps))
	}
	if want(2) {
		if err != nil {
			results = append(results, notMeasured(2, w2, target2, fmt.Errorf("the first rendering failed: %w", err)))
		} else {
			results = append(results, renderChanged(ctx, renderer, origin, filepath.Join(dir, "render-sync"), apps, w2, target2))
		}
	}
	return results
}

// firstRendering is what row 1 measured in-process.
type firstRendering struct {
	took      time.Duration
	allocated uint64
}

func renderFirst(renderer *manifests.Renderer, checkout string, apps int) (firstRendering, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	rendering, err := renderer.Render(checkout, ".", manifests.Options{})
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		return firstRendering{}, err
	}
	if len(rendering.Targets) != apps {
		return firstRendering{}, fmt.Errorf("rendered %d Canary targets, want %d", len(rendering.Targets), apps)
	}
	return firstRendering{took: took, allocated: after.TotalAlloc - before.TotalAlloc}, nil
}

// result compares the rendering with the kustomize CLI run once per app.
func (f firstRendering) result(ctx context.Context, what, target, checkout string, apps int) result {
	const maxTime, maxBytes, minSpeedup = 2 * time.Second, 300_000_000, 8
	measured := fmt.Sprintf("%s, %.0f MB allocated", ms(f.took), float64(f.allocated)/1e6)
	ok := f.took < maxTime && f.allocated < maxBytes
	cli, err := kustomizeOncePerApp(ctx, checkout, apps)
	if err != nil {
		measured += "; CLI not measured: " + err.Error()
		ok = false
	} else {
		speedup := float64(cli) / float64(f.took)
		measured += fmt.Sprintf("; `kustomize build` ×%d: %s (%.1f× slower)", apps, cli.Round(100*time.Millisecond), speedup)
		ok = ok && speedup >= minSpeedup
	}
	return result{Row: 1, What: what, Target: target, Measured: measured, Met: metText(ok)}
}

// kustomizeOncePerApp times `kustomize build` of every app directory, one
// after the other.
func kustomizeOncePerApp(ctx context.Context, checkout string, apps int) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	kustomize, err := kustomizeCLI(ctx)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	for i := range apps {
		dir := filepath.Join(checkout, "apps", appName(i))
		if out, err := exec.CommandContext(ctx, kustomize, "build", dir).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("kustomize build %s: %w\n%s", dir, err, out)
		}
	}
	return time.Since(start), nil
}

// kustomizeCLI returns the kustomize CLI cached in
// $HOME/.cache/sluice/kustomize-<version>, building it there first when it
// is missing (as manifests' benchmark does).
func kustomizeCLI(ctx context.Context) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kustomize CLI: %w", err)
	}
	dir := filepath.Join(home, ".cache", "sluice", "kustomize-"+kustomizeVersion)
	kustomize := filepath.Join(dir, "kustomize")
	if _, err := os.Stat(kustomize); err == nil {
		return kustomize, nil
	}
	cmd := exec.CommandContext(ctx, "go", "install", "sigs.k8s.io/kustomize/kustomize/v5@"+kustomizeVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the kustomize CLI %s: %w\n%s", kustomizeVersion, err, out)
	}
	return kustomize, nil
}

// renderChanged follows origin with gitsync into work, as sluice's sync
// does, renders its head once with the warm renderer, then commits five
// changes of one app's image tag; after each it polls (fetching the new
// commit) and times what a sync does from the fetched commit to the
// rendering: list the paths the commit changed, and render the new
// checkout told them.
func renderChanged(ctx context.Context, renderer *manifests.Renderer, origin *gitRepo, work string, apps int, what, target string) result {
	const runs, maxTime = 5, 50 * time.Millisecond
	source, err := gitsync.New(gitsync.Options{URL: origin.url(), Branch: "main", Dir: work})
	if err != nil {
		return notMeasured(2, what, target, err)
	}
	last, _, err := source.Poll(ctx)
	if err == nil {
		_, err = renderer.Render(last.Dir, ".", manifests.Options{})
	}
	if err != nil {
		return notMeasured(2, what, target, err)
	}
	changed := appName(apps / 2)
	var took []time.Duration
	for i := range runs {
		tag := fmt.Sprintf("1.%d", i+1)
		file := "apps/" + changed + "/deployment.yaml"
		if _, err := origin.commit(ctx, changed+" "+tag, map[string]string{file: renderDeploymentYAML(changed, tag)}); err != nil {
			return notMeasured(2, what, target, err)
		}
		co, _, err := source.Poll(ctx)
		if err != nil {
			return notMeasured(2, what, target, err)
		}
		start := time.Now()
		paths, err := source.ChangedPaths(last, co)
		if err != nil {
			return notMeasured(2, what, target, err)
		}
		rendering, err := renderer.RenderChanges(co.Dir, ".", manifests.Options{}, &manifests.Changes{Since: last.Dir, Paths: paths})
		took = append(took, time.Since(start))
		if err != nil {
			return notMeasured(2, what, target, err)
		}
		if !renderedTag(rendering, changed, tag) {
			return notMeasured(2, what, target, fmt.Errorf("the rendering of the pulled commit does not have %s at %s", changed, tag))
		}
		last = co
	}
	m := median(took)
	var all []string
	for _, d := range took {
		all = append(all, ms(d))
	}
	return result{Row: 2, What: what, Target: target,
		Measured: fmt.Sprintf("%s (runs: %s)", ms(m), strings.Join(all, ", ")), Met: metText(m < maxTime)}
}

// renderedTag reports whether the rendering holds Deployment name with
// an image of tag.
func renderedTag(rendering *manifests.Rendering, name, tag string) bool {
	for _, obj := range rendering.Objects {
		if obj.GetKind() != "Deployment" || obj.GetName() != name {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
		for _, c := range containers {
			if image, _ := c.(map[string]any)["image"].(string); strings.HasSuffix(image, ":"+tag) {
				return true
			}
		}
	}
	return false
}
