package applier

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// inventoryKey is the data key of the inventory ConfigMap.
const inventoryKey = "objects"

// Inventory is the set of objects sluice applied, each as
// "group/version/Kind/namespace/name" (empty group for the core API), sorted.
type Inventory []string

// InventoryOf returns the inventory entries of objects.
func InventoryOf(objects []*unstructured.Unstructured) Inventory {
	inv := make(Inventory, 0, len(objects))
	for _, obj := range objects {
		gvk := obj.GroupVersionKind()
		inv = append(inv, strings.Join([]string{gvk.Group, gvk.Version, gvk.Kind, obj.GetNamespace(), obj.GetName()}, "/"))
	}
	slices.Sort(inv)
	return slices.Compact(inv)
}

// Minus returns the entries of inv that are not in other.
func (inv Inventory) Minus(other Inventory) Inventory {
	var gone Inventory
	for _, entry := range inv {
		if _, found := slices.BinarySearch(other, entry); !found {
			gone = append(gone, entry)
		}
	}
	return gone
}

// Union returns the entries of inv and other, sorted, each once.
func (inv Inventory) Union(other Inventory) Inventory {
	out := slices.Concat(inv, other)
	slices.Sort(out)
	return slices.Compact(out)
}

// object returns a skeleton object for an inventory entry.
func inventoryObject(entry string) (*unstructured.Unstructured, error) {
	parts := strings.Split(entry, "/")
	if len(parts) != 5 {
		return nil, fmt.Errorf("applier: inventory entry %q is not group/version/Kind/namespace/name", entry)
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(schema.GroupVersionKind{Group: parts[0], Version: parts[1], Kind: parts[2]})
	obj.SetNamespace(parts[3])
	obj.SetName(parts[4])
	return obj, nil
}

// inventoryName is the ConfigMap holding the inventory of the owner.
func (a *Applier) inventoryName() client.ObjectKey {
	return client.ObjectKey{Namespace: a.opts.OwnerNamespace, Name: a.opts.Owner + "-inventory"}
}

// savedInventory is the inventory an Applier last read or wrote, and
// when. One sluice writes its inventory (one owner per process, a Lease
// across replicas), so what it last saw is what the ConfigMap holds; the
// ConfigMap is read again after InventoryRecheck all the same, in case
// someone changed or deleted it by hand.
type savedInventory struct {
	mu  sync.Mutex
	inv Inventory
	at  time.Time
}

// InventoryRecheck is how long the inventory an Applier with
// Options.Metadata last read or wrote is trusted without reading it again.
const InventoryRecheck = 10 * time.Minute

// remembered returns the saved inventory while it is trusted.
func (s *savedInventory) remembered(now time.Time) (Inventory, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.at.IsZero() || now.Sub(s.at) >= InventoryRecheck {
		return nil, false
	}
	return slices.Clone(s.inv), true
}

// remember saves inv as what the ConfigMap holds at now; forget drops it.
func (s *savedInventory) remember(inv Inventory, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inv, s.at = slices.Clone(inv), now
}

func (s *savedInventory) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inv, s.at = nil, time.Time{}
}

// ReadInventory returns the inventory saved by the last WriteInventory, or
// nil when there is none. With Options.Metadata, the inventory this
// Applier last read or wrote is returned without a request for
// InventoryRecheck.
func (a *Applier) ReadInventory(ctx context.Context) (Inventory, error) {
	if a.opts.Metadata != nil {
		if inv, ok := a.saved.remembered(time.Now()); ok {
			return inv, nil
		}
	}
	inv, err := a.readInventory(ctx)
	if err == nil && a.opts.Metadata != nil {
		a.saved.remember(inv, time.Now())
	}
	return inv, err
}

// readInventory reads the inventory ConfigMap.
func (a *Applier) readInventory(ctx context.Context) (Inventory, error) {
	var cm corev1.ConfigMap
	if err := a.client.Get(ctx, a.inventoryName(), &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("applier: read inventory %s: %w", a.inventoryName(), err)
	}
	text := strings.TrimSpace(cm.Data[inventoryKey])
	if text == "" {
		return nil, nil
	}
	inv := Inventory(strings.Split(text, "\n"))
	slices.Sort(inv)
	return inv, nil
}

// WriteInventory saves inv in a ConfigMap in the owner namespace. It writes
// only when the inventory changed.
func (a *Applier) WriteInventory(ctx context.Context, inv Inventory) error {
	current, err := a.ReadInventory(ctx)
	if err != nil {
		return err
	}
	if slices.Equal(current, inv) && current != nil {
		return nil
	}
	key := a.inventoryName()
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": "sluice"}},
		Data:       map[string]string{inventoryKey: strings.Join(inv, "\n")},
	}
	if err := a.client.Patch(ctx, cm, client.Apply, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		a.saved.forget()
		return fmt.Errorf("applier: write inventory %s: %w", key, err)
	}
	if a.opts.Metadata != nil {
		a.saved.remember(inv, time.Now())
	}
	return nil
}

// Prune deletes the objects of previous that are not in current and that
// still carry sluice's owner labels (an object someone else took over is
// left alone). Namespaces and CRDs are never pruned: deleting them would
// delete everything in them.
func (a *Applier) Prune(ctx context.Context, previous, current Inventory) (Changes, error) {
	var objects []*unstructured.Unstructured
	for _, entry := range previous.Minus(current) {
		obj, err := inventoryObject(entry)
		if err != nil {
			return nil, err
		}
		if kind := obj.GetKind(); kind == "Namespace" || kind == "CustomResourceDefinition" {
			continue
		}
		objects = append(objects, obj)
	}
	if len(objects) == 0 {
		return nil, nil
	}
	if a.proven != nil {
		for _, obj := range objects {
			a.proven.forget(keyOfObject(obj))
		}
	}
	cs, err := a.manager.DeleteAll(ctx, objects, deleteOptions(a.manager.GetOwnerLabels(a.opts.Owner, a.opts.OwnerNamespace)))
	changes := fromChangeSet(cs)
	if err != nil {
		return changes, fmt.Errorf("applier: prune: %w", err)
	}
	return changes, nil
}
