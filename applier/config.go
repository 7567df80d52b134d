package applier

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// TrackedConfig names a ConfigMap or Secret that the primary reads from its
// -primary copy, so that the primary keeps its config while the canary
// tries a new one.
type TrackedConfig struct {
	// Kind is "ConfigMap" or "Secret"; any other kind is ignored.
	Kind string
	// Name of the object the rendered pod template references.
	Name string
}

// PrimaryConfigName is the name of the -primary copy of a tracked config.
func PrimaryConfigName(name string) string { return name + "-primary" }

// PrimaryConfigs returns the -primary copies of rendered ConfigMaps and
// Secrets: same namespace, labels, type and data, named PrimaryConfigName,
// without the rendering's annotations (a kustomize generator's, or
// last-applied ones), and without status, owners or server fields. The
// inputs are not modified. An object of another kind is an error.
func PrimaryConfigs(configs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	copies := make([]*unstructured.Unstructured, 0, len(configs))
	for _, config := range configs {
		kind := config.GetKind()
		if kind != "ConfigMap" && kind != "Secret" {
			return nil, fmt.Errorf("%s %s/%s: only a ConfigMap or a Secret has a primary copy", kind, config.GetNamespace(), config.GetName())
		}
		c := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1",
			"kind":       kind,
		}}
		for _, field := range []string{"data", "binaryData", "stringData", "type", "immutable"} {
			if value, ok := config.Object[field]; ok {
				c.Object[field] = runtime.DeepCopyJSONValue(value)
			}
		}
		c.SetNamespace(config.GetNamespace())
		c.SetName(PrimaryConfigName(config.GetName()))
		c.SetLabels(config.GetLabels())
		copies = append(copies, c)
	}
	return copies, nil
}

// usePrimaryConfigs points every reference of spec to a tracked config at
// its -primary copy: volumes (configMap, secret and projected sources) and,
// in init containers and containers, env valueFrom and envFrom.
func usePrimaryConfigs(spec *corev1.PodSpec, tracked []TrackedConfig) {
	configMaps, secrets := map[string]bool{}, map[string]bool{}
	for _, t := range tracked {
		switch t.Kind {
		case "ConfigMap":
			configMaps[t.Name] = true
		case "Secret":
			secrets[t.Name] = true
		}
	}
	rename := func(set map[string]bool, name *string) {
		if set[*name] {
			*name = PrimaryConfigName(*name)
		}
	}
	for i := range spec.Volumes {
		v := &spec.Volumes[i].VolumeSource
		if v.ConfigMap != nil {
			rename(configMaps, &v.ConfigMap.Name)
		}
		if v.Secret != nil {
			rename(secrets, &v.Secret.SecretName)
		}
		if v.Projected == nil {
			continue
		}
		for j := range v.Projected.Sources {
			source := &v.Projected.Sources[j]
			if source.ConfigMap != nil {
				rename(configMaps, &source.ConfigMap.Name)
			}
			if source.Secret != nil {
				rename(secrets, &source.Secret.Name)
			}
		}
	}
	for _, containers := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range containers {
			c := &containers[i]
			for j := range c.Env {
				from := c.Env[j].ValueFrom
				if from != nil && from.ConfigMapKeyRef != nil {
					rename(configMaps, &from.ConfigMapKeyRef.Name)
				}
				if from != nil && from.SecretKeyRef != nil {
					rename(secrets, &from.SecretKeyRef.Name)
				}
			}
			for j := range c.EnvFrom {
				if ref := c.EnvFrom[j].ConfigMapRef; ref != nil {
					rename(configMaps, &ref.Name)
				}
				if ref := c.EnvFrom[j].SecretRef; ref != nil {
					rename(secrets, &ref.Name)
				}
			}
		}
	}
}
