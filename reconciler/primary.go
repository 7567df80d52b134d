package reconciler

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
)

// primaryObjects returns what makes target's primary at its rendered
// revision, from commit: the -primary copies of the ConfigMaps and Secrets
// it tracks, then the primary Deployment (or DaemonSet) that reads them and records the
// revision and commit. Applied in this order, the primary's new pods find
// their config. The primary asks for replicas, or for the target's when
// nil (see scaledReplicas: an autoscaled primary keeps its count).
func primaryObjects(target manifests.Target, commit string, replicas *int32) ([]*unstructured.Unstructured, error) {
	copies, err := applier.PrimaryConfigs(target.ConfigObjects)
	if err != nil {
		return nil, err
	}
	primary, err := primaryWorkload(target, commit, replicas)
	if err != nil {
		return nil, err
	}
	deploy, err := applier.ToUnstructured(primary)
	if err != nil {
		return nil, err
	}
	return append(copies, deploy...), nil
}

// trackedConfigs lists the configs of target that its primary reads from
// -primary copies: those in the rendering. A config that lives only in the
// cluster is read by primary and canary alike, as Git cannot change it.
func trackedConfigs(target manifests.Target) []applier.TrackedConfig {
	var tracked []applier.TrackedConfig
	for _, ref := range target.Configs {
		if ref.InRender {
			tracked = append(tracked, applier.TrackedConfig{Kind: ref.Kind, Name: ref.Name})
		}
	}
	return tracked
}

// trackedHashes is the Canary status's trackedConfigs for a primary made
// from target: "configmap/NAME" or "secret/NAME" to the hash of its data.
// Nil when the target tracks none.
func trackedHashes(target manifests.Target) map[string]string {
	var hashes map[string]string
	for _, ref := range target.Configs {
		if !ref.InRender {
			continue
		}
		if hashes == nil {
			hashes = map[string]string{}
		}
		hashes[ref.Key()] = ref.DataHash
	}
	return hashes
}

// trackedSkeletons names the -primary copies a status's trackedConfigs
// lists, for the inventory: the primary reads them until the next
// promotion, even when the rendering no longer has the config.
func trackedSkeletons(namespace string, tracked map[string]string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for key := range tracked {
		kind, name, ok := splitTrackedKey(key)
		if !ok {
			continue
		}
		obj := &unstructured.Unstructured{}
		obj.SetAPIVersion("v1")
		obj.SetKind(kind)
		obj.SetNamespace(namespace)
		obj.SetName(applier.PrimaryConfigName(name))
		out = append(out, obj)
	}
	return out
}

// splitTrackedKey splits "configmap/NAME" or "secret/NAME".
func splitTrackedKey(key string) (kind, name string, ok bool) {
	for prefix, kind := range map[string]string{"configmap/": "ConfigMap", "secret/": "Secret"} {
		if len(key) > len(prefix) && key[:len(prefix)] == prefix {
			return kind, key[len(prefix):], true
		}
	}
	return "", "", false
}
