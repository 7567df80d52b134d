package analysis

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// seedCanary returns the seed's Canary: detail in flagger, with provider.
func seedCanary(provider string) *v1alpha1.Canary {
	return &v1alpha1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "detail", Namespace: "flagger"},
		Spec: v1alpha1.CanarySpec{
			TargetRef: v1alpha1.TargetRef{Kind: "Deployment", Name: "detail"},
			Provider:  provider,
		},
	}
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got+"\n"); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestRenderQueryBuiltinPerMesh(t *testing.T) {
	canary := seedCanary(v1alpha1.ProviderGatewayAPI)
	for _, mesh := range Meshes() {
		for _, name := range v1alpha1.BuiltinMetrics() {
			t.Run(string(mesh)+"/"+name, func(t *testing.T) {
				got, err := RenderQuery(canary, v1alpha1.CanaryMetric{Name: name, Interval: "1m"}, mesh)
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, string(mesh)+"-"+name+".promql", got)
			})
		}
	}
}

func TestRenderQueryChoosesTheMeshOfTheProvider(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		mesh     Mesh
		want     Mesh
	}{
		{name: "gatewayapi reads the generic metrics", provider: "gatewayapi", want: MeshGeneric},
		{name: "no provider is gatewayapi", provider: "", want: MeshGeneric},
		{name: "kubernetes blue/green reads the generic metrics", provider: "kubernetes", want: MeshGeneric},
		{name: "istio reads the istio metrics", provider: "istio", want: MeshIstio},
		{name: "appmesh reads the envoy metrics", provider: "appmesh", want: MeshEnvoy},
		{name: "linkerd reads the linkerd metrics", provider: "linkerd", want: MeshLinkerd},
		{name: "a mesh overrides the provider, to select linkerd", provider: "gatewayapi", mesh: MeshLinkerd, want: MeshLinkerd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			metric := v1alpha1.CanaryMetric{Name: v1alpha1.MetricRequestSuccessRate, Interval: "1m"}
			got, err := RenderQuery(seedCanary(tt.provider), metric, tt.mesh)
			if err != nil {
				t.Fatal(err)
			}
			want, err := RenderQuery(seedCanary(tt.provider), metric, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderQueryCustom(t *testing.T) {
	metric := v1alpha1.CanaryMetric{
		Name: "error-budget",
		Query: `sum(rate(http_requests_total{namespace="{{ namespace }}",workload="{{ target }}",code=~"{{ variables.errors }}"}[{{ interval }}]))` +
			` / sum(rate(http_requests_total{namespace="{{ namespace }}",workload="{{ target }}"}[{{ interval }}])) {{- /* a comment */ -}}`,
		Interval:          "30s",
		TemplateVariables: map[string]string{"errors": "5.."},
	}
	got, err := RenderQuery(seedCanary(v1alpha1.ProviderIstio), metric, "")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "custom-error-budget.promql", got)
}

func TestRenderQueryVariables(t *testing.T) {
	tests := []struct {
		name   string
		metric v1alpha1.CanaryMetric
		want   string
	}{
		{
			name:   "every variable is filled in",
			metric: v1alpha1.CanaryMetric{Name: "m", Query: "{{ namespace }} {{ target }} {{ interval }} {{ variables.a }}", Interval: "2m", TemplateVariables: map[string]string{"a": "x"}},
			want:   "flagger detail 2m x",
		},
		{
			name:   "an empty interval is 1m",
			metric: v1alpha1.CanaryMetric{Name: "m", Query: "[{{ interval }}]"},
			want:   "[1m]",
		},
		{
			name:   "spacing inside the braces does not matter",
			metric: v1alpha1.CanaryMetric{Name: "m", Query: "{{namespace}}/{{   target   }}"},
			want:   "flagger/detail",
		},
		{
			name:   "text/template's built-in functions work",
			metric: v1alpha1.CanaryMetric{Name: "m", Query: `{{ printf "%s-canary" target }} {{ index variables "a" }}`, TemplateVariables: map[string]string{"a": "x"}},
			want:   "detail-canary x",
		},
		{
			name:   "a query without variables is left as it is",
			metric: v1alpha1.CanaryMetric{Name: "m", Query: "  vector(1)\n"},
			want:   "vector(1)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RenderQuery(seedCanary(""), tt.metric, "")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
		})
	}
}

// {{ service }} is the apex Service, which spec.service.name renames (as
// Flagger's), while {{ target }}, {{ ingress }} and {{ route }} stay the
// target's.
func TestRenderQueryServiceIsTheApexServiceName(t *testing.T) {
	canary := seedCanary("")
	metric := v1alpha1.CanaryMetric{Name: "m", Query: "{{ service }} {{ target }} {{ ingress }} {{ route }}"}
	for _, tt := range []struct{ serviceName, want string }{
		{"", "detail detail detail detail"},
		{"shop", "shop detail detail detail"},
	} {
		canary.Spec.Service.Name = tt.serviceName
		got, err := RenderQuery(canary, metric, "")
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("with service.name %q: %q, want %q", tt.serviceName, got, tt.want)
		}
	}
}

func TestRenderQueryUnknownVariable(t *testing.T) {
	tests := []struct {
		name     string
		query    string
		variable string
	}{
		{name: "a function of neither Flagger nor sluice", query: `up{pod="{{ pod }}"}`, variable: "pod"},
		{name: "a template variable that is not defined", query: `up{region="{{ variables.regoin }}"}`, variable: "variables.regoin"},
		{name: "a nested template variable", query: `{{ variables.region.name }}`, variable: "variables.region.name"},
		{name: "a field of the data, with a dot", query: `up{namespace="{{ .Namespace }}"}`, variable: ".Namespace"},
		{name: "an unknown name inside an if", query: `{{ if namespace }}{{ else }}{{ nope }}{{ end }}`, variable: "nope"},
		{name: "an unknown name as an argument", query: `{{ printf "%s" (print canary) }}`, variable: "canary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			metric := v1alpha1.CanaryMetric{Name: "custom", Query: tt.query, TemplateVariables: map[string]string{"region": "eu"}}
			_, err := RenderQuery(seedCanary(""), metric, "")
			var unknown *UnknownVariableError
			if !errors.As(err, &unknown) {
				t.Fatalf("error = %v, want an *UnknownVariableError", err)
			}
			want := &UnknownVariableError{Metric: "custom", Variable: tt.variable,
				Known: []string{"{{ name }}", "{{ namespace }}", "{{ target }}", "{{ service }}", "{{ ingress }}", "{{ route }}", "{{ interval }}", "{{ variables.region }}"}}
			if diff := cmp.Diff(want, unknown); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnknownVariableErrorNamesTheMetricAndTheVariable(t *testing.T) {
	_, err := RenderQuery(seedCanary(""), v1alpha1.CanaryMetric{Name: "error-budget", Query: "{{ variables.x }}"}, "")
	want := "metric error-budget: query uses unknown variable {{ variables.x }}: known variables are {{ name }}, {{ namespace }}, {{ target }}, {{ service }}, {{ ingress }}, {{ route }}, {{ interval }}"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestRenderQueryErrors(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		mesh     Mesh
		metric   v1alpha1.CanaryMetric
		want     string
	}{
		{
			name:   "a template that does not parse",
			metric: v1alpha1.CanaryMetric{Name: "broken", Query: "{{ namespace "},
			want:   `metric broken: parse query template: template: broken:1: unclosed action`,
		},
		{
			name:   "a metric neither built in nor with a query",
			metric: v1alpha1.CanaryMetric{Name: "error-rate"},
			want:   "metric error-rate: not a built-in metric (request-success-rate, request-duration) and no query",
		},
		{
			name:     "an unknown provider",
			provider: "nginx",
			metric:   v1alpha1.CanaryMetric{Name: v1alpha1.MetricRequestDuration},
			want:     `metric request-duration: unknown provider "nginx": known providers are gatewayapi, istio, appmesh, kubernetes, linkerd`,
		},
		{
			name:   "an unknown mesh",
			mesh:   "consul",
			metric: v1alpha1.CanaryMetric{Name: v1alpha1.MetricRequestDuration},
			want:   `metric request-duration: unknown mesh "consul": known meshes are generic, istio, linkerd, envoy`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RenderQuery(seedCanary(tt.provider), tt.metric, tt.mesh)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

func TestMeshForProvider(t *testing.T) {
	for _, provider := range v1alpha1.Providers() {
		if _, err := MeshForProvider(provider); err != nil {
			t.Errorf("MeshForProvider(%q): %v; every provider needs a mesh", provider, err)
		}
	}
	var unknown *UnknownProviderError
	if _, err := MeshForProvider("nginx"); !errors.As(err, &unknown) || unknown.Provider != "nginx" {
		t.Errorf("MeshForProvider(nginx) error = %v, want an *UnknownProviderError", err)
	}
}

func TestRenderQueryRefusesTemplatesThatCouldRunForeverOrGrowWithoutBound(t *testing.T) {
	huge := strings.Repeat("x", 1000)
	tests := []struct {
		name, query, want string
		variables         map[string]string
	}{
		{name: "a range over a number that loops without writing", query: "{{ range 1000000000000 }}{{ end }}",
			want: "metric m: range is not allowed in a query template"},
		{name: "a range that writes", query: "{{ range 100000 }}{{ namespace }}{{ end }}",
			want: "metric m: range is not allowed in a query template"},
		{name: "output past the limit", query: strings.Repeat("{{ variables.big }}", 100), variables: map[string]string{"big": huge},
			want: "the query is longer than 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RenderQuery(seedCanary(v1alpha1.ProviderIstio), v1alpha1.CanaryMetric{Name: "m", Query: tt.query, TemplateVariables: tt.variables}, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("RenderQuery(%.40q) = %v, want an error with %q", tt.query, err, tt.want)
			}
		})
	}
}
