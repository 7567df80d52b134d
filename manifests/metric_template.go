package manifests

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// isMetricTemplate reports whether a rendered object is a MetricTemplate of
// sluice's group or of Flagger's.
func isMetricTemplate(obj object) bool {
	gvk := obj.GroupVersionKind()
	return gvk.Kind == "MetricTemplate" && (gvk.Group == v1alpha1.GroupVersion.Group || gvk.Group == FlaggerGroup)
}

// readMetricTemplate makes a rendered MetricTemplate sluice's, in place (a
// flagger.app/v1beta1 one becomes sluice.dev/v1alpha1; the notice says
// so), then decodes it strictly and validates it, so that a template a
// metric check would trip on is refused with the rendering, naming the
// field, before anything is applied.
func readMetricTemplate(obj object) (notice string, err error) {
	name := describe("metrictemplate", obj)
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
	var tmpl v1alpha1.MetricTemplate
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj.Object, &tmpl, true); err != nil {
		return notice, &InvalidError{Object: name, Reason: "does not decode: " + err.Error(), Err: err}
	}
	if err := tmpl.Validate(); err != nil {
		return notice, invalidCanary(name, err)
	}
	return notice, nil
}
