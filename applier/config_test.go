package applier

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// configUser reads configs in every way a pod can.
func configUser() *corev1.PodSpec {
	env := func(cm, secret string) []corev1.EnvVar {
		return []corev1.EnvVar{
			{Name: "A", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: cm}, Key: "a"}}},
			{Name: "B", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: "b"}}},
			{Name: "C", Value: "plain"},
		}
	}
	envFrom := func(cm, secret string) []corev1.EnvFromSource {
		return []corev1.EnvFromSource{
			{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: cm}}},
			{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: secret}}},
		}
	}
	return &corev1.PodSpec{
		Volumes: []corev1.Volume{
			{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "detail-config"}}}},
			{Name: "secret", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "detail-token"}}},
			{Name: "projected", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "detail-config"}}},
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "detail-token"}}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "shared-config"}}},
			}}}},
		},
		InitContainers: []corev1.Container{{Name: "init", Env: env("detail-config", "detail-token")}},
		Containers:     []corev1.Container{{Name: "app", Env: env("shared-config", "detail-token"), EnvFrom: envFrom("detail-config", "detail-token")}},
	}
}

func TestPrimaryReadsTrackedConfigsFromTheirPrimaryCopies(t *testing.T) {
	d := detail()
	d.Spec.Template.Spec = *configUser()
	tracked := []TrackedConfig{{Kind: "ConfigMap", Name: "detail-config"}, {Kind: "Secret", Name: "detail-token"}}

	primary, err := Primary(d, "r", "", tracked)
	if err != nil {
		t.Fatal(err)
	}

	// shared-config is not tracked (it is not in the rendering): the
	// primary keeps reading it as it is.
	want := configUser()
	renamed := map[string]string{"detail-config": "detail-config-primary", "detail-token": "detail-token-primary"}
	for from, to := range renamed {
		rewriteNames(want, from, to)
	}
	if diff := cmp.Diff(want, &primary.Spec.Template.Spec); diff != "" {
		t.Errorf("primary pod spec (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(configUser(), &d.Spec.Template.Spec); diff != "" {
		t.Errorf("Primary modified the target's pod spec (-want +got):\n%s", diff)
	}
}

// rewriteNames renames one config everywhere in spec, independently of
// usePrimaryConfigs, so the test states the expectation by itself.
func rewriteNames(spec *corev1.PodSpec, from, to string) {
	swap := func(name *string) {
		if *name == from {
			*name = to
		}
	}
	v := spec.Volumes
	swap(&v[0].ConfigMap.Name)
	swap(&v[1].Secret.SecretName)
	swap(&v[2].Projected.Sources[0].ConfigMap.Name)
	swap(&v[2].Projected.Sources[1].Secret.Name)
	swap(&v[2].Projected.Sources[2].ConfigMap.Name)
	for _, c := range append(spec.InitContainers, spec.Containers...) {
		swap(&c.Env[0].ValueFrom.ConfigMapKeyRef.Name)
		swap(&c.Env[1].ValueFrom.SecretKeyRef.Name)
		for _, from := range c.EnvFrom {
			if from.ConfigMapRef != nil {
				swap(&from.ConfigMapRef.Name)
			}
			if from.SecretRef != nil {
				swap(&from.SecretRef.Name)
			}
		}
	}
}

func TestPrimaryConfigsCopyTheDataUnderThePrimaryName(t *testing.T) {
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{
			"name": "detail-config", "namespace": "flagger",
			"labels":      map[string]any{"app": "detail"},
			"annotations": map[string]any{"kustomize.config.k8s.io/needs-hash": "true"},
		},
		"data": map[string]any{"mode": "fast"},
	}}
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"name": "detail-token", "namespace": "flagger"},
		"data":     map[string]any{"token": "b25l"},
	}}

	copies, err := PrimaryConfigs([]*unstructured.Unstructured{cm, secret})
	if err != nil {
		t.Fatal(err)
	}

	want := []map[string]any{
		{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "detail-config-primary", "namespace": "flagger", "labels": map[string]any{"app": "detail"}},
			"data":     map[string]any{"mode": "fast"}},
		{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
			"metadata": map[string]any{"name": "detail-token-primary", "namespace": "flagger"},
			"data":     map[string]any{"token": "b25l"}},
	}
	var got []map[string]any
	for _, c := range copies {
		got = append(got, c.Object)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("copies (-want +got):\n%s", diff)
	}
	copies[0].Object["data"].(map[string]any)["mode"] = "changed"
	if cm.Object["data"].(map[string]any)["mode"] != "fast" {
		t.Errorf("the copy shares its data with the rendered ConfigMap")
	}
}

func TestPrimaryConfigsRefuseOtherKinds(t *testing.T) {
	svc := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "detail", "namespace": "flagger"}}}
	_, err := PrimaryConfigs([]*unstructured.Unstructured{svc})
	if err == nil || !strings.Contains(err.Error(), "Service flagger/detail") {
		t.Errorf("err = %v, want one naming Service flagger/detail", err)
	}
}
