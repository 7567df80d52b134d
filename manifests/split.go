package manifests

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// canary is a Canary policy of the rendering: the object as rendered, for
// server-side apply, and its decoded, defaulted and validated spec.
type canary struct {
	object
	policy *v1alpha1.Canary
	// kept is the object as built, before split modified it (see
	// decodings).
	kept *unstructured.Unstructured
}

// split separates the Canaries (kind Canary of group sluice.dev, or of
// Flagger's group, read as sluice's: see fromFlagger) from the other
// objects, which keep their order. Canaries come sorted by namespace and
// name; each is decoded strictly (unknown fields are errors), defaulted
// and validated, and so is each MetricTemplate and AlertProvider (read as
// sluice's when written in Flagger's group: see readFlaggerKind), which
// stays a plain object. The first that fails gives an *InvalidError.
// notices say what was read otherwise than written.
//
// With memo, Canaries are modified on copies, and the decoding of a
// Canary built in an earlier rendering is reused (see decodings).
func split(objects []object, defaultProvider string, memo *decodings) (plain []object, canaries []canary, notices []Notice, err error) {
	for _, obj := range objects {
		gvk := obj.GroupVersionKind()
		if isFlaggerKind(obj) {
			notice, err := readFlaggerKind(obj)
			if err != nil {
				return nil, nil, nil, err
			}
			if notice != "" {
				notices = append(notices, Notice{Message: notice})
			}
		}
		if gvk.Group != v1alpha1.GroupVersion.Group && gvk.Group != FlaggerGroup || gvk.Kind != "Canary" {
			plain = append(plain, obj)
			continue
		}
		kept := obj.Unstructured
		if decoded, ok := memo.canary(kept); ok {
			obj.Unstructured = decoded.object
			if decoded.notice != "" {
				notices = append(notices, Notice{Canary: types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}, Message: decoded.notice})
			}
			canaries = append(canaries, canary{object: obj, policy: decoded.policy.DeepCopy(), kept: kept})
			continue
		}
		if memo != nil {
			obj.Unstructured = &unstructured.Unstructured{Object: runtime.DeepCopyJSON(obj.Object)}
		}
		if provider, _, _ := unstructured.NestedString(obj.Object, "spec", "provider"); provider == "" && defaultProvider != "" {
			_ = unstructured.SetNestedField(obj.Object, defaultProvider, "spec", "provider")
		}
		notice, err := fromFlagger(obj)
		if err != nil {
			return nil, nil, nil, err
		}
		if notice != "" {
			notices = append(notices, Notice{Canary: types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}, Message: notice})
		}
		canaries = append(canaries, canary{object: obj, kept: kept})
		memo.noteCanary(kept, notice)
	}
	slices.SortFunc(canaries, func(a, b canary) int {
		return cmp.Or(cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
	})
	for i := range canaries {
		if canaries[i].policy != nil {
			continue
		}
		if canaries[i].policy, err = decodeCanary(canaries[i].object); err != nil {
			return nil, nil, nil, err
		}
		memo.keepCanary(canaries[i])
	}
	return plain, canaries, notices, nil
}

// decodeCanary decodes, defaults and validates a rendered Canary.
func decodeCanary(obj object) (*v1alpha1.Canary, error) {
	name := describe("canary", obj)
	if version := obj.GroupVersionKind().Version; version != v1alpha1.GroupVersion.Version {
		return nil, &InvalidError{Object: name, Field: "apiVersion", Reason: fmt.Sprintf("%s is not supported: use %s", obj.GetAPIVersion(), v1alpha1.GroupVersion)}
	}
	policy := &v1alpha1.Canary{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj.Object, policy, true); err != nil {
		return nil, &InvalidError{Object: name, Reason: "does not decode: " + err.Error(), Err: err}
	}
	policy.Default()
	if err := policy.Validate(); err != nil {
		return nil, invalidCanary(name, err)
	}
	return policy, nil
}

// invalidCanary wraps the error of Canary validation. When it is about a
// single field (a *field.Error), Field and Reason come from it; otherwise
// Reason is the whole message, without the Canary's name that starts it.
func invalidCanary(name string, err error) *InvalidError {
	message := strings.TrimPrefix(err.Error(), name+": ")
	var fieldErr *field.Error
	if errors.As(err, &fieldErr) && fieldErr.Error() == message {
		return &InvalidError{Object: name, Field: fieldErr.Field, Reason: fieldErr.ErrorBody(), Err: err}
	}
	return &InvalidError{Object: name, Reason: message, Err: err}
}

// describe names an object for messages: "canary flagger/detail".
func describe(kind string, obj object) string {
	if obj.GetNamespace() == "" {
		return kind + " " + obj.GetName()
	}
	return kind + " " + obj.GetNamespace() + "/" + obj.GetName()
}
