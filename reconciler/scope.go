package reconciler

import (
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/manifests"
)

// checkScope refuses a rendering with objects outside Options.Namespace,
// when set.
func (r *Reconciler) checkScope(rendering *manifests.Rendering) error {
	if r.opts.Namespace == "" {
		return nil
	}
	for _, obj := range append(rendering.Objects, rendering.CanaryObjects...) {
		if obj.GetNamespace() != r.opts.Namespace {
			where := "is cluster-scoped"
			if obj.GetNamespace() != "" {
				where = "is in namespace " + obj.GetNamespace()
			}
			return fmt.Errorf("%s %s: %s, outside the namespace sluice is limited to (%s)", obj.GetKind(), obj.GetName(), where, r.opts.Namespace)
		}
	}
	return nil
}

func asInvalid(err error, target **manifests.InvalidError) bool { return errors.As(err, target) }
