package manifests

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// FuzzCanaryDecode feeds arbitrary YAML to the Canary decoding Render
// does: decode, default, validate. It must never panic, and a Canary it
// accepts must be accepted again once written back and read anew.
func FuzzCanaryDecode(f *testing.F) {
	for _, seed := range []string{
		canaryYAML("detail", "Deployment", "detail"),
		"apiVersion: sluice.dev/v1alpha1\nkind: Canary\nmetadata: {name: x}\nspec: {skipAnalysis: true, targetRef: {name: x}, service: {port: 1}}\n",
		"apiVersion: sluice.dev/v1alpha1\nkind: Canary\nmetadata: {name: x}\nspec: {analysis: {stepWeights: [5, 1, 200], interval: -1s}}\n",
		"apiVersion: sluice.dev/v1alpha1\nkind: Canary\nmetadata: {name: x}\nspec: {service: {targetPort: http}}\n",
		"{}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var content map[string]any
		if err := yaml.Unmarshal(data, &content); err != nil || content == nil {
			return
		}
		u := &unstructured.Unstructured{Object: content}
		u.SetAPIVersion(v1alpha1.GroupVersion.String())
		u.SetKind("Canary")
		canary, err := decodeCanary(object{Unstructured: u})
		if err != nil {
			var invalid *InvalidError
			if !errors.As(err, &invalid) {
				t.Fatalf("decodeCanary returned %T, want an *InvalidError: %v", err, err)
			}
			return
		}
		again, err := yaml.Marshal(canary)
		if err != nil {
			t.Fatalf("marshal an accepted Canary: %v", err)
		}
		var reread v1alpha1.Canary
		if err := yaml.UnmarshalStrict(again, &reread); err != nil {
			t.Fatalf("an accepted Canary does not read back: %v\n%s", err, again)
		}
		reread.Default()
		if err := reread.Validate(); err != nil {
			t.Fatalf("an accepted Canary is refused once written back: %v\n%s", err, again)
		}
	})
}

// FuzzRender renders arbitrary small file trees — a kustomization, a
// manifest, a file behind a symbolic link — with tight bounds. It must
// never panic, never refuse with anything but an *InvalidError, and never
// read outside the checkout: a file next to it holds a marker that no
// rendered object may contain.
func FuzzRender(f *testing.F) {
	f.Add("resources: [a.yaml]\n", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n", "a.yaml")
	f.Add("resources: [link.yaml]\n", "", "../outside.yaml")
	f.Add("resources: [a.yaml]\n", billionLaughs, "a.yaml")
	f.Add("configMapGenerator: [{name: c, files: [link.yaml]}]\n", "", "../outside.yaml")
	f.Add("resources: [a.yaml]\npatches: [{path: link.yaml}]\n", canaryYAML("d", "Deployment", "d"), "/etc/passwd")
	f.Add("", "a: &a [*a]\n", "a.yaml")
	f.Fuzz(func(t *testing.T, kustomization, manifest, linkTarget string) {
		parent := t.TempDir()
		const marker = "OUTSIDE-THE-CHECKOUT-7f3a"
		if err := os.WriteFile(filepath.Join(parent, "outside.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "+marker+"}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		root := filepath.Join(parent, "checkout")
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{"a.yaml": manifest}
		if kustomization != "" {
			files["kustomization.yaml"] = kustomization
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if linkTarget != "" && !strings.ContainsRune(linkTarget, 0) {
			_ = os.Symlink(linkTarget, filepath.Join(root, "link.yaml"))
		}
		rendering, err := Render(root, ".", Options{MaxFileBytes: 1 << 16, MaxTotalBytes: 1 << 20, MaxAliasNodes: 10_000})
		if err != nil {
			var invalid *InvalidError
			if !errors.As(err, &invalid) {
				t.Fatalf("Render returned %T, want an *InvalidError: %v", err, err)
			}
			return
		}
		for _, obj := range append(rendering.Objects, rendering.CanaryObjects...) {
			out, _ := yaml.Marshal(obj.Object)
			if strings.Contains(string(out), marker) {
				t.Fatalf("a rendered object holds what lies outside the checkout:\n%s", out)
			}
		}
	})
}
