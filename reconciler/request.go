package reconciler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// manualRequest is the request `sluice promote|abort|pause|resume` left
// on a live Canary, for the planner; nil when there is none.
func manualRequest(live *v1alpha1.Canary) *v1alpha1.ManualRequest {
	req, ok := v1alpha1.RequestOf(live.Annotations)
	if !ok {
		return nil
	}
	return &req
}

// clearRequest removes the request annotations observed (observed holds
// the live Canary's annotations when the step began) once the planner
// handled the request and its outcome is persisted. The patch tests that
// they still say what was observed: a newer request written meanwhile
// fails the test and stays, for the next step.
func (r *Reconciler) clearRequest(ctx context.Context, canary *v1alpha1.Canary, observed map[string]string) error {
	var ops []map[string]any
	for _, key := range []string{v1alpha1.RequestAnnotation, v1alpha1.RequestedByAnnotation, v1alpha1.RequestedAtAnnotation} {
		value, ok := observed[key]
		if !ok {
			continue
		}
		path := "/metadata/annotations/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
		ops = append(ops, map[string]any{"op": "test", "path": path, "value": value})
	}
	for _, op := range ops[:len(ops):len(ops)] {
		ops = append(ops, map[string]any{"op": "remove", "path": op["path"]})
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		return err
	}
	err = r.client.Patch(ctx, canary.DeepCopy(), client.RawPatch(types.JSONPatchType, patch))
	switch {
	case err == nil, apierrors.IsInvalid(err), apierrors.IsNotFound(err), isFailedTest(err):
		// Cleared, or changed since it was read: either way nothing of
		// this request is left to clear.
		return nil
	default:
		return fmt.Errorf("canary %s/%s: clear request %s: %w", canary.Namespace, canary.Name, observed[v1alpha1.RequestAnnotation], err)
	}
}

// isFailedTest reports whether the API server refused a JSON patch for a
// failed test operation, whatever status it answered it with.
func isFailedTest(err error) bool {
	return strings.Contains(err.Error(), "testing value") || strings.Contains(err.Error(), "test failed")
}
