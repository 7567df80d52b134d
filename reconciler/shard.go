package reconciler

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
)

// ShardLabel, on an object in Git, names the shard of sluice that acts on
// it: the sluice run with --shard-key set to the label's value. Objects
// without it belong to the sluice run without --shard-key. Every object
// has exactly one shard, so two shards never act on the same object.
const ShardLabel = "sluice.dev/shard"

// shardOf is the shard of an object of Git: its ShardLabel, "" without.
func shardOf(labels map[string]string) string { return labels[ShardLabel] }

// splitShard splits a rendering into the part of shard key and the part
// of the other shards. A Canary and its target must be in the same
// shard: one that is not is an *manifests.InvalidError naming the Canary
// and the label. Notices go with the Canaries they are about (those about
// no Canary stay with mine).
func splitShard(rendering *manifests.Rendering, key string) (mine, others *manifests.Rendering, err error) {
	mine, others = &manifests.Rendering{}, &manifests.Rendering{}
	for _, obj := range rendering.Objects {
		if shardOf(obj.GetLabels()) == key {
			mine.Objects = append(mine.Objects, obj)
		} else {
			others.Objects = append(others.Objects, obj)
		}
	}
	inMine := map[types.NamespacedName]bool{}
	for i, canary := range rendering.Canaries {
		target := rendering.Targets[i]
		shard := shardOf(rendering.CanaryObjects[i].GetLabels())
		if targetShard := shardOf(target.Deployment.Labels); targetShard != shard {
			return nil, nil, &manifests.InvalidError{
				Object: fmt.Sprintf("canary %s/%s", canary.Namespace, canary.Name), Field: "metadata.labels[" + ShardLabel + "]",
				Reason: fmt.Sprintf("the Canary is in shard %s and its target %s %s in shard %s: a Canary and its target must be in the same shard",
					shardName(shard), target.Kind(), target.Deployment.Name, shardName(targetShard)),
			}
		}
		part := others
		if shard == key {
			part = mine
			inMine[client.ObjectKeyFromObject(canary)] = true
		}
		part.Canaries = append(part.Canaries, canary)
		part.CanaryObjects = append(part.CanaryObjects, rendering.CanaryObjects[i])
		part.Targets = append(part.Targets, target)
	}
	for _, notice := range rendering.Notices {
		if notice.Canary == (types.NamespacedName{}) || inMine[notice.Canary] {
			mine.Notices = append(mine.Notices, notice)
		}
	}
	return mine, others, nil
}

// shardName names a shard in messages: its key, quoted, or "(none)".
func shardName(key string) string {
	if key == "" {
		return `"" (no ` + ShardLabel + ` label)`
	}
	return fmt.Sprintf("%q", key)
}

// otherShards returns the entries of previous that another shard now owns:
// the objects of Git in the other shards' part, their Canaries, and what
// sluice generated for those Canaries (primaries, Services, routing
// objects, config copies). They are not pruned and leave this shard's
// inventory: the shard they moved to takes them over with its next apply,
// so an app moved between shards is never deleted on the way.
func (r *Reconciler) otherShards(ctx context.Context, others *manifests.Rendering, previous applier.Inventory) (applier.Inventory, error) {
	if len(others.Objects) == 0 && len(others.Canaries) == 0 {
		return nil, nil
	}
	had := make(map[string]bool, len(previous))
	for _, entry := range previous {
		had[entry] = true
	}
	var moved applier.Inventory
	for _, entry := range applier.InventoryOf(append(append([]*unstructured.Unstructured{}, others.Objects...), others.CanaryObjects...)) {
		if had[entry] {
			moved = append(moved, entry)
		}
	}
	for i, canary := range others.Canaries {
		entries := applier.InventoryOf(others.CanaryObjects[i : i+1])
		if len(entries) == 0 || !had[entries[0]] {
			continue // never this shard's
		}
		// The config copies are named in the live status.
		var live v1alpha1.Canary
		if err := r.client.Get(ctx, client.ObjectKeyFromObject(canary), &live); err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
		live.Spec, live.ObjectMeta = canary.Spec, canary.ObjectMeta
		for _, entry := range generatedFor(&live, others.Targets[i].Deployment, others.Targets[i].Kind()) {
			if had[entry] {
				moved = append(moved, entry)
			}
		}
	}
	slices.Sort(moved)
	return slices.Compact(moved), nil
}
