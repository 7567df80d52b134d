package v1alpha1

import (
	"fmt"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// decodeCRD returns a function that decodes one embedded CRD once; the
// result is shared, so it is never handed out.
func decodeCRD(file string, data []byte) func() (*apiextensionsv1.CustomResourceDefinition, error) {
	return sync.OnceValues(func() (*apiextensionsv1.CustomResourceDefinition, error) {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			return nil, fmt.Errorf("CRD: decode %s: %w", file, err)
		}
		return &crd, nil
	})
}

var (
	decodedCRD               = decodeCRD("sluice.dev_canaries.yaml", crdYAML)
	decodedMetricTemplateCRD = decodeCRD("sluice.dev_metrictemplates.yaml", metricTemplateCRDYAML)
	decodedAlertProviderCRD  = decodeCRD("sluice.dev_alertproviders.yaml", alertProviderCRDYAML)
)

// CRD returns the CustomResourceDefinition of Canary. Each call returns a
// new deep copy that the caller may change. An error can only come from
// the embedded YAML, so a test catches it and it is the same on every
// call.
func CRD() (*apiextensionsv1.CustomResourceDefinition, error) {
	crd, err := decodedCRD()
	if err != nil {
		return nil, err
	}
	return crd.DeepCopy(), nil
}

// CRDs returns every CustomResourceDefinition of this package, Canary
// first, which sluice installs at start when they are missing; each a new
// deep copy, errors as CRD's.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, decoded := range []func() (*apiextensionsv1.CustomResourceDefinition, error){decodedCRD, decodedMetricTemplateCRD, decodedAlertProviderCRD} {
		crd, err := decoded()
		if err != nil {
			return nil, err
		}
		crds = append(crds, crd.DeepCopy())
	}
	return crds, nil
}
