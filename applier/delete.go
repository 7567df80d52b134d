package applier

import (
	"github.com/fluxcd/pkg/ssa"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// deleteOptions deletes in the background, only objects carrying inclusions.
func deleteOptions(inclusions map[string]string) ssa.DeleteOptions {
	return ssa.DeleteOptions{PropagationPolicy: metav1.DeletePropagationBackground, Inclusions: inclusions}
}
