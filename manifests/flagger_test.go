package manifests

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// flaggerCanary is a Canary as Flagger's documentation writes one for
// Gateway API, with Flagger's older spellings.
const flaggerCanary = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
spec:
  provider: gatewayapi:v1
  revertOnDeletion: true
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  progressDeadlineSeconds: 60
  service:
    port: 9898
    targetPort: 9898
    hosts: [www.example.com]
    gatewayRefs:
    - name: gateway
      namespace: istio-ingress
      group: gateway.networking.k8s.io
      kind: Gateway
  canaryAnalysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    metrics:
    - name: request-success-rate
      threshold: 99
      interval: 1m
    webhooks:
    - name: load-test
      url: http://flagger-loadtester.test/
      timeout: 5s
      metadata:
        cmd: "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/"
`

const podinfo = `apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo}
spec:
  selector: {matchLabels: {app: podinfo}}
  template:
    metadata: {labels: {app: podinfo}}
    spec: {containers: [{name: podinfod, image: "ghcr.io/stefanprodan/podinfo:6.0.0", ports: [{containerPort: 9898, name: http}]}]}
`

func TestAFlaggerCanaryIsReadAsSluicesOwn(t *testing.T) {
	rendering, err := Render(writeRepo(t, map[string]string{"canary.yaml": flaggerCanary, "deployment.yaml": podinfo}, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	canary := rendering.Canaries[0]
	if canary.Spec.Provider != "gatewayapi" || canary.Spec.Analysis.StepWeight != 10 || canary.Spec.Analysis.Threshold != 5 {
		t.Errorf("spec %+v, want provider gatewayapi and the canaryAnalysis read as analysis", canary.Spec)
	}
	if r := canary.Spec.Analysis.Metrics[0].ThresholdRange; r == nil || r.Min == nil || *r.Min != 99 {
		t.Errorf("metric threshold read as %+v, want thresholdRange.min 99", r)
	}
	if got := rendering.CanaryObjects[0].GetAPIVersion(); got != "sluice.dev/v1alpha1" {
		t.Errorf("the Canary applied is %s, want sluice.dev/v1alpha1", got)
	}
	want := []Notice{{Canary: types.NamespacedName{Namespace: "test", Name: "podinfo"},
		Message: "canary test/podinfo is written as flagger.app/v1beta1: sluice reads it as sluice.dev/v1alpha1; `sluice convert` writes it so in Git"}}
	if diff := cmp.Diff(want, rendering.Notices); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
}

func TestAFlaggerFieldSluiceDoesNotImplementIsRefusedByName(t *testing.T) {
	cases := []struct {
		name, from, to string
		field, reason  string
	}{
		{"a MetricTemplate", "      threshold: 99\n", "      templateRef: {name: latency, namespace: flagger}\n",
			"spec.analysis.metrics[0].templateRef", "not supported by sluice: MetricTemplates are not built yet: write the metric's query in the Canary"},
		{"an autoscaler", "  revertOnDeletion: true\n", "  autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: podinfo}\n",
			"spec.autoscalerRef", "not supported by sluice: a HorizontalPodAutoscaler for the primary is not built yet: the primary would keep the replicas of the target"},
		{"Istio's trafficPolicy", "    hosts: [www.example.com]\n", "    hosts: [www.example.com]\n    trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n",
			"spec.service.trafficPolicy", "not supported by sluice: Istio DestinationRules are not built yet"},
		{"a named targetPort", "    targetPort: 9898\n", "    targetPort: http\n",
			"spec.service.targetPort", `a named port ("http") is not supported by sluice yet: give the container's port number`},
		{"provider contour", "  provider: gatewayapi:v1\n", "  provider: contour\n",
			"spec.provider", `"contour" is not supported by sluice: use provider gatewayapi (Contour implements Gateway API)`},
		{"a gatewayRef's sectionName", "      kind: Gateway\n", "      kind: Gateway\n      sectionName: https\n",
			"spec.service.gatewayRefs[0].sectionName", "not supported by sluice: attaching to a listener of a Gateway is not built yet"},
		{"both analysis and canaryAnalysis", "  progressDeadlineSeconds: 60\n", "  progressDeadlineSeconds: 60\n  analysis: {interval: 1m}\n",
			"spec.canaryAnalysis", "set with spec.analysis: keep one (canaryAnalysis is its older name)"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			canary := strings.Replace(flaggerCanary, tt.from, tt.to, 1)
			if canary == flaggerCanary {
				t.Fatalf("%q is not in the Canary", tt.from)
			}
			_, err := Render(writeRepo(t, map[string]string{"canary.yaml": canary, "deployment.yaml": podinfo}, nil), ".", Options{DefaultNamespace: "test"})
			var invalid *InvalidError
			if !errors.As(err, &invalid) || invalid.Field != tt.field || invalid.Reason != tt.reason {
				t.Errorf("Render = %v, want %s: %s", err, tt.field, tt.reason)
			}
		})
	}
}

// Every field the compatibility table refuses is in
// docs/flagger-compatibility.md.
func TestTheCompatibilityDocumentListsEveryRefusedField(t *testing.T) {
	doc, err := os.ReadFile("../docs/flagger-compatibility.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range unsupported {
		// Tables list a field by its name within its section, or as
		// list[].field.
		parts := strings.Split(strings.ReplaceAll(u.path, ".*.", "[]."), ".")
		last := parts[len(parts)-1]
		withList := last
		if len(parts) > 1 {
			withList = parts[len(parts)-2] + "." + last
		}
		if !strings.Contains(string(doc), "`"+last+"`") && !strings.Contains(string(doc), "`"+withList+"`") {
			t.Errorf("docs/flagger-compatibility.md does not list %s", u.path)
		}
	}
	for provider := range unsupportedProviders {
		if !strings.Contains(string(doc), "`"+provider+"`") {
			t.Errorf("docs/flagger-compatibility.md does not list provider %s", provider)
		}
	}
}

func TestACanaryWithoutProviderTakesTheDefaultProvider(t *testing.T) {
	canary := strings.Replace(flaggerCanary, "  provider: gatewayapi:v1\n", "", 1)
	canary = strings.Replace(canary, "    gatewayRefs:\n    - name: gateway\n      namespace: istio-ingress\n      group: gateway.networking.k8s.io\n      kind: Gateway\n", "", 1)
	files := map[string]string{"canary.yaml": canary, "deployment.yaml": podinfo}
	rendering, err := Render(writeRepo(t, files, nil), ".", Options{DefaultNamespace: "test", DefaultProvider: "istio"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rendering.Canaries[0].Spec.Provider; got != "istio" {
		t.Errorf("provider %q, want the default istio", got)
	}
	if got, _, _ := unstructured.NestedString(rendering.CanaryObjects[0].Object, "spec", "provider"); got != "istio" {
		t.Errorf("the Canary applied says provider %q, want istio", got)
	}
}
