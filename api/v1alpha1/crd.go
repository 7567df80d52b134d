package v1alpha1

import (
	"bytes"
	_ "embed"
)

// crdYAML is the CustomResourceDefinition of Canary that controller-gen
// generates from the types of this package (sluice.dev_canaries.yaml).
//
//go:embed sluice.dev_canaries.yaml
var crdYAML []byte

// metricTemplateCRDYAML is the CustomResourceDefinition of MetricTemplate,
// likewise generated (sluice.dev_metrictemplates.yaml).
//
//go:embed sluice.dev_metrictemplates.yaml
var metricTemplateCRDYAML []byte

// alertProviderCRDYAML is the CustomResourceDefinition of AlertProvider,
// likewise generated (sluice.dev_alertproviders.yaml).
//
//go:embed sluice.dev_alertproviders.yaml
var alertProviderCRDYAML []byte

// CRDYAML returns the CustomResourceDefinition of Canary as YAML, as
// controller-gen wrote it; CRD returns it decoded. The slice is the caller's.
func CRDYAML() []byte { return bytes.Clone(crdYAML) }

// AllCRDYAML returns every CustomResourceDefinition of this package as one
// YAML stream, Canary first, as deploy/crd.yaml holds them; CRDs returns
// them decoded. The slice is the caller's.
func AllCRDYAML() []byte {
	return bytes.Join([][]byte{crdYAML, metricTemplateCRDYAML, alertProviderCRDYAML}, nil)
}
