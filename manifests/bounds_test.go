package manifests

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// billionLaughs is a few hundred bytes of YAML whose aliases expand to
// about 10^9 nodes; the reconciler's and the CLI's tests read it too.
var billionLaughs = func() string {
	data, err := os.ReadFile(filepath.Join("testdata", "hostile", "billion-laughs.yaml"))
	if err != nil {
		panic(err)
	}
	return string(data)
}()

// bigConfigMap is a ConfigMap of about n bytes.
func bigConfigMap(n int) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: " + strings.Repeat("x", n) + "\n"
}

func TestRenderRefusesInputPastItsBoundsNamingTheFile(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		opts  Options
		want  InvalidError
	}{
		{name: "a billion laughs",
			files: map[string]string{"kustomization.yaml": "resources: [apps/lol.yaml]\n", "apps/lol.yaml": billionLaughs},
			want:  InvalidError{Object: "file apps/lol.yaml", Reason: "YAML aliases expand to more than 1000000 nodes (--max-yaml-alias-nodes): refused before parsing"}},
		{name: "a file over the size limit",
			files: map[string]string{"kustomization.yaml": "resources: [big.yaml]\n", "big.yaml": bigConfigMap(2000)},
			opts:  Options{MaxFileBytes: 1000},
			want:  InvalidError{Object: "file big.yaml", Reason: "is 2068 bytes, more than the limit of 1000 (--max-file-size)"}},
		{name: "files over the total",
			files: map[string]string{"kustomization.yaml": "resources: [a.yaml, b.yaml]\n", "a.yaml": bigConfigMap(600), "b.yaml": strings.Replace(bigConfigMap(600), "name: big", "name: big2", 1)},
			opts:  Options{MaxTotalBytes: 1000},
			want:  InvalidError{Object: "file b.yaml", Reason: "brings the files read to 1365 bytes, more than the limit of 1000 (--max-render-size)"}},
		{name: "a plain directory with a bomb",
			files: map[string]string{"lol.yaml": billionLaughs},
			want:  InvalidError{Object: "file lol.yaml", Reason: "YAML aliases expand to more than 1000000 nodes (--max-yaml-alias-nodes): refused before parsing"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(writeRepo(t, tt.files, nil), ".", tt.opts)
			var invalid *InvalidError
			if !errors.As(err, &invalid) {
				t.Fatalf("Render = %v, want an *InvalidError", err)
			}
			if got := fmt.Sprint(*invalid); invalid.Object != tt.want.Object || invalid.Reason != tt.want.Reason {
				t.Errorf("refusal = %s, want %+v", got, tt.want)
			}
		})
	}
}

func TestAliasesWithinTheBudgetRender(t *testing.T) {
	files := map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: small, labels: &l {a: b}, annotations: *l}\ndata: {x: \"1\"}\n"}
	r, err := Render(writeRepo(t, files, nil), ".", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Objects) != 1 || r.Objects[0].GetAnnotations()["a"] != "b" {
		t.Errorf("objects %v, want the alias expanded", r.Objects)
	}
}

// BenchmarkRenderRefusesABillionLaughs measures what refusing an alias
// bomb costs (see docs/reliability.md).
func BenchmarkRenderRefusesABillionLaughs(b *testing.B) {
	root := writeRepo(b, map[string]string{"kustomization.yaml": "resources: [lol.yaml]\n", "lol.yaml": billionLaughs}, nil)
	for b.Loop() {
		if _, err := Render(root, ".", Options{}); err == nil {
			b.Fatal("rendered a billion laughs")
		}
	}
}

// BenchmarkRenderRefusesA50MBManifest measures what refusing a 50 MB file
// costs: it is refused from its size, unread.
func BenchmarkRenderRefusesA50MBManifest(b *testing.B) {
	root := writeRepo(b, map[string]string{"kustomization.yaml": "resources: [big.yaml]\n", "big.yaml": bigConfigMap(50 << 20)}, nil)
	for b.Loop() {
		if _, err := Render(root, ".", Options{}); err == nil {
			b.Fatal("rendered a 50 MB manifest")
		}
	}
}

// Regression: a secretGenerator literal mistyped with a colon put the
// password into the render error, which goes to the log, the Ready
// condition and Warning Events.
func TestRenderErrorsNeverQuoteSecretValues(t *testing.T) {
	const sentinel = "hunter2-s3ntinel"
	cases := map[string]map[string]string{
		"a secretGenerator literal with a colon": {
			"kustomization.yaml": "secretGenerator:\n- name: db\n  literals: [\"DB_PASSWORD: " + sentinel + "\"]\n",
		},
		"a Secret that does not parse": {
			"kustomization.yaml": "resources: [secret.yaml]\n",
			"secret.yaml":        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: " + sentinel + "\n   bad: [\n",
		},
		"a kustomization that does not parse around a literal": {
			"kustomization.yaml": "secretGenerator:\n- name: db\n  literals: [DB_PASSWORD=" + sentinel + "\n  - : :\n",
		},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Render(writeRepo(t, files, nil), ".", Options{})
			if err == nil {
				t.Fatal("rendered; the case needs a refusal")
			}
			if strings.Contains(err.Error(), sentinel) || strings.Contains(fmt.Sprint(errors.Unwrap(err)), sentinel) {
				t.Errorf("the error quotes the secret: %v", err)
			}
			t.Logf("refusal: %v", err)
		})
	}
}

func TestRenderWithinRefusesARenderingPastItsDeadline(t *testing.T) {
	files := map[string]string{"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"}
	root := writeRepo(t, files, nil)
	if _, err := RenderWithin(time.Minute, root, ".", Options{}); err != nil {
		t.Fatalf("a quick rendering within a minute: %v", err)
	}
	_, err := RenderWithin(time.Nanosecond, root, ".", Options{})
	var invalid *InvalidError
	if !errors.As(err, &invalid) || invalid.Reason != "rendering took longer than 1ns (--render-timeout)" {
		t.Errorf("RenderWithin(1ns) = %v, want a refusal for the deadline", err)
	}
}
