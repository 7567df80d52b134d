package applier_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// The -update flag rewrites the golden files. It is registered only when no
// other test file of the package registered it first (package variables are
// initialised before init functions run), so that two golden tests in one
// package never define it twice.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

// updating reports whether the test run was asked to rewrite golden files.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

var routerCRDs struct {
	once sync.Once
	err  error
}

// installRouterCRDs installs, once per test binary, the Gateway API standard
// CRDs of the gateway-api module in go.mod and the minimal Istio and App
// Mesh CRDs of testdata/crds, and waits until they are established.
func installRouterCRDs(t *testing.T) {
	t.Helper()
	routerCRDs.once.Do(func() { routerCRDs.err = installCRDs(context.Background()) })
	if routerCRDs.err != nil {
		t.Fatalf("install router CRDs: %v", routerCRDs.err)
	}
}

func installCRDs(ctx context.Context) error {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		return fmt.Errorf("locate the gateway-api module: %w", err)
	}
	gatewayAPI, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard", "*.yaml"))
	if err != nil || len(gatewayAPI) == 0 {
		return fmt.Errorf("no Gateway API CRDs in %s (%v)", out, err)
	}
	minimal, err := filepath.Glob(filepath.Join("testdata", "crds", "*.yaml"))
	if err != nil {
		return err
	}
	var crds []*unstructured.Unstructured
	for _, path := range append(gatewayAPI, minimal...) {
		docs, err := readDocuments(path)
		if err != nil {
			return err
		}
		crds = append(crds, docs...)
	}
	a, err := applier.New(playgroundtest.Client(), applier.Options{Owner: "router-crds"})
	if err != nil {
		return err
	}
	// Apply waits until CRDs are established.
	_, err = a.Apply(ctx, crds)
	return err
}

// readDocuments returns the objects of a multi-document YAML file.
func readDocuments(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &obj.Object); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
}

// detailCanary is the seed's Canary of the detail Deployment, in ns;
// with provider linkerd, whose route is attached to the apex Service,
// without gatewayRefs and hosts.
func detailCanary(ns, provider string) *v1alpha1.Canary {
	canary := &v1alpha1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "detail", Namespace: ns},
		Spec: v1alpha1.CanarySpec{
			TargetRef: v1alpha1.TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "detail"},
			Provider:  provider,
			Service: v1alpha1.CanaryService{
				Port:        3000,
				GatewayRefs: []v1alpha1.GatewayRef{{Name: "public", Namespace: "gateway"}},
				Hosts:       []string{"detail.example.com"},
			},
		},
	}
	if provider == v1alpha1.ProviderLinkerd {
		canary.Spec.Service.GatewayRefs, canary.Spec.Service.Hosts = nil, nil
	}
	return canary
}

// withMatch makes canary an A/B rollout on a header and a cookie.
func withMatch(canary *v1alpha1.Canary) *v1alpha1.Canary {
	canary.Spec.Analysis.Iterations = 10
	canary.Spec.Analysis.Match = []v1alpha1.HTTPMatch{
		{Headers: map[string]v1alpha1.StringMatch{"x-canary": {Exact: "insider"}}},
		{Headers: map[string]v1alpha1.StringMatch{"cookie": {Regex: "^(.*?;)?(canary=always)(;.*)?$"}}},
	}
	return canary
}

// routerFor returns a's router of provider, with the CRDs installed and the
// target Deployment detail applied in ns (App Mesh and blue/green read its
// selector).
func routerFor(t *testing.T, a *applier.Applier, ns, provider string) applier.Router {
	t.Helper()
	installRouterCRDs(t)
	if _, err := a.Apply(context.Background(), objects(t, ns, deployment)); err != nil {
		t.Fatal(err)
	}
	r, err := a.Router(provider)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// weights is a split as the tests write it.
type weights struct{ Primary, Canary int32 }

func readWeights(t *testing.T, r applier.Router, canary *v1alpha1.Canary) weights {
	t.Helper()
	primary, canaryWeight, err := r.Weights(context.Background(), canary)
	if err != nil {
		t.Fatalf("Weights: %v", err)
	}
	return weights{primary, canaryWeight}
}

// liveObjects reads the objects of kinds named after the target from ns,
// keeping apiVersion, kind, name, labels and spec, with ns written NS, as
// YAML: what the golden files hold.
func liveObjects(t *testing.T, ns string, objs ...schema.GroupVersionKind) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, gvk := range objs {
		var names []string
		switch gvk.Kind {
		case "VirtualNode":
			names = []string{"detail-primary", "detail-canary"}
		default:
			names = []string{"detail"}
		}
		for _, name := range names {
			live := &unstructured.Unstructured{}
			live.SetGroupVersionKind(gvk)
			if err := playgroundtest.Client().Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, live); err != nil {
				t.Fatalf("read %s %s: %v", gvk.Kind, name, err)
			}
			kept := &unstructured.Unstructured{Object: map[string]any{"spec": live.Object["spec"]}}
			kept.SetGroupVersionKind(gvk)
			kept.SetName(name)
			kept.SetNamespace(ns)
			kept.SetLabels(live.GetLabels())
			data, err := yaml.Marshal(kept.Object)
			if err != nil {
				t.Fatal(err)
			}
			out.WriteString("---\n")
			out.Write(data)
		}
	}
	return bytes.ReplaceAll(out.Bytes(), []byte(ns), []byte("NS"))
}

func TestRouterExistsForEveryProviderTheAPIAccepts(t *testing.T) {
	a := newApplier(t, "default")
	for _, provider := range v1alpha1.Providers() {
		if _, err := a.Router(provider); err != nil {
			t.Errorf("Router(%q): %v", provider, err)
		}
	}
}

func TestRouterRefusesAnUnknownProvider(t *testing.T) {
	a := newApplier(t, "default")
	for _, provider := range []string{"consul", "", "GatewayAPI"} {
		t.Run(fmt.Sprintf("%q", provider), func(t *testing.T) {
			r, err := a.Router(provider)
			var unknown *applier.UnknownProviderError
			if !errors.As(err, &unknown) || r != nil {
				t.Fatalf("Router(%q) = %v, %v; want nil and an *UnknownProviderError", provider, r, err)
			}
			if unknown.Provider != provider {
				t.Errorf("error names provider %q, want %q", unknown.Provider, provider)
			}
			if diff := cmp.Diff(v1alpha1.Providers(), unknown.Known); diff != "" {
				t.Errorf("known providers (-want +got):\n%s", diff)
			}
			if want := "gatewayapi, istio, appmesh, kubernetes, linkerd"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not list %q", err, want)
			}
		})
	}
}

func TestRouterSetWeightsThenWeightsRoundTrips(t *testing.T) {
	steps := []weights{{0, 100}, {95, 5}, {90, 10}, {100, 0}}
	for _, provider := range []string{v1alpha1.ProviderGatewayAPI, v1alpha1.ProviderIstio, v1alpha1.ProviderAppMesh, v1alpha1.ProviderLinkerd} {
		for _, ab := range []bool{false, true} {
			name := provider
			if ab {
				name += " with A/B match"
			}
			t.Run(name, func(t *testing.T) {
				ns := playgroundtest.Namespace(t)
				a := newApplier(t, ns)
				r := routerFor(t, a, ns, provider)
				canary := detailCanary(ns, provider)
				if ab {
					canary = withMatch(canary)
				}
				for _, step := range steps {
					if _, err := r.SetWeights(context.Background(), canary, step.Primary, step.Canary); err != nil {
						t.Fatalf("SetWeights(%d, %d): %v", step.Primary, step.Canary, err)
					}
					if got := readWeights(t, r, canary); got != step {
						t.Errorf("Weights after SetWeights(%d, %d) = %v", step.Primary, step.Canary, got)
					}
				}
			})
		}
	}
}

func TestRouterReconcileStartsOnThePrimaryThenKeepsTheWeights(t *testing.T) {
	for _, provider := range v1alpha1.Providers() {
		t.Run(provider, func(t *testing.T) {
			ctx := context.Background()
			ns := playgroundtest.Namespace(t)
			a := newApplier(t, ns)
			r := routerFor(t, a, ns, provider)
			canary := detailCanary(ns, provider)

			changes, err := r.Reconcile(ctx, canary)
			if err != nil {
				t.Fatalf("first Reconcile: %v", err)
			}
			if changes.Written() == 0 {
				t.Errorf("first Reconcile wrote nothing: %v", changes)
			}
			if got := readWeights(t, r, canary); got != (weights{100, 0}) {
				t.Errorf("weights after the first Reconcile = %v, want all to the primary", got)
			}

			shifted := weights{90, 10}
			if provider == v1alpha1.ProviderKubernetes {
				shifted = weights{0, 100}
			}
			if _, err := r.SetWeights(ctx, canary, shifted.Primary, shifted.Canary); err != nil {
				t.Fatal(err)
			}
			changes, err = r.Reconcile(ctx, canary)
			if err != nil {
				t.Fatalf("Reconcile of an unchanged spec: %v", err)
			}
			if changes.Written() != 0 {
				t.Errorf("Reconcile of an unchanged spec wrote %v", changes)
			}
			if got := readWeights(t, r, canary); got != shifted {
				t.Errorf("weights after Reconcile = %v, want %v kept", got, shifted)
			}
			changes, err = r.SetWeights(ctx, canary, shifted.Primary, shifted.Canary)
			if err != nil {
				t.Fatal(err)
			}
			if changes.Written() != 0 {
				t.Errorf("SetWeights of the weights in place wrote %v", changes)
			}

			// A changed spec is written, the weights still kept.
			canary.Spec.Service.Hosts = append(canary.Spec.Service.Hosts, "detail.example.org")
			canary.Spec.Service.Port = 8080
			changes, err = r.Reconcile(ctx, canary)
			if err != nil {
				t.Fatalf("Reconcile of a changed spec: %v", err)
			}
			if changes.Written() == 0 {
				t.Errorf("Reconcile of a changed spec wrote nothing")
			}
			if got := readWeights(t, r, canary); got != shifted {
				t.Errorf("weights after Reconcile of a changed spec = %v, want %v kept", got, shifted)
			}
		})
	}
}

func TestRouterRefusesWeightsItCannotRoute(t *testing.T) {
	tests := []struct {
		provider string
		weights
	}{
		{v1alpha1.ProviderGatewayAPI, weights{50, 40}},
		{v1alpha1.ProviderGatewayAPI, weights{-10, 110}},
		{v1alpha1.ProviderIstio, weights{101, -1}},
		{v1alpha1.ProviderAppMesh, weights{0, 0}},
		{v1alpha1.ProviderKubernetes, weights{50, 50}},
		{v1alpha1.ProviderKubernetes, weights{95, 5}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d/%d", tt.provider, tt.Primary, tt.Canary), func(t *testing.T) {
			ns := playgroundtest.Namespace(t)
			a := newApplier(t, ns)
			r := routerFor(t, a, ns, tt.provider)
			canary := detailCanary(ns, tt.provider)
			changes, err := r.SetWeights(context.Background(), canary, tt.Primary, tt.Canary)
			var refused *applier.WeightsError
			if !errors.As(err, &refused) {
				t.Fatalf("SetWeights(%d, %d) = %v, want a *WeightsError", tt.Primary, tt.Canary, err)
			}
			prefix := fmt.Sprintf("canary %s/detail: weights %d/%d: ", ns, tt.Primary, tt.Canary)
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
			if changes.Written() != 0 {
				t.Errorf("a refused split wrote %v", changes)
			}
			if _, _, err := r.Weights(context.Background(), canary); !apierrors.IsNotFound(err) {
				t.Errorf("Weights after a refused first split = %v, want not found: nothing written", err)
			}
		})
	}
}

func TestRouterWeightsOfAMissingRouteIsNotFoundNamingTheObject(t *testing.T) {
	tests := []struct{ provider, object string }{
		{v1alpha1.ProviderGatewayAPI, "httproute detail"},
		{v1alpha1.ProviderIstio, "virtualservice detail"},
		{v1alpha1.ProviderAppMesh, "virtualrouter detail"},
		{v1alpha1.ProviderKubernetes, "service detail"},
		{v1alpha1.ProviderLinkerd, "httproute detail"},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			ns := playgroundtest.Namespace(t)
			a := newApplier(t, ns)
			r := routerFor(t, a, ns, tt.provider)
			_, _, err := r.Weights(context.Background(), detailCanary(ns, tt.provider))
			if !apierrors.IsNotFound(err) {
				t.Fatalf("Weights = %v, want not found", err)
			}
			if prefix := fmt.Sprintf("canary %s/detail: %s: ", ns, tt.object); !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
		})
	}
}

func TestRouterGoldenRoutingObjects(t *testing.T) {
	var (
		httpRoute      = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
		virtualService = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1beta1", Kind: "VirtualService"}
		virtualNode    = schema.GroupVersionKind{Group: "appmesh.k8s.aws", Version: "v1beta2", Kind: "VirtualNode"}
		virtualRouter  = schema.GroupVersionKind{Group: "appmesh.k8s.aws", Version: "v1beta2", Kind: "VirtualRouter"}
		meshService    = schema.GroupVersionKind{Group: "appmesh.k8s.aws", Version: "v1beta2", Kind: "VirtualService"}
	)
	tests := []struct {
		golden   string
		provider string
		ab       bool
		kinds    []schema.GroupVersionKind
	}{
		{"gatewayapi.yaml", v1alpha1.ProviderGatewayAPI, false, []schema.GroupVersionKind{httpRoute}},
		{"gatewayapi-ab.yaml", v1alpha1.ProviderGatewayAPI, true, []schema.GroupVersionKind{httpRoute}},
		{"istio.yaml", v1alpha1.ProviderIstio, false, []schema.GroupVersionKind{virtualService}},
		{"istio-ab.yaml", v1alpha1.ProviderIstio, true, []schema.GroupVersionKind{virtualService}},
		{"appmesh.yaml", v1alpha1.ProviderAppMesh, false, []schema.GroupVersionKind{virtualNode, virtualRouter, meshService}},
		{"appmesh-ab.yaml", v1alpha1.ProviderAppMesh, true, []schema.GroupVersionKind{virtualNode, virtualRouter, meshService}},
		{"linkerd.yaml", v1alpha1.ProviderLinkerd, false, []schema.GroupVersionKind{httpRoute}},
		{"linkerd-ab.yaml", v1alpha1.ProviderLinkerd, true, []schema.GroupVersionKind{httpRoute}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			ns := playgroundtest.Namespace(t)
			a := newApplier(t, ns)
			r := routerFor(t, a, ns, tt.provider)
			canary := detailCanary(ns, tt.provider)
			if tt.ab {
				canary = withMatch(canary)
			}
			// An A/B step sends all the matching requests to the canary, a
			// canary release step a share of every request.
			step := weights{90, 10}
			if tt.ab {
				step = weights{0, 100}
			}
			if _, err := r.SetWeights(context.Background(), canary, step.Primary, step.Canary); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("routes", tt.golden), liveObjects(t, ns, tt.kinds...))
		})
	}
}
