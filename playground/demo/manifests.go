package demo

import (
	"fmt"
	"strings"
	"time"
)

// The names of the story, the seed's: the detail app in the flagger
// namespace, answering on detail.example.com through the gateway.
const (
	// Namespace is where the app and its Canary live.
	Namespace = "flagger"
	// App is the Deployment, its Canary and its HTTPRoute.
	App = "detail"
	// Host is the hostname of the app's HTTPRoute.
	Host = "detail.example.com"
	// Image is the app's image without its tag; the tag is the version
	// the gateway runs.
	Image = "ghcr.io/sluicehq/detail"
	// StatusContext is the context of sluice's commit statuses on the
	// app's commits: sluice/<namespace>/<canary>.
	StatusContext = "sluice/" + Namespace + "/" + App
)

// The files of the repository, at its root.
const (
	kustomizationFile = "kustomization.yaml"
	namespaceFile     = "namespace.yaml"
	// DeploymentFile holds the app's Deployment; the image line is what
	// the pull requests of the story change.
	DeploymentFile = "detail/deployment.yaml"
	// CanaryFile holds the app's Canary.
	CanaryFile = "detail/canary.yaml"
)

// The cadence of the story: short, so that the whole story takes a few
// minutes instead of the seed's half hour.
const (
	// AnalysisInterval is the Canary's analysis.interval.
	AnalysisInterval = 5 * time.Second
	// metricInterval is the window of the metric checks. It is no longer
	// than AnalysisInterval on purpose: the first check of a rollout then
	// reads only requests made after the canary was scaled up, and not the
	// 503s that a load test left running against the scaled-down canary
	// of an earlier rollout got from the gateway.
	metricInterval = "5s"
	// PollInterval is how often sluice polls the branch (run --interval).
	PollInterval = 2 * time.Second
)

// The webhook commands of the Canary, the seed's.
const (
	acceptanceTestCmd = "curl -sf http://detail-canary.flagger:3000/catalogDetail"
	loadTestCmd       = "hey -z 1m -q 10 -c 2 http://detail-canary.flagger:3000/catalogDetail"
)

// app is what the repository says of the app at one commit.
type app struct {
	// version is the image tag.
	version string
	// annotations are added to the pod template, sorted by the caller;
	// changing one makes a new revision of the same version.
	annotations [][2]string
	// maxWeight is the Canary's analysis.maxWeight.
	maxWeight int
	// loadTester is the URL of the webhooks.
	loadTester string
	// compare judges the canary against the primary (the compare story):
	// see compareMetrics. False means the seed's fixed thresholds.
	compare bool
}

// files returns every file of the repository for a.
func (a app) files() map[string]string {
	return map[string]string{
		kustomizationFile: kustomizationYAML,
		namespaceFile:     namespaceYAML,
		DeploymentFile:    a.deploymentYAML(),
		CanaryFile:        a.canaryYAML(),
	}
}

const kustomizationYAML = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- namespace.yaml
- detail/deployment.yaml
- detail/canary.yaml
`

const namespaceYAML = `apiVersion: v1
kind: Namespace
metadata:
  name: flagger
`

// deploymentYAML is the app's Deployment. Its image line reads
// "        image: ghcr.io/sluicehq/detail:<version>".
func (a app) deploymentYAML() string {
	var annotations strings.Builder
	if len(a.annotations) > 0 {
		annotations.WriteString("      annotations:\n")
		for _, kv := range a.annotations {
			fmt.Fprintf(&annotations, "        %s: %q\n", kv[0], kv[1])
		}
	}
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: detail
  namespace: flagger
spec:
  replicas: 2
  selector:
    matchLabels:
      app: detail
  template:
    metadata:
      labels:
        app: detail
` + annotations.String() + `    spec:
      containers:
      - name: detail
        image: ` + ImageLine(a.version) + `
        ports:
        - name: http
          containerPort: 3000
`
}

// ImageLine is the image of the app at version, as the Deployment file
// writes it.
func ImageLine(version string) string { return Image + ":" + version }

// compareInterval is the window of the compare story's metrics: 12
// windows of 2s, each holding two of the playground Prometheus's scrapes
// (one a second), the shortest a comparison can judge.
const compareInterval = "24s"

// metricsYAML is the seed's fixed thresholds, or, when a.compare, the
// compare story's metrics: the success rate compared with the primary's
// alone (a shared fault passes it), the p99 latency under the seed's
// 500 ms and compared with the primary's (a slower canary fails it).
// maxErrors allows the checks that find too few samples of the canary
// while its first windows fill.
func (a app) metricsYAML() string {
	if !a.compare {
		return `    metrics:
    - name: request-success-rate
      thresholdRange:
        min: 99
      interval: ` + metricInterval + `
    - name: request-duration
      thresholdRange:
        max: 500
      interval: ` + metricInterval + `
`
	}
	return `    maxErrors: 12
    metrics:
    - name: request-success-rate
      compare: {against: primary, direction: decrease, tolerance: 0.04, confidence: 0.99}
      interval: ` + compareInterval + `
    - name: request-duration
      thresholdRange:
        max: 500
      compare: {against: primary, direction: increase, tolerance: 0.5, confidence: 0.99}
      interval: ` + compareInterval + `
`
}

// canaryYAML is the seed's Canary with the story's cadence.
func (a app) canaryYAML() string {
	return `apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata:
  name: detail
  namespace: flagger
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: detail
  provider: gatewayapi
  progressDeadlineSeconds: 60
  service:
    port: 3000
    gatewayRefs:
    - name: public
      namespace: gateway
    hosts:
    - ` + Host + `
  analysis:
    interval: ` + AnalysisInterval.String() + `
    threshold: 1
    stepWeight: 5
    maxWeight: ` + fmt.Sprint(a.maxWeight) + `
` + a.metricsYAML() + `    webhooks:
    - name: acceptance-test
      type: pre-rollout
      url: ` + a.loadTester + `
      timeout: 30s
      metadata:
        type: bash
        cmd: "` + acceptanceTestCmd + `"
    - name: load-test
      type: rollout
      url: ` + a.loadTester + `
      timeout: 5s
      metadata:
        cmd: "` + loadTestCmd + `"
`
}
