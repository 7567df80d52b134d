package manifests

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestRenderMatchesGoldenFiles(t *testing.T) {
	tests := []struct {
		name   string
		repo   string
		path   string
		opts   Options
		golden string
	}{
		{
			name:   "the seed app: a Deployment, its Service, a mounted ConfigMap and a Canary",
			repo:   "seed",
			path:   ".",
			golden: "seed.yaml",
		},
		{
			name:   "a directory without kustomization renders its YAML files, recursively",
			repo:   "plain",
			path:   ".",
			opts:   Options{DefaultNamespace: "flagger"},
			golden: "plain.yaml",
		},
		{
			name:   "an overlay of two bases with a component, generators and patches",
			repo:   "overlays",
			path:   "clusters/prod",
			golden: "overlays-prod.yaml",
		},
		{
			name:   "another overlay of one of the bases",
			repo:   "overlays",
			path:   "clusters/staging",
			golden: "overlays-staging.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rendering, err := Render(filepath.Join("testdata", "repos", tt.repo), tt.path, tt.opts)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			checkGolden(t, tt.golden, summarize(t, rendering))
		})
	}
}

// summary is the golden form of a Rendering: everything but the decoded
// Canaries (their defaults belong to api/v1alpha1) and the decoded
// Deployments (the same as among the objects).
type summary struct {
	Objects       []map[string]any `json:"objects"`
	CanaryObjects []map[string]any `json:"canaryObjects"`
	Targets       []targetSummary  `json:"targets"`
}

type targetSummary struct {
	Canary      string       `json:"canary"`
	Deployment  string       `json:"deployment"`
	Revision    string       `json:"revision"`
	Configs     []configLine `json:"configs"`
	SourceFiles []string     `json:"sourceFiles"`
}

// configLine is a ConfigRef on one line: "ConfigMap detail-config in render sha256:…".
type configLine string

func summarize(t *testing.T, r *Rendering) []byte {
	t.Helper()
	var s summary
	for _, obj := range r.Objects {
		s.Objects = append(s.Objects, obj.Object)
	}
	for _, obj := range r.CanaryObjects {
		s.CanaryObjects = append(s.CanaryObjects, obj.Object)
	}
	for _, target := range r.Targets {
		summary := targetSummary{
			Canary:      target.Canary.String(),
			Deployment:  target.Deployment.Namespace + "/" + target.Deployment.Name,
			Revision:    target.Revision,
			SourceFiles: target.SourceFiles,
		}
		for _, config := range target.Configs {
			line := config.Kind + " " + config.Name
			if config.InRender {
				line += " in render, data " + config.DataHash
			} else {
				line += " not in render"
			}
			summary.Configs = append(summary.Configs, configLine(line))
		}
		s.Targets = append(s.Targets, summary)
	}
	data, err := yaml.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkGolden compares got with testdata/golden/name, or rewrites the file
// with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestRenderNeverReturnsSecretValues(t *testing.T) {
	rendering, err := Render(filepath.Join("testdata", "repos", "overlays"), "clusters/prod", Options{})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	for _, target := range rendering.Targets {
		target.Deployment = nil // rendered from Git, holds no Secret data
		if len(target.ConfigObjects) == 0 {
			t.Errorf("target %s has no ConfigObjects: the test no longer shows they are not serialized", target.Canary)
		}
		data, err := yaml.Marshal(target)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"s3cr3t-never-shown", "czNjcjN0LW5ldmVyLXNob3du"} {
			if strings.Contains(string(data), secret) {
				t.Errorf("target %s holds the secret value %q:\n%s", target.Canary, secret, data)
			}
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	var first []byte
	for range 5 {
		rendering, err := Render(filepath.Join("testdata", "repos", "overlays"), "clusters/prod", Options{})
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		got := summarize(t, rendering)
		if first == nil {
			first = got
			continue
		}
		if diff := cmp.Diff(string(first), string(got)); diff != "" {
			t.Fatalf("a second rendering differs (-first +again):\n%s", diff)
		}
	}
}

func TestRenderFromSeveralGoroutines(t *testing.T) {
	repos := []struct{ repo, path string }{{"seed", "."}, {"overlays", "clusters/prod"}, {"plain", "."}, {"overlays", "clusters/staging"}}
	want := make([][]byte, len(repos))
	for i, r := range repos {
		rendering, err := Render(filepath.Join("testdata", "repos", r.repo), r.path, Options{})
		if err != nil {
			t.Fatalf("Render %s: %v", r.repo, err)
		}
		want[i] = summarize(t, rendering)
	}
	renderings := make([]*Rendering, len(repos))
	errs := make([]error, len(repos))
	var wg sync.WaitGroup
	for i, r := range repos {
		wg.Go(func() {
			renderings[i], errs[i] = Render(filepath.Join("testdata", "repos", r.repo), r.path, Options{})
		})
	}
	wg.Wait()
	for i := range repos {
		if errs[i] != nil {
			t.Fatalf("Render %s: %v", repos[i].repo, errs[i])
		}
		if diff := cmp.Diff(string(want[i]), string(summarize(t, renderings[i]))); diff != "" {
			t.Errorf("%s rendered concurrently differs (-alone +concurrently):\n%s", repos[i].repo, diff)
		}
	}
}
