package manifests

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// flaggerKinds are the kinds of Flagger's group besides Canary that sluice
// reads as its own: each is decoded strictly and validated by validate.
var flaggerKinds = map[string]func(map[string]any) error{
	"MetricTemplate": func(content map[string]any) error {
		var tmpl v1alpha1.MetricTemplate
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(content, &tmpl, true); err != nil {
			return errDecode{err}
		}
		return tmpl.Validate()
	},
	"AlertProvider": func(content map[string]any) error {
		var provider v1alpha1.AlertProvider
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(content, &provider, true); err != nil {
			return errDecode{err}
		}
		return provider.Validate()
	},
}

// errDecode is a strict decoding error, as opposed to a validation one.
type errDecode struct{ error }

// isFlaggerKind reports whether a rendered object is a MetricTemplate or
// an AlertProvider of sluice's group or of Flagger's.
func isFlaggerKind(obj object) bool {
	gvk := obj.GroupVersionKind()
	_, known := flaggerKinds[gvk.Kind]
	return known && (gvk.Group == v1alpha1.GroupVersion.Group || gvk.Group == FlaggerGroup)
}

// readFlaggerKind makes a rendered MetricTemplate or AlertProvider
// sluice's, in place (a flagger.app/v1beta1 one becomes
// sluice.dev/v1alpha1; the notice says so), then decodes it strictly and
// validates it, so that an object a check or an alert would trip on is
// refused with the rendering, naming the field, before anything is
// applied.
func readFlaggerKind(obj object) (notice string, err error) {
	name := describe(strings.ToLower(obj.GetKind()), obj)
	if obj.GroupVersionKind().Group == FlaggerGroup {
		if obj.GroupVersionKind().Version != "v1beta1" {
			return "", &InvalidError{Object: name, Field: "apiVersion", Reason: fmt.Sprintf("%s is not supported: use %s", obj.GetAPIVersion(), v1alpha1.GroupVersion)}
		}
		notice = fmt.Sprintf("%s is written as %s: sluice reads it as %s; `sluice convert` writes it so in Git", name, obj.GetAPIVersion(), v1alpha1.GroupVersion)
		obj.SetAPIVersion(v1alpha1.GroupVersion.String())
	}
	if version := obj.GroupVersionKind().Version; version != v1alpha1.GroupVersion.Version {
		return notice, &InvalidError{Object: name, Field: "apiVersion", Reason: fmt.Sprintf("%s is not supported: use %s", obj.GetAPIVersion(), v1alpha1.GroupVersion)}
	}
	if err := flaggerKinds[obj.GetKind()](obj.Object); err != nil {
		var decode errDecode
		if errors.As(err, &decode) {
			return notice, &InvalidError{Object: name, Reason: "does not decode: " + decode.Error(), Err: decode.error}
		}
		return notice, invalidCanary(name, err)
	}
	return notice, nil
}
