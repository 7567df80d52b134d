package v1alpha1

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// validCanary returns the seed Canary of DESIGN.md, defaulted: every case of
// TestValidate breaks it in one way.
func validCanary() *Canary {
	canary := &Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "detail", Namespace: "flagger"},
		Spec: CanarySpec{
			TargetRef: TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "detail"},
			Provider:  ProviderGatewayAPI,
			Service: CanaryService{
				Port:        3000,
				GatewayRefs: []GatewayRef{{Name: "public", Namespace: "gateway"}},
				Hosts:       []string{"detail.example.com"},
			},
			Analysis: CanaryAnalysis{
				Interval:   "1m",
				Threshold:  1,
				StepWeight: 5,
				MaxWeight:  15,
				Metrics: []CanaryMetric{
					{Name: MetricRequestSuccessRate, ThresholdRange: &ThresholdRange{Min: ptr.To(99.0)}},
					{Name: MetricRequestDuration, ThresholdRange: &ThresholdRange{Max: ptr.To(500.0)}},
					{Name: "error-budget", Query: "sum(rate(errors[{{ interval }}]))", ThresholdRange: &ThresholdRange{Max: ptr.To(0.01)}},
				},
				Webhooks: []CanaryWebhook{
					{Name: "acceptance-test", Type: WebhookPreRollout, URL: "http://loadtester/"},
					{Name: "load-test", URL: "http://loadtester/"},
				},
			},
		},
	}
	canary.Default()
	return canary
}

// The messages apimachinery writes for names that are not DNS-1123.
const (
	notASubdomain = `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
	notALabel     = `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Canary)
		want   []string // the field errors, in order; none means valid
	}{
		{name: "the seed canary is valid", change: func(c *Canary) {}},
		{
			name:   "an analysis with neither metrics nor webhooks checks nothing and is refused",
			change: func(c *Canary) { c.Spec.Analysis.Metrics, c.Spec.Analysis.Webhooks = nil, nil },
			want:   []string{"spec.analysis.metrics: Required value: an analysis needs at least one metric or webhook to gate it; set spec.skipAnalysis: true to promote without any check"},
		},
		{
			name: "skipAnalysis says so explicitly",
			change: func(c *Canary) {
				c.Spec.Analysis.Metrics, c.Spec.Analysis.Webhooks, c.Spec.SkipAnalysis = nil, nil, true
			},
		},
		{
			name:   "webhooks alone gate an analysis",
			change: func(c *Canary) { c.Spec.Analysis.Metrics = nil },
		},

		// sessionAffinity
		{
			name: "a weighted gatewayapi canary may keep its users on the canary with a cookie",
			change: func(c *Canary) {
				c.Spec.Analysis.SessionAffinity = &SessionAffinity{CookieName: "flagger-cookie", MaxAge: 3600}
			},
		},
		{
			name: "so may an istio one, for a day by default",
			change: func(c *Canary) {
				c.Spec.Provider, c.Spec.Service.GatewayRefs = ProviderIstio, nil
				c.Spec.Analysis.SessionAffinity = &SessionAffinity{CookieName: "flagger-cookie"}
			},
		},
		{
			name: "session affinity needs a provider that routes by cookie, a weighted schedule, a cookie name and a maxAge not negative",
			change: func(c *Canary) {
				c.Spec.Provider, c.Spec.Service.GatewayRefs = ProviderKubernetes, nil
				c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.Iterations = 0, 0, 3
				c.Spec.Analysis.SessionAffinity = &SessionAffinity{CookieName: "a cookie", MaxAge: -1}
			},
			want: []string{
				"spec.analysis.sessionAffinity: Forbidden: provider kubernetes cannot route by cookie: use gatewayapi or istio",
				"spec.analysis.sessionAffinity: Forbidden: needs stepWeight or stepWeights: it keeps on the canary the users the weights sent there (an A/B rollout's match already keeps them)",
				`spec.analysis.sessionAffinity.cookieName: Invalid value: "a cookie": must be a cookie name (letters, digits and !#$%&'*+.^_` + "`" + `|~-)`,
				"spec.analysis.sessionAffinity.maxAge: Invalid value: -1: must be a number of seconds, 0 for a day",
			},
		},
		{
			name: "session affinity may keep the primary's users on the primary with a cookie of another name",
			change: func(c *Canary) {
				c.Spec.Analysis.SessionAffinity = &SessionAffinity{CookieName: "canary-session", PrimaryCookieName: "primary-session"}
			},
		},
		{
			name: "the primary's cookie is not the canary's",
			change: func(c *Canary) {
				c.Spec.Analysis.SessionAffinity = &SessionAffinity{CookieName: "session", PrimaryCookieName: "session"}
			},
			want: []string{`spec.analysis.sessionAffinity.primaryCookieName: Invalid value: "session": must differ from cookieName: one cookie keeps users on the canary, the other on the primary`},
		},
		{
			name: "session affinity needs a cookie name",
			change: func(c *Canary) {
				c.Spec.Analysis.SessionAffinity = &SessionAffinity{}
			},
			want: []string{"spec.analysis.sessionAffinity.cookieName: Required value: the name of the cookie that keeps a user on the canary"},
		},

		// DaemonSet targets
		{
			name: "a DaemonSet rolls out blue/green with provider kubernetes",
			change: func(c *Canary) {
				c.Spec.TargetRef.Kind, c.Spec.Provider, c.Spec.Service.GatewayRefs = KindDaemonSet, ProviderKubernetes, nil
				c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.Iterations = 0, 0, 5
			},
		},
		{
			name:   "a DaemonSet has no replicas to shift weights by",
			change: func(c *Canary) { c.Spec.TargetRef.Kind = KindDaemonSet },
			want:   []string{"spec.targetRef.kind: Forbidden: a DaemonSet target needs provider kubernetes (blue/green): it runs one pod per node, no replicas to shift weights by"},
		},
		{
			name: "a DaemonSet is not autoscaled",
			change: func(c *Canary) {
				c.Spec.TargetRef.Kind, c.Spec.Provider, c.Spec.Service.GatewayRefs = KindDaemonSet, ProviderKubernetes, nil
				c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.Iterations = 0, 0, 5
				c.Spec.AutoscalerRef = &AutoscalerRef{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler", Name: "detail"}
			},
			want: []string{"spec.autoscalerRef: Forbidden: a DaemonSet is not scaled by an autoscaler"},
		},

		// mirror
		{
			name:   "a weighted gatewayapi canary may mirror a share of the requests first",
			change: func(c *Canary) { c.Spec.Analysis.Mirror, c.Spec.Analysis.MirrorWeight = true, 30 },
		},
		{
			name: "an istio blue/green analysis may mirror every request",
			change: func(c *Canary) {
				c.Spec.Provider, c.Spec.Service.GatewayRefs = ProviderIstio, nil
				c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.Iterations = 0, 0, 5
				c.Spec.Analysis.Mirror = true
			},
		},
		{
			name: "kubernetes blue/green switches Services and cannot mirror",
			change: func(c *Canary) {
				c.Spec.Provider, c.Spec.Service.GatewayRefs = ProviderKubernetes, nil
				c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.Iterations = 0, 0, 5
				c.Spec.Analysis.Mirror = true
			},
			want: []string{"spec.analysis.mirror: Forbidden: provider kubernetes cannot mirror requests: use gatewayapi or istio"},
		},
		{
			name: "an A/B rollout routes the matching requests and cannot mirror them",
			change: func(c *Canary) {
				c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.Iterations = 0, 0, 5
				c.Spec.Analysis.Match = []HTTPMatch{{Headers: map[string]StringMatch{"x-canary": {Exact: "always"}}}}
				c.Spec.Analysis.Mirror = true
			},
			want: []string{"spec.analysis.mirror: Forbidden: must not be set with match: an A/B rollout routes the matching requests to the canary, it does not copy them"},
		},
		{
			name:   "a mirrorWeight without mirror copies nothing and is refused",
			change: func(c *Canary) { c.Spec.Analysis.MirrorWeight = 10 },
			want:   []string{"spec.analysis.mirrorWeight: Forbidden: needs mirror: true"},
		},
		{
			name:   "a mirrorWeight is a percentage",
			change: func(c *Canary) { c.Spec.Analysis.Mirror, c.Spec.Analysis.MirrorWeight = true, 101 },
			want:   []string{"spec.analysis.mirrorWeight: Invalid value: 101: must be between 0 and 100"},
		},

		// metadata and targetRef
		{
			name:   "a canary needs a name",
			change: func(c *Canary) { c.Name = "" },
			want:   []string{"metadata.name: Required value"},
		}, {
			name:   "the target must be apps/v1",
			change: func(c *Canary) { c.Spec.TargetRef.APIVersion = "apps/v1beta1" },
			want:   []string{`spec.targetRef.apiVersion: Unsupported value: "apps/v1beta1": supported values: "apps/v1"`},
		}, {
			name:   "the target must be a Deployment",
			change: func(c *Canary) { c.Spec.TargetRef.Kind = "StatefulSet" },
			want:   []string{`spec.targetRef.kind: Unsupported value: "StatefulSet": supported values: "Deployment", "DaemonSet"`},
		}, {
			name:   "the target needs a name",
			change: func(c *Canary) { c.Spec.TargetRef.Name = "" },
			want:   []string{"spec.targetRef.name: Required value"},
		}, {
			name:   "the target name must be a DNS subdomain",
			change: func(c *Canary) { c.Spec.TargetRef.Name = "Detail_App" },
			want:   []string{`spec.targetRef.name: Invalid value: "Detail_App": ` + notASubdomain},
		},

		// provider
		{
			name:   "an unknown provider is an error naming the known ones",
			change: func(c *Canary) { c.Spec.Provider = "consul" },
			want:   []string{`spec.provider: Unsupported value: "consul": supported values: "gatewayapi", "istio", "appmesh", "kubernetes", "linkerd"`},
		}, {
			name:   "an empty provider is invalid before Default",
			change: func(c *Canary) { c.Spec.Provider = "" },
			want:   []string{`spec.provider: Unsupported value: "": supported values: "gatewayapi", "istio", "appmesh", "kubernetes", "linkerd"`},
		}, {
			name:   "istio needs no gatewayRefs",
			change: func(c *Canary) { c.Spec.Provider = ProviderIstio; c.Spec.Service.GatewayRefs = nil },
		}, {
			name:   "appmesh takes weights",
			change: func(c *Canary) { c.Spec.Provider = ProviderAppMesh },
		},

		// service
		{
			name:   "port zero is invalid",
			change: func(c *Canary) { c.Spec.Service.Port = 0 },
			want:   []string{"spec.service.port: Invalid value: 0: must be between 1 and 65535"},
		}, {
			name:   "a port above 65535 is invalid",
			change: func(c *Canary) { c.Spec.Service.Port = 65536 },
			want:   []string{"spec.service.port: Invalid value: 65536: must be between 1 and 65535"},
		}, {
			name:   "a targetPort above 65535 is invalid",
			change: func(c *Canary) { c.Spec.Service.TargetPort = intstr.FromInt32(70000) },
			want:   []string{"spec.service.targetPort: Invalid value: 70000: must be between 1 and 65535"},
		}, {
			name:   "the port name must be a valid port name",
			change: func(c *Canary) { c.Spec.Service.PortName = "http_1" },
			want:   []string{`spec.service.portName: Invalid value: "http_1": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`},
		}, {
			name:   "gatewayapi needs gatewayRefs",
			change: func(c *Canary) { c.Spec.Service.GatewayRefs = nil },
			want:   []string{"spec.service.gatewayRefs: Required value: provider gatewayapi attaches the HTTPRoute to at least one Gateway"},
		}, {
			name:   "a gatewayRef needs a name",
			change: func(c *Canary) { c.Spec.Service.GatewayRefs[0].Name = "" },
			want:   []string{"spec.service.gatewayRefs[0].name: Required value"},
		}, {
			name:   "a gatewayRef namespace must be a DNS label",
			change: func(c *Canary) { c.Spec.Service.GatewayRefs[0].Namespace = "Gateway" },
			want:   []string{`spec.service.gatewayRefs[0].namespace: Invalid value: "Gateway": ` + notALabel},
		}, {
			name: "a gatewayRef namespace may stay empty when the canary has none",
			change: func(c *Canary) {
				c.Namespace = ""
				c.Spec.Service.GatewayRefs[0].Namespace = ""
				c.Default()
			},
		}, {
			name:   "a host must be a DNS name",
			change: func(c *Canary) { c.Spec.Service.Hosts = []string{"detail.example.com", "Detail!"} },
			want:   []string{`spec.service.hosts[1]: Invalid value: "Detail!": must be a DNS name such as detail.example.com, optionally starting with "*."`},
		}, {
			name:   "a host may be a wildcard",
			change: func(c *Canary) { c.Spec.Service.Hosts = []string{"*.example.com"} },
		},

		// progressDeadlineSeconds
		{
			name:   "progressDeadlineSeconds must be positive",
			change: func(c *Canary) { c.Spec.ProgressDeadlineSeconds = ptr.To[int32](0) },
			want:   []string{"spec.progressDeadlineSeconds: Invalid value: 0: must be greater than 0"},
		}, {
			name:   "progressDeadlineSeconds is required before Default",
			change: func(c *Canary) { c.Spec.ProgressDeadlineSeconds = nil },
			want:   []string{"spec.progressDeadlineSeconds: Required value"},
		},

		// analysis interval, threshold, maxErrors
		{
			name:   "the interval must be a duration",
			change: func(c *Canary) { c.Spec.Analysis.Interval = "1 minute" },
			want:   []string{`spec.analysis.interval: Invalid value: "1 minute": must be a duration such as 30s, 1m or 1m30s`},
		}, {
			name:   "the interval must be positive",
			change: func(c *Canary) { c.Spec.Analysis.Interval = "-1m" },
			want:   []string{`spec.analysis.interval: Invalid value: "-1m": must be greater than 0`},
		}, {
			name:   "a short interval is allowed",
			change: func(c *Canary) { c.Spec.Analysis.Interval = "500ms" },
		}, {
			name:   "threshold must be at least 1",
			change: func(c *Canary) { c.Spec.Analysis.Threshold = 0 },
			want:   []string{"spec.analysis.threshold: Invalid value: 0: must be at least 1"},
		}, {
			name:   "maxErrors must be at least 1",
			change: func(c *Canary) { c.Spec.Analysis.MaxErrors = -1 },
			want:   []string{"spec.analysis.maxErrors: Invalid value: -1: must be at least 1"},
		},

		// weights
		{
			name:   "stepWeight above 100 is invalid",
			change: func(c *Canary) { c.Spec.Analysis.StepWeight = 101; c.Spec.Analysis.MaxWeight = 100 },
			want:   []string{"spec.analysis.stepWeight: Invalid value: 101: must be between 1 and 100"},
		}, {
			name:   "a negative stepWeight is invalid",
			change: func(c *Canary) { c.Spec.Analysis.StepWeight = -5 },
			want:   []string{"spec.analysis.stepWeight: Invalid value: -5: must be between 1 and 100"},
		}, {
			name:   "maxWeight above 100 is invalid",
			change: func(c *Canary) { c.Spec.Analysis.MaxWeight = 150 },
			want:   []string{"spec.analysis.maxWeight: Invalid value: 150: must be between 1 and 100"},
		}, {
			name:   "stepWeight above maxWeight is invalid",
			change: func(c *Canary) { c.Spec.Analysis.StepWeight = 20 },
			want:   []string{"spec.analysis.stepWeight: Invalid value: 20: must not be greater than maxWeight (15)"},
		}, {
			name:   "stepWeight equal to maxWeight is one step",
			change: func(c *Canary) { c.Spec.Analysis.StepWeight = 15 },
		}, {
			name:   "a maxWeight needs a stepWeight",
			change: func(c *Canary) { c.Spec.Analysis.StepWeight = 0 },
			want:   []string{"spec.analysis.stepWeight: Required value: maxWeight needs a stepWeight"},
		}, {
			name:   "stepWeights replace stepWeight and maxWeight",
			change: func(c *Canary) { setWeights(c, 0, 0, 5, 10, 15) },
		}, {
			name:   "stepWeights must be between 1 and 100",
			change: func(c *Canary) { setWeights(c, 0, 0, 0, 50, 150) },
			want: []string{
				"spec.analysis.stepWeights[0]: Invalid value: 0: must be between 1 and 100",
				"spec.analysis.stepWeights[2]: Invalid value: 150: must be between 1 and 100",
			},
		}, {
			name:   "stepWeights must strictly increase",
			change: func(c *Canary) { setWeights(c, 0, 0, 5, 10, 10, 8) },
			want: []string{
				"spec.analysis.stepWeights[2]: Invalid value: 10: must be greater than the weight before it (10)",
				"spec.analysis.stepWeights[3]: Invalid value: 8: must be greater than the weight before it (10)",
			},
		}, {
			name:   "stepWeights and stepWeight are mutually exclusive",
			change: func(c *Canary) { setWeights(c, 5, 0, 5, 10) },
			want:   []string{"spec.analysis.stepWeights: Forbidden: must not be set with stepWeight"},
		}, {
			name:   "stepWeights and maxWeight are mutually exclusive",
			change: func(c *Canary) { setWeights(c, 0, 50, 5, 10) },
			want:   []string{"spec.analysis.maxWeight: Forbidden: must not be set with stepWeights, whose last weight is the maximum"},
		}, {
			name:   "a canary needs a schedule",
			change: func(c *Canary) { setWeights(c, 0, 0) },
			want:   []string{"spec.analysis.stepWeight: Required value: one of stepWeight, stepWeights or iterations is required unless skipAnalysis is true"},
		}, {
			name:   "skipAnalysis needs no schedule",
			change: func(c *Canary) { setWeights(c, 0, 0); c.Spec.SkipAnalysis = true },
		},

		// iterations, blue/green, A/B
		{
			name:   "iterations alone make a blue/green rollout on a router",
			change: func(c *Canary) { setWeights(c, 0, 0); c.Spec.Analysis.Iterations = 10 },
		}, {
			name:   "iterations and weights are mutually exclusive",
			change: func(c *Canary) { c.Spec.Analysis.Iterations = 10 },
			want:   []string{"spec.analysis.iterations: Forbidden: must not be set with stepWeight, stepWeights or maxWeight: a schedule is either weights or iterations"},
		}, {
			name:   "negative iterations are invalid",
			change: func(c *Canary) { setWeights(c, 0, 0); c.Spec.Analysis.Iterations = -1 },
			want:   []string{"spec.analysis.iterations: Invalid value: -1: must be at least 1"},
		}, {
			name:   "kubernetes blue/green takes iterations",
			change: func(c *Canary) { blueGreen(c); c.Spec.Analysis.Iterations = 10 },
		}, {
			name:   "kubernetes blue/green with skipAnalysis needs no iterations",
			change: func(c *Canary) { blueGreen(c); c.Spec.SkipAnalysis = true },
		}, {
			name:   "kubernetes blue/green needs iterations",
			change: blueGreen,
			want:   []string{"spec.analysis.iterations: Required value: provider kubernetes needs iterations unless skipAnalysis is true"},
		}, {
			name: "kubernetes blue/green takes no stepWeight, nor the maxWeight Default gives it",
			change: func(c *Canary) {
				blueGreen(c)
				c.Spec.Analysis.StepWeight = 10
				c.Default()
				c.Spec.Analysis.Iterations = 10
			},
			want: []string{"spec.analysis.stepWeight: Forbidden: provider kubernetes switches all traffic at once: it takes iterations, not weights"},
		}, {
			name:   "kubernetes blue/green takes no stepWeights",
			change: func(c *Canary) { blueGreen(c); setWeights(c, 0, 0, 50); c.Spec.Analysis.Iterations = 10 },
			want:   []string{"spec.analysis.stepWeights: Forbidden: provider kubernetes switches all traffic at once: it takes iterations, not weights"},
		}, {
			name:   "kubernetes blue/green takes no maxWeight",
			change: func(c *Canary) { blueGreen(c); setWeights(c, 0, 50) },
			want: []string{
				"spec.analysis.maxWeight: Forbidden: provider kubernetes switches all traffic at once: it takes iterations, not weights",
				"spec.analysis.iterations: Required value: provider kubernetes needs iterations unless skipAnalysis is true",
			},
		}, {
			name: "kubernetes blue/green cannot match requests",
			change: func(c *Canary) {
				blueGreen(c)
				c.Spec.Analysis.Iterations = 10
				c.Spec.Analysis.Match = []HTTPMatch{{Headers: map[string]StringMatch{"x-canary": {Exact: "insider"}}}}
			},
			want: []string{"spec.analysis.match: Forbidden: provider kubernetes cannot route by request"},
		}, {
			name:   "an A/B rollout matches headers for some iterations",
			change: func(c *Canary) { abTest(c, map[string]StringMatch{"x-canary": {Exact: "insider"}}) },
		}, {
			name: "an A/B rollout may match a cookie with a regex",
			change: func(c *Canary) {
				abTest(c, map[string]StringMatch{"cookie": {Regex: "^(.*?;)?(canary=always)(;.*)?$"}})
			},
		}, {
			name: "an A/B rollout takes no weights",
			change: func(c *Canary) {
				c.Spec.Analysis.Match = []HTTPMatch{{Headers: map[string]StringMatch{"x-canary": {Exact: "insider"}}}}
			},
			want: []string{
				"spec.analysis.match: Forbidden: must not be set with stepWeight, stepWeights or maxWeight: an A/B rollout takes iterations",
				"spec.analysis.iterations: Required value: match needs iterations: an A/B rollout sends the matching requests to the canary for that many steps",
			},
		}, {
			name:   "a match needs a header",
			change: func(c *Canary) { abTest(c, nil) },
			want:   []string{"spec.analysis.match[0].headers: Required value: a match needs at least one header"},
		}, {
			name:   "a header condition sets exactly one of exact, prefix or regex",
			change: func(c *Canary) { abTest(c, map[string]StringMatch{"x-a": {Exact: "a", Regex: "b"}, "x-b": {}}) },
			want: []string{
				`spec.analysis.match[0].headers[x-a]: Invalid value: {"exact":"a","regex":"b"}: must set exactly one of exact, prefix or regex`,
				`spec.analysis.match[0].headers[x-b]: Invalid value: {}: must set exactly one of exact, prefix or regex`,
			},
		}, {
			name:   "a header name must be a token",
			change: func(c *Canary) { abTest(c, map[string]StringMatch{"x canary": {Exact: "yes"}}) },
			want:   []string{`spec.analysis.match[0].headers[x canary]: Invalid value: "x canary": must be an HTTP header name`},
		}, {
			name:   "gatewayapi matches no header prefix",
			change: func(c *Canary) { abTest(c, map[string]StringMatch{"user-agent": {Prefix: "Mozilla"}}) },
			want:   []string{"spec.analysis.match[0].headers[user-agent].prefix: Forbidden: provider gatewayapi matches headers by exact value or regex only"},
		}, {
			name: "istio matches a header prefix",
			change: func(c *Canary) {
				c.Spec.Provider = ProviderIstio
				abTest(c, map[string]StringMatch{"user-agent": {Prefix: "Mozilla"}})
			},
		}, {
			name:   "a header regex must compile",
			change: func(c *Canary) { abTest(c, map[string]StringMatch{"cookie": {Regex: "(canary"}}) },
			want:   []string{"spec.analysis.match[0].headers[cookie].regex: Invalid value: \"(canary\": must be an RE2 regular expression: error parsing regexp: missing closing ): `(canary`"},
		},

		// metrics
		{
			name:   "a metric needs a name",
			change: func(c *Canary) { c.Spec.Analysis.Metrics[1].Name = "" },
			want:   []string{"spec.analysis.metrics[1].name: Required value"},
		}, {
			name:   "metric names are unique",
			change: func(c *Canary) { c.Spec.Analysis.Metrics[1].Name = MetricRequestSuccessRate },
			want:   []string{`spec.analysis.metrics[1].name: Duplicate value: "request-success-rate"`},
		}, {
			name:   "a metric that is not built in needs a query",
			change: func(c *Canary) { c.Spec.Analysis.Metrics[2].Query = "" },
			want:   []string{`spec.analysis.metrics[2].query: Required value: metric "error-budget" is not built in (request-success-rate, request-duration) and needs a query or a templateRef`},
		}, {
			name: "a metric may take its query from a MetricTemplate",
			change: func(c *Canary) {
				c.Spec.Analysis.Metrics[2].Query = ""
				c.Spec.Analysis.Metrics[2].TemplateRef = &MetricTemplateRef{Name: "error-budget", Namespace: "monitoring"}
			},
		}, {
			name:   "a metric has a query or a templateRef, not both",
			change: func(c *Canary) { c.Spec.Analysis.Metrics[2].TemplateRef = &MetricTemplateRef{Name: "error-budget"} },
			want:   []string{"spec.analysis.metrics[2].templateRef: Forbidden: a metric has a query or a templateRef, not both"},
		}, {
			name: "a templateRef names a MetricTemplate and a namespace",
			change: func(c *Canary) {
				c.Spec.Analysis.Metrics[2].Query = ""
				c.Spec.Analysis.Metrics[2].TemplateRef = &MetricTemplateRef{Name: "Error_Budget", Namespace: "mon.itoring"}
			},
			want: []string{
				`spec.analysis.metrics[2].templateRef.name: Invalid value: "Error_Budget": ` + notASubdomain,
				`spec.analysis.metrics[2].templateRef.namespace: Invalid value: "mon.itoring": must not contain dots`,
			},
		}, {
			name:   "a metrics server is an http URL",
			change: func(c *Canary) { c.Spec.MetricsServer = "prometheus:9090" },
			want:   []string{`spec.metricsServer: Invalid value: "prometheus:9090": must be an absolute http or https URL`},
		}, {
			name:   "a metrics server without credentials in it",
			change: func(c *Canary) { c.Spec.MetricsServer = "https://admin:pw@thanos:9090" },
			want:   []string{`spec.metricsServer: Invalid value: "https://REDACTED@thanos:9090": must not hold credentials: use a MetricTemplate with a secretRef`},
		}, {
			name:   "webhook retries are bounded",
			change: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Retries = 11 },
			want:   []string{"spec.analysis.webhooks[0].retries: Invalid value: 11: must be between 0 and 10"},
		}, {
			name:   "a built-in metric may have its own query",
			change: func(c *Canary) { c.Spec.Analysis.Metrics[0].Query = "sum(rate(ok[1m])) / sum(rate(all[1m])) * 100" },
		}, {
			name:   "a metric interval must read the same in PromQL",
			change: func(c *Canary) { c.Spec.Analysis.Metrics[0].Interval = "1.5m" },
			want:   []string{`spec.analysis.metrics[0].interval: Invalid value: "1.5m": must be whole hours, minutes, seconds or milliseconds, largest first, such as 30s, 1m or 1m30s`},
		}, {
			name:   "a metric interval in days is not a Go duration",
			change: func(c *Canary) { c.Spec.Analysis.Metrics[0].Interval = "1d" },
			want:   []string{`spec.analysis.metrics[0].interval: Invalid value: "1d": must be whole hours, minutes, seconds or milliseconds, largest first, such as 30s, 1m or 1m30s`},
		}, {
			name:   "a metric interval must be positive",
			change: func(c *Canary) { c.Spec.Analysis.Metrics[0].Interval = "0s" },
			want:   []string{`spec.analysis.metrics[0].interval: Invalid value: "0s": must be greater than 0`},
		}, {
			name:   "a metric interval may combine units",
			change: func(c *Canary) { c.Spec.Analysis.Metrics[0].Interval = "1h30m15s" },
		}, {
			name:   "a metric needs a thresholdRange",
			change: func(c *Canary) { c.Spec.Analysis.Metrics[0].ThresholdRange = nil },
			want:   []string{"spec.analysis.metrics[0].thresholdRange: Required value: min, max or both are required (or a compare)"},
		}, {
			name:   "a thresholdRange needs a bound",
			change: func(c *Canary) { c.Spec.Analysis.Metrics[0].ThresholdRange = &ThresholdRange{} },
			want:   []string{"spec.analysis.metrics[0].thresholdRange: Required value: min, max or both are required (or a compare)"},
		}, {
			name: "a thresholdRange min must not exceed its max",
			change: func(c *Canary) {
				c.Spec.Analysis.Metrics[0].ThresholdRange = &ThresholdRange{Min: ptr.To(99.5), Max: ptr.To(90.0)}
			},
			want: []string{"spec.analysis.metrics[0].thresholdRange.min: Invalid value: 99.5: must not be greater than max (90)"},
		}, {
			name: "a thresholdRange may be a single value",
			change: func(c *Canary) {
				c.Spec.Analysis.Metrics[0].ThresholdRange = &ThresholdRange{Min: ptr.To(99.0), Max: ptr.To(99.0)}
			},
		}, {
			name: "a comparison with the primary may stand instead of a thresholdRange",
			change: func(c *Canary) {
				c.Spec.Analysis.Metrics[1].ThresholdRange = nil
				c.Spec.Analysis.Metrics[1].Compare = &MetricComparison{Against: CompareAgainstPrimary, Direction: CompareIncrease, Tolerance: 0.2, Confidence: 0.99}
			},
		}, {
			name: "a comparison may stand beside a thresholdRange, against and confidence left to their defaults",
			change: func(c *Canary) {
				c.Spec.Analysis.Metrics[0].Compare = &MetricComparison{Direction: CompareDecrease}
			},
		}, {
			name: "a comparison is against the primary only, in a known direction",
			change: func(c *Canary) {
				c.Spec.Analysis.Metrics[0].Compare = &MetricComparison{Against: "baseline", Direction: "up"}
			},
			want: []string{
				`spec.analysis.metrics[0].compare.against: Unsupported value: "baseline": supported values: "primary"`,
				`spec.analysis.metrics[0].compare.direction: Unsupported value: "up": supported values: "increase", "decrease", "either"`,
			},
		}, {
			name: "a comparison needs a tolerance >= 0 and a confidence in [0.5, 1)",
			change: func(c *Canary) {
				c.Spec.Analysis.Metrics[0].Compare = &MetricComparison{Direction: CompareEither, Tolerance: -0.1, Confidence: 1}
			},
			want: []string{
				"spec.analysis.metrics[0].compare.tolerance: Invalid value: -0.1: must be a relative change >= 0, e.g. 0.1 for 10 %",
				"spec.analysis.metrics[0].compare.confidence: Invalid value: 1: must be in [0.5, 1), e.g. 0.95",
			},
		},

		// webhooks
		{
			name:   "a webhook needs a name",
			change: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Name = "" },
			want:   []string{"spec.analysis.webhooks[0].name: Required value"},
		}, {
			name:   "webhook names are unique",
			change: func(c *Canary) { c.Spec.Analysis.Webhooks[1].Name = "acceptance-test" },
			want:   []string{`spec.analysis.webhooks[1].name: Duplicate value: "acceptance-test"`},
		}, {
			name:   "a webhook type must be known",
			change: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Type = "pre" },
			want:   []string{`spec.analysis.webhooks[0].type: Unsupported value: "pre": supported values: "confirm-rollout", "pre-rollout", "rollout", "confirm-traffic-increase", "confirm-promotion", "post-rollout", "rollback", "event"`},
		}, {
			name:   "a webhook needs a url",
			change: func(c *Canary) { c.Spec.Analysis.Webhooks[0].URL = "" },
			want:   []string{"spec.analysis.webhooks[0].url: Required value"},
		}, {
			name:   "a webhook url must be absolute",
			change: func(c *Canary) { c.Spec.Analysis.Webhooks[0].URL = "loadtester/" },
			want:   []string{`spec.analysis.webhooks[0].url: Invalid value: "loadtester/": must be an absolute http or https URL`},
		}, {
			name:   "a webhook url must be http or https",
			change: func(c *Canary) { c.Spec.Analysis.Webhooks[0].URL = "ftp://loadtester/" },
			want:   []string{`spec.analysis.webhooks[0].url: Invalid value: "ftp://loadtester/": must be an absolute http or https URL`},
		}, {
			name:   "a webhook url needs a host",
			change: func(c *Canary) { c.Spec.Analysis.Webhooks[0].URL = "https:///hook" },
			want:   []string{`spec.analysis.webhooks[0].url: Invalid value: "https:///hook": must be an absolute http or https URL`},
		}, {
			name:   "a webhook url must parse",
			change: func(c *Canary) { c.Spec.Analysis.Webhooks[0].URL = "http://loadtester:port/" },
			want:   []string{`spec.analysis.webhooks[0].url: Invalid value: "http://loadtester:port/": must be an absolute http or https URL`},
		}, {
			name:   "a webhook timeout must be a duration",
			change: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Timeout = "soon" },
			want:   []string{`spec.analysis.webhooks[0].timeout: Invalid value: "soon": must be a duration such as 30s, 1m or 1m30s`},
		}, {
			name:   "a webhook timeout must be positive",
			change: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Timeout = "0s" },
			want:   []string{`spec.analysis.webhooks[0].timeout: Invalid value: "0s": must be greater than 0`},
		},

		// all at once
		{
			name: "every invalid field is named, in the order of the spec",
			change: func(c *Canary) {
				c.Spec.Provider = "consul"
				c.Spec.Service.Port = 0
				c.Spec.Analysis.StepWeight = 0
				c.Spec.Analysis.Webhooks[1].URL = "loadtester"
			},
			want: []string{
				`spec.provider: Unsupported value: "consul": supported values: "gatewayapi", "istio", "appmesh", "kubernetes", "linkerd"`,
				"spec.service.port: Invalid value: 0: must be between 1 and 65535",
				"spec.analysis.stepWeight: Required value: maxWeight needs a stepWeight",
				`spec.analysis.webhooks[1].url: Invalid value: "loadtester": must be an absolute http or https URL`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			canary := validCanary()
			tt.change(canary)
			before := canary.DeepCopy()

			err := canary.Validate()

			if diff := cmp.Diff(before, canary); diff != "" {
				t.Errorf("Validate() changed the canary (-before +after):\n%s", diff)
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			name := canary.Name
			if name == "" {
				name = "(no name)"
			}
			want := "canary flagger/" + name + ": " + strings.Join(tt.want, "; ")
			if err == nil {
				t.Fatalf("Validate() = nil, want %s", want)
			}
			if diff := cmp.Diff(want, err.Error()); diff != "" {
				t.Errorf("Validate() error (-want +got):\n%s", diff)
			}
		})
	}
}

// setWeights sets the weights of the schedule, stepWeights last.
func setWeights(c *Canary, stepWeight, maxWeight int32, stepWeights ...int32) {
	c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.StepWeights = stepWeight, maxWeight, stepWeights
}

// blueGreen turns the canary to provider kubernetes without a schedule.
func blueGreen(c *Canary) {
	c.Spec.Provider = ProviderKubernetes
	c.Spec.Service.GatewayRefs = nil
	setWeights(c, 0, 0)
}

// abTest turns the canary into an A/B rollout of 10 iterations matching
// headers.
func abTest(c *Canary, headers map[string]StringMatch) {
	setWeights(c, 0, 0)
	c.Spec.Analysis.Iterations = 10
	c.Spec.Analysis.Match = []HTTPMatch{{Headers: headers}}
}

func TestValidationErrorIsTyped(t *testing.T) {
	canary := validCanary()
	canary.Spec.Analysis.StepWeight = 101
	canary.Spec.Analysis.MaxWeight = 100

	err := canary.Validate()

	var validationErr *ValidationError
	if !errors.As(err, &validationErr) {
		t.Fatalf("Validate() = %T, want a *ValidationError", err)
	}
	want := &ValidationError{
		Namespace: "flagger",
		Name:      "detail",
		Errors:    field.ErrorList{field.Invalid(field.NewPath("spec", "analysis", "stepWeight"), int32(101), "must be between 1 and 100")},
	}
	if diff := cmp.Diff(want, validationErr); diff != "" {
		t.Errorf("Validate() (-want +got):\n%s", diff)
	}
	var fieldErr *field.Error
	if !errors.As(err, &fieldErr) || fieldErr.Field != "spec.analysis.stepWeight" {
		t.Errorf("errors.As(Validate(), *field.Error) = %v, want the stepWeight error", fieldErr)
	}
}

func TestValidationErrorOfACanaryWithoutNamespace(t *testing.T) {
	err := &ValidationError{Name: "detail", Errors: field.ErrorList{field.Required(field.NewPath("spec", "targetRef", "name"), "")}}
	if got, want := err.Error(), "canary detail: spec.targetRef.name: Required value"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
