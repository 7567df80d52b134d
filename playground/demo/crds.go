package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// gatewayAPIModule is the module whose HTTPRoute CRD the demo installs;
// gatewayAPIVersion is its version when the build does not tell (the
// version go.mod requires).
const (
	gatewayAPIModule  = "sigs.k8s.io/gateway-api"
	gatewayAPIVersion = "v1.4.0"
	httpRouteCRDFile  = "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"
)

// installCRDs installs the HTTPRoute CRD of the Gateway API (standard
// channel) and sluice's CRDs, and waits until all are established.
// sluice would install its CRDs itself; installing them first lets the
// demo read Canaries from the start.
func installCRDs(ctx context.Context, c *cluster) error {
	httpRoute, err := httpRouteCRD(ctx)
	if err != nil {
		return err
	}
	sluiceCRDs, err := v1alpha1.CRDs()
	if err != nil {
		return err
	}
	for _, crd := range append([]*apiextensionsv1.CustomResourceDefinition{httpRoute}, sluiceCRDs...) {
		if err := c.installCRD(ctx, crd); err != nil {
			return err
		}
	}
	return nil
}

// httpRouteCRD reads the HTTPRoute CRD from the gateway-api module that
// this program was built with, downloading it into the module cache if it
// is not there (the go command is the playground's one prerequisite).
func httpRouteCRD(ctx context.Context) (*apiextensionsv1.CustomResourceDefinition, error) {
	dir, err := moduleDir(ctx, gatewayAPIModule, moduleVersion(gatewayAPIModule, gatewayAPIVersion))
	if err != nil {
		return nil, fmt.Errorf("HTTPRoute CRD: %w", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(httpRouteCRDFile)))
	if err != nil {
		return nil, fmt.Errorf("HTTPRoute CRD: %w", err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(data, &crd); err != nil {
		return nil, fmt.Errorf("HTTPRoute CRD: %w", err)
	}
	return &crd, nil
}

// moduleVersion returns the version of module this program was built with,
// or fallback when the build information does not say.
func moduleVersion(module, fallback string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return fallback
	}
	for _, dep := range info.Deps {
		if dep.Path != module {
			continue
		}
		if dep.Replace != nil && dep.Replace.Version != "" {
			return dep.Replace.Version
		}
		if dep.Version != "" && dep.Version != "(devel)" {
			return dep.Version
		}
	}
	return fallback
}

// moduleDir returns the directory of module@version in the module cache,
// with `go mod download`, which does not need a network when the module is
// there already.
func moduleDir(ctx context.Context, module, version string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir() // outside any module or workspace
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w\n%s", module, version, err, stderr.String())
	}
	var downloaded struct{ Dir, Error string }
	if err := json.Unmarshal(out, &downloaded); err != nil || downloaded.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: no directory (%s%v)", module, version, downloaded.Error, err)
	}
	return downloaded.Dir, nil
}
