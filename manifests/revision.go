package manifests

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// ConfigRef is a ConfigMap or Secret that a target's pod template mounts
// (volumes, projected volume sources) or reads (env valueFrom, envFrom), in
// any container or init container, optional or not. It never holds the
// values of the data, only their hash.
type ConfigRef struct {
	// Kind is "ConfigMap" or "Secret".
	Kind string
	// Name of the object, in the target's namespace.
	Name string
	// InRender is true when the object is part of the same rendering; its
	// data then counts in the target's revision. False means it lives only
	// in the cluster (or nowhere): it is listed so the caller can track it,
	// and it does not count in the revision.
	InRender bool
	// DataHash is the lowercase hex SHA-256 of the canonical JSON (keys
	// sorted, no spaces) of the object with only its data, binaryData and
	// stringData fields, as rendered; empty when not InRender.
	DataHash string
}

// Key returns "configmap/NAME" or "secret/NAME", the key of
// v1alpha1.CanaryStatus.TrackedConfigs.
func (c ConfigRef) Key() string { return strings.ToLower(c.Kind) + "/" + c.Name }

// configRefs lists the ConfigMaps and Secrets a pod spec mounts or reads,
// sorted by kind then name, each once.
func configRefs(spec *corev1.PodSpec) []ConfigRef {
	seen := map[ConfigRef]bool{}
	add := func(kind, name string) {
		if name != "" {
			seen[ConfigRef{Kind: kind, Name: name}] = true
		}
	}
	for _, volume := range spec.Volumes {
		if volume.ConfigMap != nil {
			add("ConfigMap", volume.ConfigMap.Name)
		}
		if volume.Secret != nil {
			add("Secret", volume.Secret.SecretName)
		}
		if volume.Projected == nil {
			continue
		}
		for _, source := range volume.Projected.Sources {
			if source.ConfigMap != nil {
				add("ConfigMap", source.ConfigMap.Name)
			}
			if source.Secret != nil {
				add("Secret", source.Secret.Name)
			}
		}
	}
	for _, container := range slices.Concat(spec.InitContainers, spec.Containers) {
		for _, env := range container.Env {
			if env.ValueFrom == nil {
				continue
			}
			if ref := env.ValueFrom.ConfigMapKeyRef; ref != nil {
				add("ConfigMap", ref.Name)
			}
			if ref := env.ValueFrom.SecretKeyRef; ref != nil {
				add("Secret", ref.Name)
			}
		}
		for _, from := range container.EnvFrom {
			if from.ConfigMapRef != nil {
				add("ConfigMap", from.ConfigMapRef.Name)
			}
			if from.SecretRef != nil {
				add("Secret", from.SecretRef.Name)
			}
		}
	}
	refs := make([]ConfigRef, 0, len(seen))
	for ref := range seen {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b ConfigRef) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	return refs
}

// configKey finds a ConfigMap or Secret of the rendering.
type configKey struct {
	kind string
	types.NamespacedName
}

// configIndex indexes the core/v1 ConfigMaps and Secrets among objects.
func configIndex(objects []object) map[configKey]object {
	index := map[configKey]object{}
	for _, obj := range objects {
		gvk := obj.GroupVersionKind()
		if gvk.Group == "" && gvk.Version == "v1" && (gvk.Kind == "ConfigMap" || gvk.Kind == "Secret") {
			index[configKey{gvk.Kind, types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}}] = obj
		}
	}
	return index
}

// dataHash returns the DataHash of a rendered ConfigMap or Secret.
//
// With a key, a Secret's hash is an HMAC-SHA256 under the key instead: a
// plain hash of a low-entropy secret, shown in a Canary's status, could be
// guessed offline.
func dataHash(u *unstructured.Unstructured, key []byte) (string, error) {
	data := map[string]any{}
	for _, field := range []string{"data", "binaryData", "stringData"} {
		if value, ok := u.Object[field]; ok {
			data[field] = value
		}
	}
	if len(key) > 0 && u.GetKind() == "Secret" {
		encoded, err := json.Marshal(data)
		if err != nil {
			return "", err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write(encoded)
		return hex.EncodeToString(mac.Sum(nil)), nil
	}
	return hashJSON(data)
}

// revision returns a target's revision: the lowercase hex SHA-256 of the
// canonical JSON (keys sorted, no spaces) of
//
//	{"configs": [{"dataHash": …, "kind": …, "name": …}, …], "template": …}
//
// where template is the Deployment's spec.template exactly as rendered and
// configs are its ConfigRefs InRender, in order ("configs" is left out
// when there are none). The rest of the Deployment (metadata,
// spec.replicas, the strategy, …) does not count.
func revision(template any, configs []ConfigRef) (string, error) {
	type hashed struct {
		DataHash string `json:"dataHash"`
		Kind     string `json:"kind"`
		Name     string `json:"name"`
	}
	doc := map[string]any{"template": template}
	var found []hashed
	for _, config := range configs {
		if config.InRender {
			found = append(found, hashed{config.DataHash, config.Kind, config.Name})
		}
	}
	if len(found) > 0 {
		doc["configs"] = found
	}
	return hashJSON(doc)
}

// hashJSON returns the lowercase hex SHA-256 of the JSON encoding of v,
// which is canonical for maps (keys sorted) and unstructured values.
func hashJSON(v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
