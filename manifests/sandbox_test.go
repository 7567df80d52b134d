package manifests

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSandboxConfinesKustomizeToTheCheckout(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s3cr3t"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := writeRepo(t, map[string]string{"app/file.yaml": "kind: Inside\n", "app/kustomization.yaml": "resources: [file.yaml]\n"}, map[string]string{
		"app/in.yaml":  "file.yaml",
		"app/out.yaml": filepath.Join(outside, "secret"),
		"app/out":      outside,
	})
	box, dir, err := openSandbox(root, "app", Options{})
	if err != nil {
		t.Fatalf("openSandbox: %v", err)
	}

	tests := []struct {
		name    string
		file    string
		refused bool
	}{
		{"a file of the checkout", "file.yaml", false},
		{"a symbolic link to a file of the checkout", "in.yaml", false},
		{"a file up and down again", "../app/file.yaml", false},
		{"a file above the checkout", "../../secret", true},
		{"an absolute path outside", filepath.Join(outside, "secret"), true},
		{"a symbolic link to a file outside", "out.yaml", true},
		{"a file below a symbolic link to a directory outside", "out/secret", true},
		{"a missing file below a symbolic link to a directory outside", "out/missing", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.file
			if !filepath.IsAbs(name) {
				name = filepath.Join(dir, name)
			}
			data, err := box.ReadFile(name)
			var invalid *InvalidError
			if refused := errors.As(err, &invalid); refused != tt.refused {
				t.Fatalf("ReadFile(%s) = %q, %v; refused = %v, want %v", tt.file, data, err, refused, tt.refused)
			}
			if !tt.refused && err != nil {
				t.Errorf("ReadFile(%s): %v", tt.file, err)
			}
			if tt.refused && (box.Exists(name) || box.IsDir(name)) {
				t.Errorf("Exists or IsDir(%s) is true for a refused path", tt.file)
			}
		})
	}
}

func TestSandboxIsReadOnly(t *testing.T) {
	root := writeRepo(t, map[string]string{"kustomization.yaml": "resources: []\n"}, nil)
	box, dir, err := openSandbox(root, ".", Options{})
	if err != nil {
		t.Fatalf("openSandbox: %v", err)
	}
	name := filepath.Join(dir, "new.yaml")
	writes := map[string]error{
		"WriteFile": box.WriteFile(name, []byte("x")),
		"Mkdir":     box.Mkdir(name),
		"MkdirAll":  box.MkdirAll(name),
		"RemoveAll": box.RemoveAll(dir),
	}
	_, writes["Create"] = box.Create(name)
	for call, err := range writes {
		if err == nil {
			t.Errorf("%s succeeded in the sandbox", call)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "kustomization.yaml")); err != nil {
		t.Errorf("the checkout was changed: %v", err)
	}
}
