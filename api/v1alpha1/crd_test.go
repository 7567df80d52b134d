package v1alpha1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// printerColumn is the part of a CRD printer column the tests check.
type printerColumn struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	JSONPath string `json:"jsonPath"`
}

// wantPrinterColumns are the columns of kubectl get canaries.
var wantPrinterColumns = []printerColumn{
	{Name: "Status", Type: "string", JSONPath: ".status.phase"},
	{Name: "Weight", Type: "integer", JSONPath: ".status.canaryWeight"},
	{Name: "FailedChecks", Type: "integer", JSONPath: ".status.failedChecks"},
	{Name: "Commit", Type: "string", JSONPath: ".status.lastAppliedCommitShort"},
	{Name: "LastTransition", Type: "string", JSONPath: ".status.lastTransitionTime"},
}

// schemaProps is the part of an OpenAPI schema the tests walk.
type schemaProps struct {
	Enum       []string               `json:"enum"`
	Properties map[string]schemaProps `json:"properties"`
	Items      *schemaProps           `json:"items"`
}

func TestCRDYAML(t *testing.T) {
	var crd struct {
		Spec struct {
			Group    string `json:"group"`
			Versions []struct {
				Name                     string          `json:"name"`
				AdditionalPrinterColumns []printerColumn `json:"additionalPrinterColumns"`
				Schema                   struct {
					OpenAPIV3Schema schemaProps `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(CRDYAML(), &crd); err != nil {
		t.Fatalf("decode CRDYAML(): %v", err)
	}
	if crd.Spec.Group != GroupVersion.Group || len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != GroupVersion.Version {
		t.Fatalf("CRDYAML() is not the one version %v", GroupVersion)
	}
	version := crd.Spec.Versions[0]
	if diff := cmp.Diff(wantPrinterColumns, version.AdditionalPrinterColumns); diff != "" {
		t.Errorf("printer columns (-want +got):\n%s", diff)
	}

	spec := version.Schema.OpenAPIV3Schema.Properties["spec"]
	t.Run("the provider enum is Providers", func(t *testing.T) {
		if diff := cmp.Diff(Providers(), spec.Properties["provider"].Enum); diff != "" {
			t.Errorf("spec.provider enum (-Providers() +CRD):\n%s", diff)
		}
	})
	t.Run("the webhook type enum is WebhookTypes", func(t *testing.T) {
		webhook := spec.Properties["analysis"].Properties["webhooks"].Items
		if webhook == nil {
			t.Fatal("spec.analysis.webhooks has no items schema")
		}
		if diff := cmp.Diff(WebhookTypes(), webhook.Properties["type"].Enum); diff != "" {
			t.Errorf("spec.analysis.webhooks[].type enum (-WebhookTypes() +CRD):\n%s", diff)
		}
	})
}

func TestCRDYAMLReturnsTheCallersSlice(t *testing.T) {
	CRDYAML()[0] = '#'
	if CRDYAML()[0] == '#' {
		t.Error("changing the result of CRDYAML() changed the embedded CRD")
	}
}
