package manifests

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// decodings keep, across the renderings of a Renderer, what the steps
// after building decoded from the objects it kept: each Canary as split
// modified it (a copy) with its notice and its decoded policy, and each
// targeted Deployment decoded. They are found by the object as built,
// which the Renderer never modifies, so an entry reused is decoded once.
// What is handed out is copied, except the modified Canary objects, which
// are shared as the other objects of a Rendering are.
//
// Only the decodings used by the last rendering are kept. A nil
// *decodings keeps nothing.
type decodings struct {
	provider      string // the DefaultProvider they were made with
	old, last     decodingSet
	pendingNotice map[*unstructured.Unstructured]string
}

type decodingSet struct {
	canaries    map[*unstructured.Unstructured]decodedCanary
	deployments map[*unstructured.Unstructured]*appsv1.Deployment
}

func newDecodingSet() decodingSet {
	return decodingSet{canaries: map[*unstructured.Unstructured]decodedCanary{}, deployments: map[*unstructured.Unstructured]*appsv1.Deployment{}}
}

// decodedCanary is a Canary as split left it.
type decodedCanary struct {
	object *unstructured.Unstructured
	notice string
	policy *v1alpha1.Canary
}

// next returns the decodings for the next rendering, with provider as
// DefaultProvider: those of d used last, when d had the same provider.
func (d *decodings) next(provider string) *decodings {
	n := &decodings{provider: provider, last: newDecodingSet(), pendingNotice: map[*unstructured.Unstructured]string{}}
	if d != nil && d.provider == provider {
		n.old = d.last
	}
	return n
}

// canary returns the decoding of a Canary built as kept.
func (d *decodings) canary(kept *unstructured.Unstructured) (decodedCanary, bool) {
	if d == nil {
		return decodedCanary{}, false
	}
	decoded, ok := d.last.canaries[kept]
	if !ok {
		decoded, ok = d.old.canaries[kept]
	}
	if ok {
		d.last.canaries[kept] = decoded
	}
	return decoded, ok
}

// noteCanary notes the notice of a Canary being decoded.
func (d *decodings) noteCanary(kept *unstructured.Unstructured, notice string) {
	if d != nil {
		d.pendingNotice[kept] = notice
	}
}

// keepCanary keeps the decoding of a Canary.
func (d *decodings) keepCanary(c canary) {
	if d == nil {
		return
	}
	d.last.canaries[c.kept] = decodedCanary{object: c.Unstructured, notice: d.pendingNotice[c.kept], policy: c.policy.DeepCopy()}
}

// deployment returns a copy of the decoding of a Deployment.
func (d *decodings) deployment(obj *unstructured.Unstructured) (*appsv1.Deployment, bool) {
	if d == nil {
		return nil, false
	}
	decoded, ok := d.last.deployments[obj]
	if !ok {
		decoded, ok = d.old.deployments[obj]
	}
	if !ok {
		return nil, false
	}
	d.last.deployments[obj] = decoded
	return decoded.DeepCopy(), true
}

// keepDeployment keeps a copy of the decoding of a Deployment.
func (d *decodings) keepDeployment(obj *unstructured.Unstructured, deployment *appsv1.Deployment) {
	if d != nil {
		d.last.deployments[obj] = deployment.DeepCopy()
	}
}
