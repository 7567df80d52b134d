package manifests

import (
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// autoscalers indexes the HorizontalPodAutoscalers among rendered objects,
// of any version, by namespace and name.
type autoscalers map[types.NamespacedName]object

func autoscalerIndex(objects []object) autoscalers {
	index := autoscalers{}
	for _, obj := range objects {
		if gvk := obj.GroupVersionKind(); gvk.Group == "autoscaling" && gvk.Kind == "HorizontalPodAutoscaler" {
			index[types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}] = obj
		}
	}
	return index
}

// find returns the rendered HorizontalPodAutoscaler that the Canary's
// spec.autoscalerRef names, decoded; nil when it names none. One that is
// not in the rendering, is not autoscaling/v2, or scales another workload
// than the Canary's target Deployment is an *InvalidError naming the Canary
// and spec.autoscalerRef: a primary whose autoscaler cannot be made must
// not be installed half.
func (index autoscalers) find(c canary, target string) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	ref := c.policy.Spec.AutoscalerRef
	if ref == nil {
		return nil, nil
	}
	invalid := func(format string, args ...any) error {
		return &InvalidError{Object: describe("canary", c.object), Field: "spec.autoscalerRef", Reason: fmt.Sprintf(format, args...)}
	}
	obj, ok := index[types.NamespacedName{Namespace: c.GetNamespace(), Name: ref.Name}]
	if !ok {
		return nil, invalid("HorizontalPodAutoscaler %s not found in the rendered manifests", ref.Name)
	}
	if version := obj.GroupVersionKind().Version; version != "v2" {
		return nil, invalid("HorizontalPodAutoscaler %s is autoscaling/%s: write it as autoscaling/v2", ref.Name, version)
	}
	hpa := &autoscalingv2.HorizontalPodAutoscaler{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, hpa); err != nil {
		return nil, &InvalidError{Object: describe("horizontalpodautoscaler", obj), Reason: "does not decode: " + err.Error(), Err: err}
	}
	scales := hpa.Spec.ScaleTargetRef
	if scales.Kind != "Deployment" || scales.Name != target || (scales.APIVersion != "" && scales.APIVersion != "apps/v1") {
		return nil, invalid("HorizontalPodAutoscaler %s scales %s %s, not the target Deployment %s", ref.Name, scales.Kind, scales.Name, target)
	}
	return hpa, nil
}
