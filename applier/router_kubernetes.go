package applier

import (
	"context"
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// kubernetesRouting is blue/green without a mesh: the apex Service (see
// v1alpha1.Canary.ApexServiceName) selects either the primary pods (100/0) or the canary pods (0/100); there
// are no weights in between, and any other split is a *WeightsError. The
// apex Service is applied whole, as Services renders it from the live target
// Deployment, with only its selector switched, so that the two writers of it
// (the Services of a sync and this router) agree on everything else. A sync
// that applies Services' apex as is switches it back to the primary: during
// a blue/green rollout the router owns the apex's selector.
type kubernetesRouting struct{}

func (kubernetesRouting) objects(ctx context.Context, r client.Reader, canary *v1alpha1.Canary, s split) ([]*unstructured.Unstructured, error) {
	target, err := readTarget(ctx, r, canary)
	if err != nil {
		return nil, err
	}
	apex, err := blueGreenService(canary, target, s)
	if err != nil {
		return nil, err
	}
	obj, err := unstructuredOf(apex)
	if err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{obj}, nil
}

// split tells from the live apex Service's selector which pods it selects.
func (kubernetesRouting) split(ctx context.Context, r client.Reader, canary *v1alpha1.Canary) (split, error) {
	target, err := readTarget(ctx, r, canary)
	if err != nil {
		return split{}, err
	}
	name := canary.ApexServiceName()
	var apex corev1.Service
	if err := r.Get(ctx, client.ObjectKey{Namespace: canary.Namespace, Name: name}, &apex); err != nil {
		return split{}, fmt.Errorf("service %s: %w", name, err)
	}
	primary, canaryPods := podSelectors(target)
	switch {
	case maps.Equal(apex.Spec.Selector, primary):
		return split{primary: 100}, nil
	case maps.Equal(apex.Spec.Selector, canaryPods):
		return split{canary: 100}, nil
	}
	return split{}, fmt.Errorf("service %s: selector %v selects neither the primary pods (%v) nor the canary pods (%v)",
		name, apex.Spec.Selector, primary, canaryPods)
}

// blueGreenService returns the apex Service of canary selecting the pods
// that s sends all the traffic to; a split in between is a *WeightsError.
func blueGreenService(canary *v1alpha1.Canary, target *appsv1.Deployment, s split) (*corev1.Service, error) {
	primary, canaryPods := podSelectors(target)
	var selector map[string]string
	switch s {
	case split{primary: 100}:
		selector = primary
	case split{canary: 100}:
		selector = canaryPods
	default:
		return nil, &WeightsError{Primary: s.primary, Canary: s.canary,
			Reason: "provider kubernetes switches all the traffic at once: only 100/0 and 0/100"}
	}
	apex := Services(canary, target)[0]
	apex.Spec.Selector = selector
	return apex, nil
}

// podSelectors returns the selectors of the primary and the canary
// pods of target, as Services writes them.
func podSelectors(target *appsv1.Deployment) (primary, canary map[string]string) {
	selector := target.Spec.Selector.MatchLabels
	return primaryLabels(selector, selector), maps.Clone(selector)
}

// readTarget reads the Canary's target Deployment, whose selector tells the
// primary pods from the canary pods; a DaemonSet target is read as a
// Deployment with its metadata, selector and pod template. A target
// without matchLabels is an error, as for Primary.
func readTarget(ctx context.Context, r client.Reader, canary *v1alpha1.Canary) (*appsv1.Deployment, error) {
	var target appsv1.Deployment
	key := client.ObjectKey{Namespace: canary.Namespace, Name: canary.Spec.TargetRef.Name}
	if canary.Spec.TargetRef.Kind == v1alpha1.KindDaemonSet {
		var ds appsv1.DaemonSet
		if err := r.Get(ctx, key, &ds); err != nil {
			return nil, fmt.Errorf("daemonset %s: %w", key.Name, err)
		}
		target.ObjectMeta, target.Spec.Selector, target.Spec.Template = ds.ObjectMeta, ds.Spec.Selector, ds.Spec.Template
	} else if err := r.Get(ctx, key, &target); err != nil {
		return nil, fmt.Errorf("deployment %s: %w", key.Name, err)
	}
	if target.Spec.Selector == nil || len(target.Spec.Selector.MatchLabels) == 0 {
		return nil, fmt.Errorf("deployment %s: spec.selector.matchLabels is empty", key.Name)
	}
	return &target, nil
}

// owned is the apex Service, whose selector it switches.
func (kubernetesRouting) owned(canary *v1alpha1.Canary) []ownedObject {
	return []ownedObject{{gvk: corev1.SchemeGroupVersion.WithKind("Service"), name: canary.ApexServiceName()}}
}
