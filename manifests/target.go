package manifests

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// Target is the Deployment or DaemonSet a Canary rolls out, as rendered.
type Target struct {
	// Canary names the Canary whose target this is.
	Canary types.NamespacedName
	// Deployment is the rendered apps/v1 Deployment, in the Canary's
	// namespace, decoded. It is also among Rendering.Objects. For a
	// DaemonSet target it is a view of the DaemonSet for what reads a
	// workload's pods: its name, namespace, labels, annotations, selector
	// and pod template, no replicas; it is not among Rendering.Objects.
	Deployment *appsv1.Deployment
	// DaemonSet is the rendered apps/v1 DaemonSet when the Canary targets
	// one (targetRef kind DaemonSet), decoded; nil for a Deployment. It is
	// also among Rendering.Objects.
	DaemonSet *appsv1.DaemonSet
	// Revision identifies the pod template and the data of its ConfigMaps
	// and Secrets found in the rendering: a lowercase hex SHA-256 of 64
	// characters (see ConfigRef for what counts). Equal revisions mean the
	// same pods; spec.replicas and the rest of the Deployment do not count.
	// Two templates that mean the same but are written differently (cpu
	// "1" and "1000m", "resources: {}" and nothing) have different
	// revisions: the revision tells what Git says.
	Revision string
	// Configs are the ConfigMaps and Secrets the pod template uses, sorted
	// by kind then name.
	Configs []ConfigRef
	// ConfigObjects are the rendered ConfigMaps and Secrets of Configs that
	// are InRender, in the order of Configs. They are also among
	// Rendering.Objects; the primary runs on copies of them. They hold
	// Secret data, so a Target never serializes them (json:"-"): printing
	// a Target shows no secret.
	ConfigObjects []*unstructured.Unstructured `json:"-"`
	// Autoscaler is the rendered HorizontalPodAutoscaler (autoscaling/v2)
	// that the Canary's spec.autoscalerRef names, decoded; it scales the
	// Deployment and is also among Rendering.Objects. Nil when the Canary
	// names none. It is not part of the Revision.
	Autoscaler *autoscalingv2.HorizontalPodAutoscaler
	// SourceFiles are the checkout files that fed the target, relative to
	// the checkout root, slash-separated, sorted; see Render for what
	// "fed" means.
	SourceFiles []string
}

// Kind is the kind of the target: Deployment or DaemonSet.
func (t Target) Kind() string {
	if t.DaemonSet != nil {
		return "DaemonSet"
	}
	return "Deployment"
}

// workloadKey names a rendered Deployment or DaemonSet.
type workloadKey struct {
	kind string
	types.NamespacedName
}

// targeting finds the Deployment (or DaemonSet) that each Canary targets.
type targeting struct {
	workloads map[workloadKey]object
	// taken maps a workload to the Canary that targets it.
	taken map[workloadKey]types.NamespacedName
}

// newTargeting indexes the apps/v1 Deployments and DaemonSets among
// objects.
func newTargeting(objects []object) *targeting {
	t := &targeting{workloads: map[workloadKey]object{}, taken: map[workloadKey]types.NamespacedName{}}
	for _, obj := range objects {
		if gvk := obj.GroupVersionKind(); gvk.Group == "apps" && gvk.Version == "v1" && (gvk.Kind == "Deployment" || gvk.Kind == "DaemonSet") {
			t.workloads[workloadKey{gvk.Kind, types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}}] = obj
		}
	}
	return t
}

// find returns the rendered Deployment a Canary targets and claims it for
// that Canary. A targetRef that is not an apps/v1 Deployment, that is
// missing from the rendering or that is already claimed gives an
// *InvalidError naming the Canary and the field.
//
// A DaemonSet target (kind DaemonSet, which validation allows with
// provider kubernetes only) is returned decoded, with a Deployment view of
// it (see Target.Deployment).
func (t *targeting) find(c canary, memo *decodings) (object, *appsv1.Deployment, *appsv1.DaemonSet, error) {
	name := describe("canary", c.object)
	ref := c.policy.Spec.TargetRef
	switch {
	case ref.APIVersion != "" && ref.APIVersion != "apps/v1":
		return object{}, nil, nil, &InvalidError{Object: name, Field: "spec.targetRef.apiVersion", Reason: fmt.Sprintf("%q is not supported: the target must be an apps/v1 Deployment or DaemonSet", ref.APIVersion)}
	case ref.Kind != "Deployment" && ref.Kind != "DaemonSet":
		return object{}, nil, nil, &InvalidError{Object: name, Field: "spec.targetRef.kind", Reason: fmt.Sprintf("%q is not supported: the target must be an apps/v1 Deployment or DaemonSet", ref.Kind)}
	case ref.Name == "":
		return object{}, nil, nil, &InvalidError{Object: name, Field: "spec.targetRef.name", Reason: "must name the target " + ref.Kind}
	}
	canaryName := types.NamespacedName{Namespace: c.GetNamespace(), Name: c.GetName()}
	key := workloadKey{ref.Kind, types.NamespacedName{Namespace: c.GetNamespace(), Name: ref.Name}}
	obj, ok := t.workloads[key]
	if !ok {
		return object{}, nil, nil, &InvalidError{Object: name, Field: "spec.targetRef", Reason: fmt.Sprintf("%s %s not found in the rendered manifests", ref.Kind, ref.Name)}
	}
	if other, ok := t.taken[key]; ok {
		return object{}, nil, nil, &InvalidError{Object: name, Field: "spec.targetRef", Reason: fmt.Sprintf("%s %s is already the target of canary %s", ref.Kind, ref.Name, other)}
	}
	t.taken[key] = canaryName
	if ref.Kind == "DaemonSet" {
		ds := &appsv1.DaemonSet{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, ds); err != nil {
			return object{}, nil, nil, &InvalidError{Object: describe("daemonset", obj), Reason: "does not decode: " + err.Error(), Err: err}
		}
		return obj, deploymentView(ds), ds, nil
	}
	if deployment, ok := memo.deployment(obj.Unstructured); ok {
		return obj, deployment, nil, nil
	}
	deployment := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, deployment); err != nil {
		return object{}, nil, nil, &InvalidError{Object: describe("deployment", obj), Reason: "does not decode: " + err.Error(), Err: err}
	}
	memo.keepDeployment(obj.Unstructured, deployment)
	return obj, deployment, nil, nil
}

// deploymentView is the Deployment view of a DaemonSet target (see
// Target.Deployment).
func deploymentView(ds *appsv1.DaemonSet) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: ds.Name, Namespace: ds.Namespace, Labels: ds.Labels, Annotations: ds.Annotations},
		Spec:       appsv1.DeploymentSpec{Selector: ds.Spec.Selector, Template: ds.Spec.Template},
	}
}

// targets returns the Target of each Canary, in the same order, finding
// Deployments, ConfigMaps/Secrets and HorizontalPodAutoscalers among the
// plain objects.
func targets(plain []object, canaries []canary, src *sources, secretKey []byte, memo *decodings) ([]Target, error) {
	targeting := newTargeting(plain)
	configs := configIndex(plain)
	scalers := autoscalerIndex(plain)
	out := make([]Target, 0, len(canaries))
	for _, c := range canaries {
		obj, deployment, daemonSet, err := targeting.find(c, memo)
		if err != nil {
			return nil, err
		}
		if err := checkTargetPort(c, deployment); err != nil {
			return nil, err
		}
		target, err := newTarget(c, obj, deployment, configs, src, secretKey, memo)
		if err != nil {
			return nil, err
		}
		target.DaemonSet = daemonSet
		if target.Autoscaler, err = scalers.find(c, deployment.Name); err != nil {
			return nil, err
		}
		out = append(out, target)
	}
	return out, nil
}

// newTarget computes the configs, revision and source files of the
// Deployment obj targeted by c.
func newTarget(c canary, obj object, deployment *appsv1.Deployment, configs map[configKey]object, src *sources, secretKey []byte, memo *decodings) (Target, error) {
	files := map[string]bool{}
	src.of(obj, files)
	src.of(c.object, files)
	refs := configRefs(&deployment.Spec.Template.Spec)
	var objects []*unstructured.Unstructured
	for i, ref := range refs {
		config, ok := configs[configKey{ref.Kind, types.NamespacedName{Namespace: obj.GetNamespace(), Name: ref.Name}}]
		if !ok {
			continue
		}
		hash, err := memo.dataHash(config.Unstructured, secretKey)
		if err != nil {
			return Target{}, fmt.Errorf("%s: hash data: %w", describe(strings.ToLower(ref.Kind), config), err)
		}
		refs[i].InRender, refs[i].DataHash = true, hash
		objects = append(objects, config.Unstructured)
		src.of(config, files)
	}
	template, _, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "template")
	rev, err := memo.revision(obj.Unstructured, template, refs)
	if err != nil {
		return Target{}, fmt.Errorf("%s: revision: %w", describe(strings.ToLower(obj.GetKind()), obj), err)
	}
	return Target{
		Canary:        types.NamespacedName{Namespace: c.GetNamespace(), Name: c.GetName()},
		Deployment:    deployment,
		Revision:      rev,
		Configs:       refs,
		ConfigObjects: objects,
		SourceFiles:   slices.Sorted(maps.Keys(files)),
	}, nil
}
