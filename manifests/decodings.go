package manifests

import (
	"bytes"
	"fmt"
	"strings"

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
	secretKey     []byte // the SecretKey
	old, last     decodingSet
	pendingNotice map[*unstructured.Unstructured]string
}

type decodingSet struct {
	canaries    map[*unstructured.Unstructured]decodedCanary
	deployments map[*unstructured.Unstructured]*appsv1.Deployment
	dataHashes  map[*unstructured.Unstructured]string
	revisions   map[revisionKey]string
}

// revisionKey is what a revision is made of: the workload's pod template
// and the configs found (see revision).
type revisionKey struct {
	workload *unstructured.Unstructured
	configs  string
}

func newDecodingSet() decodingSet {
	return decodingSet{
		canaries:    map[*unstructured.Unstructured]decodedCanary{},
		deployments: map[*unstructured.Unstructured]*appsv1.Deployment{},
		dataHashes:  map[*unstructured.Unstructured]string{},
		revisions:   map[revisionKey]string{},
	}
}

// decodedCanary is a Canary as split left it.
type decodedCanary struct {
	object *unstructured.Unstructured
	notice string
	policy *v1alpha1.Canary
}

// next returns the decodings for the next rendering, with provider as
// DefaultProvider and secretKey as SecretKey: those of d used last, when d
// had the same.
func (d *decodings) next(provider string, secretKey []byte) *decodings {
	n := &decodings{provider: provider, secretKey: bytes.Clone(secretKey), last: newDecodingSet(), pendingNotice: map[*unstructured.Unstructured]string{}}
	if d != nil && d.provider == provider && bytes.Equal(d.secretKey, secretKey) {
		n.old = d.last
	}
	return n
}

// dataHash is dataHash, computed once per config object kept.
func (d *decodings) dataHash(config *unstructured.Unstructured, secretKey []byte) (string, error) {
	if d == nil {
		return dataHash(config, secretKey)
	}
	hash, ok := d.last.dataHashes[config]
	if !ok {
		hash, ok = d.old.dataHashes[config]
	}
	if !ok {
		var err error
		if hash, err = dataHash(config, secretKey); err != nil {
			return "", err
		}
	}
	d.last.dataHashes[config] = hash
	return hash, nil
}

// revision is revision of the pod template of workload, computed once per
// workload object kept and configs.
func (d *decodings) revision(workload *unstructured.Unstructured, template any, configs []ConfigRef) (string, error) {
	if d == nil {
		return revision(template, configs)
	}
	var summary strings.Builder
	for _, config := range configs {
		fmt.Fprintf(&summary, "%s\x00%s\x00%t\x00%s\x00", config.Kind, config.Name, config.InRender, config.DataHash)
	}
	key := revisionKey{workload, summary.String()}
	rev, ok := d.last.revisions[key]
	if !ok {
		rev, ok = d.old.revisions[key]
	}
	if !ok {
		var err error
		if rev, err = revision(template, configs); err != nil {
			return "", err
		}
	}
	d.last.revisions[key] = rev
	return rev, nil
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
