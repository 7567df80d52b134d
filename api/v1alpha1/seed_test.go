package v1alpha1

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestSeedCanary checks the Canary of DESIGN.md end to end: it decodes
// strictly (no unknown field), defaults to testdata/seed-canary.defaulted.yaml,
// validates clean and rolls out in the weights of the seed story.
func TestSeedCanary(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "seed-canary.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var canary Canary
	if err := yaml.UnmarshalStrict(data, &canary); err != nil {
		t.Fatalf("UnmarshalStrict(seed-canary.yaml): %v", err)
	}
	if got, want := canary.GroupVersionKind(), GroupVersion.WithKind("Canary"); got != want {
		t.Errorf("GroupVersionKind() = %v, want %v", got, want)
	}

	canary.Default()
	if err := canary.Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
	if diff := cmp.Diff([]int32{5, 10, 15}, canary.Spec.Analysis.Steps()); diff != "" {
		t.Errorf("Steps() (-want +got):\n%s", diff)
	}

	got, err := yaml.Marshal(&canary)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "seed-canary.defaulted.yaml"), got)
}

// golden compares got with the file at path, or rewrites the file with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
