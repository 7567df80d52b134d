package manifests

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

const agentDaemonSetYAML = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "example.com/agent:1.0", ports: [{name: http, containerPort: 8080}]}]
`

// A neighbour Deployment of the same name is not the DaemonSet's target.
const agentDeploymentYAML = `apiVersion: apps/v1
kind: Deployment
metadata: {name: agent, namespace: ops}
spec:
  selector: {matchLabels: {app: agent-deploy}}
  template:
    metadata: {labels: {app: agent-deploy}}
    spec:
      containers: [{name: agent, image: "example.com/other:9.9"}]
`

func agentCanaryYAML(kind string) string {
	return `apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata: {name: agent, namespace: ops}
spec:
  targetRef: {apiVersion: apps/v1, kind: ` + kind + `, name: agent}
  provider: kubernetes
  service: {port: 80, targetPort: http}
  analysis: {interval: 1m, iterations: 3, webhooks: [{name: gate, type: pre-rollout, url: "http://gate/"}]}
`
}

func TestADaemonSetTargetIsFoundByKindBesideADeploymentOfTheSameName(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"kustomization.yaml": "resources: [ds.yaml, deploy.yaml, canary.yaml]\n",
		"ds.yaml":            agentDaemonSetYAML,
		"deploy.yaml":        agentDeploymentYAML,
		"canary.yaml":        agentCanaryYAML("DaemonSet"),
	}, nil)
	rendering, err := Render(root, ".", Options{})
	if err != nil {
		t.Fatal(err)
	}
	target := rendering.Targets[0]
	if target.DaemonSet == nil || target.Kind() != "DaemonSet" || target.DaemonSet.Name != "agent" {
		t.Fatalf("target %s %+v, want the DaemonSet agent", target.Kind(), target.DaemonSet)
	}
	view := target.Deployment
	if view.Name != "agent" || view.Spec.Replicas != nil || view.Spec.Template.Spec.Containers[0].Image != "example.com/agent:1.0" || view.Spec.Selector.MatchLabels["app"] != "agent" {
		t.Errorf("deployment view %+v, want the DaemonSet's pods without replicas", view)
	}
	scope := rendering.Scope(types.NamespacedName{Namespace: "ops", Name: "agent"})
	if !scope[ObjectKey{Group: "apps", Kind: "DaemonSet", Namespace: "ops", Name: "agent"}] || scope[ObjectKey{Group: "apps", Kind: "Deployment", Namespace: "ops", Name: "agent"}] {
		t.Errorf("scope %v, want the DaemonSet and not the Deployment", scope)
	}

	// The same Canary naming the Deployment targets the Deployment.
	root = writeRepo(t, map[string]string{
		"kustomization.yaml": "resources: [ds.yaml, deploy.yaml, canary.yaml]\n",
		"ds.yaml":            agentDaemonSetYAML,
		"deploy.yaml":        agentDeploymentYAML,
		"canary.yaml":        agentCanaryYAML("Deployment"),
	}, nil)
	_, err = Render(root, ".", Options{})
	var invalid *InvalidError
	if !errors.As(err, &invalid) || invalid.Field != "spec.service.targetPort" {
		t.Errorf("a Canary of the Deployment (no port named http) = %v, want its targetPort refused", err)
	}
}

func TestAMissingDaemonSetTargetIsRefusedByKind(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"kustomization.yaml": "resources: [deploy.yaml, canary.yaml]\n",
		"deploy.yaml":        agentDeploymentYAML,
		"canary.yaml":        agentCanaryYAML("DaemonSet"),
	}, nil)
	_, err := Render(root, ".", Options{})
	var invalid *InvalidError
	if !errors.As(err, &invalid) || invalid.Field != "spec.targetRef" || invalid.Reason != "DaemonSet agent not found in the rendered manifests" {
		t.Errorf("Render = %v, want the DaemonSet named missing", err)
	}
}
