package reconciler

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
)

// A target is a Deployment or, with provider kubernetes, a DaemonSet
// (manifests.Target.DaemonSet). A DaemonSet has no replicas: its canary
// rests on no node (applier.ScaleDownNodeSelector) instead of at zero, and
// counts 1 replica when scaled up (applier.WorkloadReplicas).

// restingCanary is the canary as a first install applies it: the target
// at zero replicas, or a DaemonSet on no node.
func restingCanary(target manifests.Target) runtime.Object {
	if target.DaemonSet != nil {
		return applier.ScaledDownDaemonSet(daemonSetWithTypeMeta(target.DaemonSet))
	}
	return applier.ScaledToZero(withTypeMeta(target.Deployment))
}

// targetObject is the rendered target with its apiVersion and kind.
func targetObject(target manifests.Target) runtime.Object {
	if target.DaemonSet != nil {
		return daemonSetWithTypeMeta(target.DaemonSet)
	}
	return withTypeMeta(target.Deployment)
}

// primaryWorkload is the primary made from target at its revision.
func primaryWorkload(target manifests.Target, commit string, replicas *int32) (runtime.Object, error) {
	if target.DaemonSet != nil {
		return applier.PrimaryDaemonSet(target.DaemonSet, target.Revision, commit, trackedConfigs(target))
	}
	primary, err := applier.Primary(target.Deployment, target.Revision, commit, trackedConfigs(target))
	if err != nil {
		return nil, err
	}
	if replicas != nil {
		primary.Spec.Replicas = replicas
	}
	return primary, nil
}

// canaryApplied is the rendered target as ApplyCanary applies it, keeping
// the scale the live canary has: its replicas, or for a DaemonSet whether
// it runs on the nodes.
func canaryApplied(target manifests.Target, replicas int32) runtime.Object {
	if target.DaemonSet != nil {
		ds := daemonSetWithTypeMeta(target.DaemonSet)
		if replicas == 0 {
			ds = applier.ScaledDownDaemonSet(ds)
		}
		return ds
	}
	deploy := withTypeMeta(target.Deployment)
	deploy.Spec.Replicas = &replicas
	return deploy
}

// daemonSetWithTypeMeta returns ds with apiVersion and kind set.
func daemonSetWithTypeMeta(ds *appsv1.DaemonSet) *appsv1.DaemonSet {
	ds = ds.DeepCopy()
	ds.TypeMeta = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}
	return ds
}
