package manifests

import (
	"errors"
	"fmt"
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

// The Service fields of Flagger's Canary that sluice builds are read as
// they are: a Canary that sets them all renders.
func TestAFlaggerCanaryWithServiceOptionsRenders(t *testing.T) {
	canary := strings.Replace(flaggerCanary, "    targetPort: 9898\n", `    name: shop
    targetPort: http
    appProtocol: kubernetes.io/h2c
    portDiscovery: true
    timeout: 30s
    backendTimeout: 10s
    match: [{uri: {prefix: /api}}]
    rewrite: {uri: /}
    headers: {request: {set: {x-via: sluice}}}
    apex: {labels: {tier: web}}
    primary: {annotations: {example.com/role: primary}}
    canary: {labels: {role: canary}}
`, 1)
	canary = strings.Replace(canary, "      kind: Gateway\n", "      kind: Gateway\n      sectionName: https\n      port: 443\n", 1)
	rendering, err := Render(writeRepo(t, map[string]string{"canary.yaml": canary, "deployment.yaml": podinfo}, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s := rendering.Canaries[0].Spec.Service
	got := fmt.Sprintf("%s %s %s %v %s/%s %s/%d %s %s %v %v %v %v", s.Name, s.TargetPort.String(), s.AppProtocol, s.PortDiscovery, s.Timeout, s.BackendTimeout,
		s.GatewayRefs[0].SectionName, *s.GatewayRefs[0].Port, s.Match[0].URI.Prefix, s.Rewrite.URI, s.Headers.Request.Set, s.Apex.Labels, s.Primary.Annotations, s.Canary.Labels)
	want := "shop http kubernetes.io/h2c true 30s/10s https/443 /api / map[x-via:sluice] map[tier:web] map[example.com/role:primary] map[role:canary]"
	if got != want {
		t.Errorf("service read as %q, want %q", got, want)
	}
}

// A Canary of Flagger's linkerd provider (no gatewayRefs, no hosts: the
// mesh routes the apex Service's requests) is read as sluice's linkerd.
func TestAFlaggerLinkerdCanaryIsReadAsSluicesLinkerd(t *testing.T) {
	canary := strings.Replace(flaggerCanary, "  provider: gatewayapi:v1\n", "  provider: linkerd\n", 1)
	canary = strings.Replace(canary, `    hosts: [www.example.com]
    gatewayRefs:
    - name: gateway
      namespace: istio-ingress
      group: gateway.networking.k8s.io
      kind: Gateway
`, "", 1)
	rendering, err := Render(writeRepo(t, map[string]string{"canary.yaml": canary, "deployment.yaml": podinfo}, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rendering.Canaries[0].Spec.Provider; got != "linkerd" {
		t.Errorf("provider %q, want linkerd", got)
	}
}

func TestAFlaggerFieldSluiceDoesNotImplementIsRefusedByName(t *testing.T) {
	cases := []struct {
		name, from, to string
		field, reason  string
	}{
		{"a metric with both a query and a templateRef", "      threshold: 99\n", "      threshold: 99\n      query: vector(1)\n      templateRef: {name: latency, namespace: flagger}\n",
			"spec.analysis.metrics[0].templateRef", "Forbidden: a metric has a query or a templateRef, not both"},
		{"a KEDA autoscaler's queries", "  revertOnDeletion: true\n", "  autoscalerRef: {apiVersion: keda.sh/v1alpha1, kind: ScaledObject, name: podinfo, primaryScalerQueries: {p: vector(1)}}\n",
			"spec.autoscalerRef.primaryScalerQueries", "not supported by sluice: KEDA ScaledObjects are not supported: use a HorizontalPodAutoscaler"},
		{"Istio's trafficPolicy under provider gatewayapi", "    hosts: [www.example.com]\n", "    hosts: [www.example.com]\n    trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n",
			"spec.service.trafficPolicy", "Forbidden: Istio only: provider gatewayapi does not build it"},
		{"a backendTimeout Gateway API cannot read", "    targetPort: 9898\n", "    targetPort: 9898\n    backendTimeout: 1.5s\n",
			"spec.service.backendTimeout", `Invalid value: "1.5s": must be a Gateway API duration: whole hours, minutes, seconds or milliseconds, such as 30s, 1m30s or 500ms`},
		{"Gateway API mirror filters of the Service", "    hosts: [www.example.com]\n", "    hosts: [www.example.com]\n    mirror: [{backendRef: {name: shadow, port: 9898}}]\n",
			"spec.service.mirror", "not supported by sluice: Gateway API mirror filters to other backends are not built: spec.analysis.mirror copies requests to the canary"},
		{"provider contour", "  provider: gatewayapi:v1\n", "  provider: contour\n",
			"spec.provider", `"contour" is not supported by sluice: use provider gatewayapi (Contour implements Gateway API)`},
		{"a gatewayRef's port out of range", "      kind: Gateway\n", "      kind: Gateway\n      port: 0\n",
			"spec.service.gatewayRefs[0].port", "Invalid value: 0: must be between 1 and 65535"},
		{"a gatewayRef to a Service, Flagger's way to Linkerd's mesh routes", "      group: gateway.networking.k8s.io\n      kind: Gateway\n", "      group: core\n      kind: Service\n",
			"spec.service.gatewayRefs[0].kind", "a Service parent is Gateway API's mesh pattern (GAMMA): write provider: linkerd without gatewayRefs, and sluice attaches the HTTPRoute to the apex Service"},
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

// flaggerTemplate is a MetricTemplate as Flagger's documentation writes
// one, for a Prometheus behind basic authentication.
const flaggerTemplate = `apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata:
  name: not-found-percentage
spec:
  provider:
    type: prometheus
    address: https://prometheus.monitoring:9090
    secretRef: {name: prom-basic-auth}
    insecureSkipVerify: true
  query: |
    100 - sum(rate(http_requests_total{namespace="{{ namespace }}", service="{{ service }}", status!="404"}[{{ interval }}]))
    / sum(rate(http_requests_total{namespace="{{ namespace }}", service="{{ service }}"}[{{ interval }}])) * 100
`

// Flagger's threshold is a minimum only for request-success-rate: for the
// duration and every custom metric it is a maximum. A first version read
// every threshold as a minimum, so a 404 percentage "threshold: 5" would
// have failed every analysis whose 404s stayed under 5%.
func TestAFlaggerThresholdIsTheBoundFlaggerJudgesBy(t *testing.T) {
	canary := strings.Replace(flaggerCanary, "      interval: 1m\n    webhooks:", `      interval: 1m
    - name: request-duration
      threshold: 500
    - name: not-found-percentage
      templateRef: {name: not-found-percentage}
      threshold: 5
    webhooks:`, 1)
	rendering, err := Render(writeRepo(t, map[string]string{"canary.yaml": canary, "deployment.yaml": podinfo, "template.yaml": flaggerTemplate}, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range rendering.Canaries[0].Spec.Analysis.Metrics {
		switch r := m.ThresholdRange; {
		case r.Min != nil && r.Max == nil:
			got[m.Name] = fmt.Sprintf("min %v", *r.Min)
		case r.Max != nil && r.Min == nil:
			got[m.Name] = fmt.Sprintf("max %v", *r.Max)
		}
	}
	want := map[string]string{"request-success-rate": "min 99", "request-duration": "max 500", "not-found-percentage": "max 5"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("thresholds (-want +got):\n%s", diff)
	}
}

func TestAFlaggerMetricTemplateIsReadAsSluicesOwn(t *testing.T) {
	rendering, err := Render(writeRepo(t, map[string]string{"template.yaml": flaggerTemplate}, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rendering.Objects) != 1 || rendering.Objects[0].GetAPIVersion() != "sluice.dev/v1alpha1" {
		t.Fatalf("objects %v, want the MetricTemplate as sluice.dev/v1alpha1", rendering.Objects)
	}
	want := []Notice{{Message: "metrictemplate test/not-found-percentage is written as flagger.app/v1beta1: sluice reads it as sluice.dev/v1alpha1; `sluice convert` writes it so in Git"}}
	if diff := cmp.Diff(want, rendering.Notices); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
}

func TestAMetricTemplateSluiceCannotRunIsRefusedByName(t *testing.T) {
	cases := []struct {
		name, from, to string
		field, reason  string
	}{
		{"a Datadog template", "    type: prometheus\n", "    type: datadog\n",
			"spec.provider.type", `Invalid value: "datadog": not supported by sluice: query Datadog through a Prometheus-compatible endpoint, or keep this metric in Flagger; supported: prometheus, and what answers its API (Thanos, Mimir, Cortex, VictoriaMetrics)`},
		{"an address with a password in it", "https://prometheus.monitoring:9090", "https://admin:s3cret@prometheus.monitoring:9090",
			"spec.provider.address", `Invalid value: "https://REDACTED@prometheus.monitoring:9090": must not hold credentials: put them in the Secret of secretRef`},
		{"an Authorization header", "    insecureSkipVerify: true\n", "    insecureSkipVerify: true\n    headers: {Authorization: [Bearer x]}\n",
			"spec.provider.headers[Authorization]", "Forbidden: credentials belong in the Secret of secretRef (key token, or username and password)"},
		{"no query", "  query: |\n", "  other: |\n", "", ""},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := strings.Replace(flaggerTemplate, tt.from, tt.to, 1)
			if tmpl == flaggerTemplate {
				t.Fatalf("%q is not in the template", tt.from)
			}
			_, err := Render(writeRepo(t, map[string]string{"template.yaml": tmpl}, nil), ".", Options{DefaultNamespace: "test"})
			var invalid *InvalidError
			if !errors.As(err, &invalid) || invalid.Object != "metrictemplate test/not-found-percentage" {
				t.Fatalf("Render = %v, want an *InvalidError about metrictemplate test/not-found-percentage", err)
			}
			if tt.field != "" && (invalid.Field != tt.field || invalid.Reason != tt.reason) {
				t.Errorf("Render = %v, want %s: %s", err, tt.field, tt.reason)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// flaggerIstioCanary is a Canary as Flagger's Istio documentation writes
// one, with every route option of its Service.
const flaggerIstioCanary = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
spec:
  provider: istio
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service:
    port: 9898
    gateways: [istio-system/public-gateway, mesh]
    hosts: [frontend.example.com]
    trafficPolicy:
      tls: {mode: DISABLE}
    match:
    - uri: {prefix: /}
    rewrite: {uri: /}
    timeout: 5s
    retries:
      attempts: 3
      perTryTimeout: 1s
      retryOn: "gateway-error,connect-failure,refused-stream"
    headers:
      request:
        add: {x-some-header: value}
    corsPolicy:
      allowOrigin: [example.com]
      allowMethods: [GET]
      allowCredentials: false
      allowHeaders: [x-some-header]
      maxAge: 24h
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    metrics:
    - name: request-success-rate
      threshold: 99
      interval: 1m
`

// The route options of Flagger's Istio Canary are read as they are: a
// Canary that sets them all renders, and a delegate renders too.
func TestAFlaggerIstioCanaryWithItsRouteOptionsRenders(t *testing.T) {
	for _, canary := range []string{
		flaggerIstioCanary,
		strings.Replace(flaggerIstioCanary, "    gateways: [istio-system/public-gateway, mesh]\n    hosts: [frontend.example.com]\n", "    delegation: true\n", 1),
	} {
		rendering, err := Render(writeRepo(t, map[string]string{"canary.yaml": canary, "deployment.yaml": podinfo}, nil), ".", Options{DefaultNamespace: "test"})
		if err != nil {
			t.Fatal(err)
		}
		s := rendering.Canaries[0].Spec.Service
		got := fmt.Sprintf("%v %v %v %s %s %s %s %+v %v %v %v %s", s.Gateways, s.Hosts, s.Delegation, s.TrafficPolicy.Raw, s.Match[0].URI.Prefix, s.Rewrite.URI, s.Timeout,
			*s.Retries, s.Headers.Request.Add, s.CorsPolicy.AllowOrigin, *s.CorsPolicy.AllowCredentials, s.CorsPolicy.MaxAge)
		want := `[istio-system/public-gateway mesh] [frontend.example.com] false {"tls":{"mode":"DISABLE"}} / / 5s {Attempts:3 PerTryTimeout:1s RetryOn:gateway-error,connect-failure,refused-stream RetryRemoteLocalities:<nil>} map[x-some-header:value] [example.com] false 24h`
		if s.Delegation {
			want = strings.Replace(want, "[istio-system/public-gateway mesh] [frontend.example.com] false", "[] [] true", 1)
		}
		if got != want {
			t.Errorf("service read as\n%s\nwant\n%s", got, want)
		}
	}
}

// What Istio would refuse in a Flagger Istio Canary is refused with the
// rendering, naming the field.
func TestAnIstioRouteOptionIstioWouldRefuseIsRefusedByName(t *testing.T) {
	cases := []struct {
		name, from, to string
		field, reason  string
	}{
		{"a timeout that is not a duration", "    timeout: 5s\n", "    timeout: \"5\"\n",
			"spec.service.timeout", `Invalid value: "5": must be a duration such as 30s, 1m or 1m30s`},
		{"a match with two conditions on the uri", "    - uri: {prefix: /}\n", "    - uri: {prefix: /, exact: /}\n",
			"spec.service.match[0].uri", `Invalid value: {"exact":"/","prefix":"/"}: must set exactly one of exact, prefix or regex`},
		{"a retry condition Envoy does not know", "refused-stream\"", "refused-streams\"",
			"spec.service.retries.retryOn", `Invalid value: "gateway-error,connect-failure,refused-streams": "refused-streams" is not a retry condition: use a comma-separated list of 5xx, gateway-error, reset, reset-before-request, connect-failure, retriable-4xx, refused-stream, retriable-status-codes, retriable-headers, envoy-ratelimited, http3-post-connect-failure, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable or HTTP status codes`},
		{"a delegate with hosts", "    hosts: [frontend.example.com]\n", "    hosts: [frontend.example.com]\n    delegation: true\n",
			"", "spec.service.hosts: Forbidden: a delegate VirtualService (delegation: true) has none: the VirtualService that delegates to it has them; spec.service.gateways: Forbidden: a delegate VirtualService (delegation: true) has none: the VirtualService that delegates to it has them"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			canary := strings.Replace(flaggerIstioCanary, tt.from, tt.to, 1)
			if canary == flaggerIstioCanary {
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

// Flagger's traffic mirroring (analysis.mirror, mirrorWeight) is read as
// it is: an Istio blue/green Canary that mirrors renders with both.
func TestAFlaggerMirroringCanaryRenders(t *testing.T) {
	canary := strings.Replace(flaggerIstioCanary, "    maxWeight: 50\n    stepWeight: 10\n", "    iterations: 10\n    mirror: true\n    mirrorWeight: 25\n", 1)
	rendering, err := Render(writeRepo(t, map[string]string{"canary.yaml": canary, "deployment.yaml": podinfo}, nil), ".", Options{DefaultNamespace: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if a := rendering.Canaries[0].Spec.Analysis; !a.Mirror || a.MirrorWeight != 25 || a.Iterations != 10 {
		t.Errorf("analysis mirror %t, mirrorWeight %d, iterations %d; want true, 25, 10", a.Mirror, a.MirrorWeight, a.Iterations)
	}
}
