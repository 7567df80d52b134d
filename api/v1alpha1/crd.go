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

// CRDYAML returns the CustomResourceDefinition of Canary as YAML, as
// controller-gen wrote it; CRD returns it decoded. The slice is the caller's.
func CRDYAML() []byte { return bytes.Clone(crdYAML) }
