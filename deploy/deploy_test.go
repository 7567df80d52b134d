package deploy_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

func TestMain(m *testing.M) { playgroundtest.Main(m) }

func TestTheInstallManifestsRenderAndApplyToARealAPIServer(t *testing.T) {
	rendering, err := manifests.Render(".", ".", manifests.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, obj := range rendering.Objects {
		kinds[obj.GetKind()] = true
	}
	for _, kind := range []string{"Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment"} {
		if !kinds[kind] {
			t.Errorf("install manifests have no %s", kind)
		}
	}
	a, err := applier.New(playgroundtest.Client(), applier.Options{Owner: "deploy-test", OwnerNamespace: playgroundtest.Namespace(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(context.Background(), rendering.Objects); err != nil {
		t.Fatalf("apply the install manifests: %v", err)
	}
}

func TestTheInstalledCRDIsTheGeneratedOne(t *testing.T) {
	installed, err := os.ReadFile("crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(installed, v1alpha1.AllCRDYAML()) {
		t.Error("deploy/crd.yaml differs from the CRDs of api/v1alpha1 (sluice.dev_*.yaml): run make generate")
	}
}
