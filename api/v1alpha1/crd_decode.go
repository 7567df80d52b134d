package v1alpha1

import (
	"fmt"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// decodedCRD decodes crdYAML once; the result is shared, so it is never
// handed out.
var decodedCRD = sync.OnceValues(func() (*apiextensionsv1.CustomResourceDefinition, error) {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(crdYAML, &crd); err != nil {
		return nil, fmt.Errorf("canary CRD: decode sluice.dev_canaries.yaml: %w", err)
	}
	return &crd, nil
})

// CRD returns the CustomResourceDefinition of Canary, which sluice installs
// at start when it is missing. Each call returns a new deep copy that the
// caller may change. An error can only come from the embedded YAML, so a
// test catches it and it is the same on every call.
func CRD() (*apiextensionsv1.CustomResourceDefinition, error) {
	crd, err := decodedCRD()
	if err != nil {
		return nil, err
	}
	return crd.DeepCopy(), nil
}
