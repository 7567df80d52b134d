package reconciler_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

var routerCRDs struct {
	once sync.Once
	err  error
}

// installRouterCRDs installs, once per test binary, the Gateway API standard
// CRDs of the gateway-api module in go.mod and the minimal Istio and App
// Mesh CRDs of the applier's testdata: Sync reconciles the routing objects
// of every Canary, so the provider's CRDs must exist.
func installRouterCRDs(t testing.TB) {
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
	minimal, err := filepath.Glob(filepath.Join("..", "applier", "testdata", "crds", "*.yaml"))
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
