package manifests

import (
	"errors"
	"strings"
	"testing"
)

// podinfoHPA scales podinfo between 2 and 4 replicas on CPU.
const podinfoHPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: podinfo}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  minReplicas: 2
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`

// withAutoscaler is the Flagger Canary naming the HorizontalPodAutoscaler
// podinfo.
var withAutoscaler = strings.Replace(flaggerCanary, "  revertOnDeletion: true\n",
	"  revertOnDeletion: true\n  autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: podinfo}\n", 1)

func TestTheTargetCarriesTheAutoscalerItsCanaryNames(t *testing.T) {
	files := map[string]string{"canary.yaml": withAutoscaler, "deployment.yaml": podinfo, "hpa.yaml": podinfoHPA}
	rendering, err := Render(writeRepo(t, files, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	hpa := rendering.Targets[0].Autoscaler
	if hpa == nil || hpa.Name != "podinfo" || hpa.Namespace != "test" || hpa.Spec.MaxReplicas != 4 || len(hpa.Spec.Metrics) != 1 {
		t.Fatalf("Target.Autoscaler = %+v, want the rendered HorizontalPodAutoscaler podinfo", hpa)
	}

	// The autoscaler is not part of the revision: a change of its bounds
	// is no new version of the pods to analyse.
	files["hpa.yaml"] = strings.Replace(podinfoHPA, "maxReplicas: 4", "maxReplicas: 8", 1)
	again, err := Render(writeRepo(t, files, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Targets[0].Revision != rendering.Targets[0].Revision || again.Targets[0].Autoscaler.Spec.MaxReplicas != 8 {
		t.Errorf("revision %s → %s, max %d; want the same revision and max 8", rendering.Targets[0].Revision, again.Targets[0].Revision, again.Targets[0].Autoscaler.Spec.MaxReplicas)
	}

	files["canary.yaml"] = flaggerCanary
	without, err := Render(writeRepo(t, files, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil || without.Targets[0].Autoscaler != nil {
		t.Errorf("a Canary without autoscalerRef: Render = %v, Autoscaler %v; want none", err, without.Targets[0].Autoscaler)
	}
}

func TestAnAutoscalerRefThatCannotBeMadeRefusesTheRendering(t *testing.T) {
	cases := []struct {
		name, hpa, reason string
	}{
		{"missing", "", "HorizontalPodAutoscaler podinfo not found in the rendered manifests"},
		{"of another name", strings.Replace(podinfoHPA, "metadata: {name: podinfo}", "metadata: {name: other}", 1),
			"HorizontalPodAutoscaler podinfo not found in the rendered manifests"},
		{"autoscaling/v1", "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: podinfo}\nspec: {scaleTargetRef: {kind: Deployment, name: podinfo}, maxReplicas: 3}\n",
			"HorizontalPodAutoscaler podinfo is autoscaling/v1: write it as autoscaling/v2"},
		{"scaling another Deployment", strings.Replace(podinfoHPA, "kind: Deployment, name: podinfo}", "kind: Deployment, name: frontend}", 1),
			"HorizontalPodAutoscaler podinfo scales Deployment frontend, not the target Deployment podinfo"},
		{"scaling a StatefulSet", strings.Replace(podinfoHPA, "kind: Deployment", "kind: StatefulSet", 1),
			"HorizontalPodAutoscaler podinfo scales StatefulSet podinfo, not the target Deployment podinfo"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"canary.yaml": withAutoscaler, "deployment.yaml": podinfo}
			if tt.hpa != "" {
				files["hpa.yaml"] = tt.hpa
			}
			_, err := Render(writeRepo(t, files, nil), ".", Options{DefaultNamespace: "test"})
			var invalid *InvalidError
			if !errors.As(err, &invalid) || invalid.Object != "canary test/podinfo" || invalid.Field != "spec.autoscalerRef" || invalid.Reason != tt.reason {
				t.Errorf("Render = %v, want canary test/podinfo: spec.autoscalerRef: %s", err, tt.reason)
			}
		})
	}
}
