package manifests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// manyApps returns the files of a checkout with n small apps, each a
// kustomization with a Deployment, a Service, a mounted ConfigMap and a
// Canary in namespace apps, under a root kustomization that lists them all
// (an aggregator, built part by part: see buildAggregate).
func manyApps(n int) map[string]string {
	files := map[string]string{}
	var root strings.Builder
	root.WriteString("resources:\n")
	for i := range n {
		name := fmt.Sprintf("app-%04d", i)
		dir := "apps/" + name + "/"
		fmt.Fprintf(&root, "  - apps/%s\n", name)
		files[dir+"kustomization.yaml"] = "namespace: apps\nresources: [deployment.yaml, service.yaml, configmap.yaml, canary.yaml]\n"
		files[dir+"deployment.yaml"] = deploymentYAML(name) + `
          volumeMounts: [{name: config, mountPath: /etc/app}]
      volumes: [{name: config, configMap: {name: ` + name + `}}]
`
		files[dir+"service.yaml"] = "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + "}\nspec:\n  selector: {app: " + name + "}\n  ports: [{port: 3000}]\n"
		files[dir+"configmap.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: {size: '20'}\n"
		files[dir+"canary.yaml"] = canaryYAML(name, "Deployment", name)
	}
	files["kustomization.yaml"] = root.String()
	return files
}

func BenchmarkRender1000Apps(b *testing.B) {
	root := writeRepo(b, manyApps(1000), nil)
	b.ReportAllocs()
	for b.Loop() {
		rendering, err := Render(root, ".", Options{})
		if err != nil {
			b.Fatalf("Render: %v", err)
		}
		if len(rendering.Targets) != 1000 {
			b.Fatalf("got %d targets, want 1000", len(rendering.Targets))
		}
	}
}

// BenchmarkRender1000AppsOneChanged measures a Renderer warm on 1,000 apps
// rendering a commit that changes one app's image tag (issue 17: under
// 50 ms from fetched commit to rendering).
func BenchmarkRender1000AppsOneChanged(b *testing.B) { benchmarkOneChanged(b, false) }

// BenchmarkRender1000AppsOneChangedTold is BenchmarkRender1000AppsOneChanged
// with the Renderer told which file changed (RenderChanges), as a sync
// tells it from Git: only the questions about that file are asked again.
func BenchmarkRender1000AppsOneChangedTold(b *testing.B) { benchmarkOneChanged(b, true) }

func benchmarkOneChanged(b *testing.B, told bool) {
	files := manyApps(1000)
	root := writeRepo(b, files, nil)
	renderer := NewRenderer()
	if _, err := renderer.Render(root, ".", Options{}); err != nil {
		b.Fatalf("Render: %v", err)
	}
	const changed = "apps/app-0500/deployment.yaml"
	original := files[changed]
	tagged := strings.Replace(original, "detail:1.0", "detail:1.1", 1)
	if tagged == original {
		b.Fatal("the deployment has no image to change")
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		content := original
		if i%2 == 1 {
			content = tagged
		}
		b.StopTimer()
		writeFile(b, root, changed, content)
		b.StartTimer()
		var changes *Changes
		if told {
			changes = &Changes{Since: root, Paths: []string{changed}}
		}
		rendering, err := renderer.RenderChanges(root, ".", Options{}, changes)
		if err != nil {
			b.Fatalf("Render: %v", err)
		}
		if len(rendering.Targets) != 1000 {
			b.Fatalf("got %d targets, want 1000", len(rendering.Targets))
		}
	}
}

// kustomizeVersion is the kustomize CLI of the kustomize api in go.mod.
const kustomizeVersion = "v5.8.2"

// BenchmarkKustomizeCLIOncePerApp measures the baseline: one
// `kustomize build` per app of 1,000. It builds the CLI once into
// $HOME/.cache/sluice/kustomize-<version> and skips when it cannot.
func BenchmarkKustomizeCLIOncePerApp(b *testing.B) {
	kustomize := kustomizeCLI(b)
	root := writeRepo(b, manyApps(1000), nil)
	dirs, err := filepath.Glob(filepath.Join(root, "apps", "*"))
	if err != nil || len(dirs) != 1000 {
		b.Fatalf("got %d app directories (%v), want 1000", len(dirs), err)
	}
	for b.Loop() {
		for _, dir := range dirs {
			if out, err := exec.Command(kustomize, "build", dir).CombinedOutput(); err != nil {
				b.Fatalf("kustomize build %s: %v\n%s", dir, err, out)
			}
		}
	}
}

// kustomizeCLI returns the path of the kustomize CLI, building it on first
// use; it skips the benchmark when that fails.
func kustomizeCLI(b *testing.B) string {
	home, err := os.UserHomeDir()
	if err != nil {
		b.Skipf("no home directory for the kustomize CLI: %v", err)
	}
	dir := filepath.Join(home, ".cache", "sluice", "kustomize-"+kustomizeVersion)
	kustomize := filepath.Join(dir, "kustomize")
	if _, err := os.Stat(kustomize); err == nil {
		return kustomize
	}
	cmd := exec.Command("go", "install", "sigs.k8s.io/kustomize/kustomize/v5@"+kustomizeVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("cannot build the kustomize CLI %s: %v\n%s", kustomizeVersion, err, out)
	}
	return kustomize
}
