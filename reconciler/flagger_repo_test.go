package reconciler_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// The "done when": a repository Flagger served — a Flagger Canary
// with Istio options, a MetricTemplate behind basic auth, a
// HorizontalPodAutoscaler and Slack alerts, next to a second app sharing
// the root kustomization — syncs and rolls out under sluice with no edit:
// 2.0 is promoted through the VirtualService's weights, 3.0 rolls back on
// the template's metric, and Slack hears both.
func TestAFlaggerRepositoryRollsOutUnchanged(t *testing.T) {
	t.Parallel() // see parallel_test.go
	ns := playgroundtest.Namespace(t)
	exporter := startRequestsExporter(t, ns, "detail")
	prometheusAddress, queries := authenticatedPrometheus(t)
	slack := newReceiver(t)
	deployment := strings.Replace(deploymentYAML("1.0"), "  replicas: 2\n", "", 1)
	files := map[string]*string{
		"kustomization.yaml":        text("resources: [detail, frontend.yaml]\n"),
		"frontend.yaml":             text(appYAML("frontend", "1.0", "1s")),
		"detail/kustomization.yaml": text("resources: [deployment.yaml, settings.yaml, hpa.yaml, canary.yaml, metrics.yaml, alerts.yaml]\n"),
		"detail/deployment.yaml":    text(deployment),
		"detail/settings.yaml":      text(settingsYAML("blue")),
		"detail/hpa.yaml": text(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: detail}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  minReplicas: 2
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`),
		"detail/metrics.yaml": text(`apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: error-rate}
spec:
  provider:
    type: prometheus
    address: ` + prometheusAddress + `
    secretRef: {name: prom-auth}
  query: |
    100 - sum(rate(http_requests_total{namespace="{{ namespace }}", workload="{{ target }}", code!~"5.."}[{{ interval }}]))
      / sum(rate(http_requests_total{namespace="{{ namespace }}", workload="{{ target }}"}[{{ interval }}])) * 100
---
apiVersion: v1
kind: Secret
metadata: {name: prom-auth}
stringData: {username: sluice, password: ` + promPassword + `}
`),
		"detail/alerts.yaml": text(`apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: {name: on-call}
spec:
  type: slack
  channel: on-call
  address: ` + slack.URL + `
`),
		"detail/canary.yaml": text(`apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: detail}
spec:
  provider: istio
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: detail}
  progressDeadlineSeconds: 60
  service:
    port: 3000
    gateways: [istio-system/public-gateway]
    hosts: [detail.example.com]
    trafficPolicy:
      tls: {mode: ISTIO_MUTUAL}
    retries: {attempts: 3, perTryTimeout: 1s, retryOn: "gateway-error,connect-failure"}
  analysis:
    interval: 3s
    threshold: 1
    maxWeight: 20
    stepWeight: 10
    alerts:
    - {name: on-call, severity: info, providerRef: {name: on-call}}
    metrics:
    - name: error-rate
      templateRef: {name: error-rate}
      threshold: 1
      interval: 10s
    webhooks:
    - name: acceptance-test
      type: pre-rollout
      url: ` + passingWebhook.URL + `
      timeout: 5s
      metadata: {type: bash, cmd: "curl -sd 'test' http://detail-canary:3000/token | grep token"}
`),
	}
	repo := newGitRepo(t)
	repo.commit("detail 1.0 and frontend, as Flagger served them", files)
	var logs logLines
	h := newHarness(t, repo, ns, func(o *reconciler.Options) {
		o.PrometheusURL = playgroundtest.Playground().Prometheus.URL
		o.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	h.settle()
	if spec := h.istioSpec(virtualServiceGVK, "detail"); spec == nil || len(spec["gateways"].([]any)) != 1 {
		t.Fatalf("VirtualService detail after the install: %v, want one with the gateway", spec)
	}
	if spec := h.istioSpec(destinationRuleGVK, "detail-canary"); spec == nil || spec["trafficPolicy"] == nil {
		t.Fatalf("DestinationRule detail-canary after the install: %v, want the traffic policy", spec)
	}
	if hpa := h.autoscaler("detail-primary"); hpa == nil || hpa.Spec.ScaleTargetRef.Name != "detail-primary" {
		t.Fatalf("autoscaler detail-primary after the install: %+v, want one scaling detail-primary", hpa)
	}

	repo.commit("detail 2.0", map[string]*string{"detail/deployment.yaml": text(strings.Replace(deployment, ":1.0", ":2.0", 1))})
	h.rollUntil("weight 10 for 2.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 10 })
	if weights := istioWeights(h.istioSpec(virtualServiceGVK, "detail")); weights != [2]int64{90, 10} {
		t.Errorf("VirtualService weights at 10: %v, want 90/10", weights)
	}
	h.rollUntil("the promotion of 2.0", phaseIs(v1alpha1.PhaseSucceeded))
	if weights := istioWeights(h.istioSpec(virtualServiceGVK, "detail")); weights != [2]int64{100, 0} {
		t.Errorf("VirtualService weights after the promotion: %v, want 100/0", weights)
	}
	if queries.Load() == 0 {
		t.Error("2.0 was promoted without a query to the MetricTemplate's Prometheus")
	}
	id := "detail." + ns
	slack.waitFor(t, "Slack after the promotion", "New revision detected! Scaling up "+id, "Promotion completed! Scaling down "+id)

	repo.commit("detail 3.0", map[string]*string{"detail/deployment.yaml": text(strings.Replace(deployment, ":1.0", ":3.0", 1))})
	h.rollUntil("weight 10 for 3.0", func(st v1alpha1.CanaryStatus) bool { return st.CanaryWeight == 10 })
	exporter.setSuccessRate(0.2)
	h.rollUntil("the rollback of 3.0", phaseIs(v1alpha1.PhaseFailed))
	slack.waitFor(t, "Slack after the rollback", "Rolling back "+id+" failed checks threshold reached 1")
	if weights := istioWeights(h.istioSpec(virtualServiceGVK, "detail")); weights != [2]int64{100, 0} {
		t.Errorf("VirtualService weights after the rollback: %v, want 100/0", weights)
	}
	if img := h.deployment("detail-primary").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("primary runs %s after the rollback, want 2.0", img)
	}
	if img := h.deployment("frontend-primary").Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":1.0") {
		t.Errorf("the neighbour's primary runs %s, want its 1.0", img)
	}
}

// istioWeights reads the primary and canary weights of the first route of
// a VirtualService spec.
func istioWeights(spec map[string]any) [2]int64 {
	var weights [2]int64
	http, _ := spec["http"].([]any)
	if len(http) == 0 {
		return weights
	}
	route, _ := http[0].(map[string]any)["route"].([]any)
	for i, r := range route {
		if i < 2 {
			weights[i], _ = r.(map[string]any)["weight"].(int64)
		}
	}
	return weights
}
