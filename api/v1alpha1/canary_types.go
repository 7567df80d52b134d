package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Canary is the progressive delivery policy of one workload. Its field names
// follow Flagger's Canary so that people who know Flagger read it at sight.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cn,categories=sluice
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Weight",type=integer,JSONPath=`.status.canaryWeight`
// +kubebuilder:printcolumn:name="FailedChecks",type=integer,JSONPath=`.status.failedChecks`
// +kubebuilder:printcolumn:name="Commit",type=string,JSONPath=`.status.lastAppliedCommitShort`
// +kubebuilder:printcolumn:name="LastTransition",type=string,JSONPath=`.status.lastTransitionTime`
type Canary struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   CanarySpec   `json:"spec"`
	Status CanaryStatus `json:"status,omitempty"`
}

// CanaryList is a list of Canaries.
//
// +kubebuilder:object:root=true
type CanaryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Canary `json:"items"`
}

// CanarySpec is the desired rollout policy.
type CanarySpec struct {
	// TargetRef is the workload rolled out progressively; only apps/v1
	// Deployments are supported.
	TargetRef TargetRef `json:"targetRef"`

	// Provider routes traffic between primary and canary: gatewayapi, istio,
	// appmesh, kubernetes (blue/green) or linkerd; see Providers. Empty
	// means gatewayapi.
	// +kubebuilder:validation:Enum=gatewayapi;istio;appmesh;kubernetes;linkerd
	// +optional
	Provider string `json:"provider,omitempty"`

	// Service describes the Services and routes sluice generates.
	Service CanaryService `json:"service"`

	// ProgressDeadlineSeconds is how long the canary or primary may stay not
	// ready before the rollout is rolled back. Nil means 600.
	// +kubebuilder:validation:Minimum=1
	// +optional
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// SkipAnalysis promotes a new revision without analysis steps.
	// +optional
	SkipAnalysis bool `json:"skipAnalysis,omitempty"`

	// Suspend, while true, stops every rollout step and every sync of the
	// Canary's target: the cluster stays as it is, and the status says
	// so. Setting it back to false resumes where it stopped.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// MetricsServer is the Prometheus HTTP API the built-in metrics and
	// the queries of this Canary run in, instead of sluice's
	// --prometheus-url (a metric's MetricTemplate names its own).
	// +optional
	MetricsServer string `json:"metricsServer,omitempty"`

	// AutoscalerRef names the HorizontalPodAutoscaler (autoscaling/v2) of
	// the target: sluice gives the primary a copy, <name>-primary, that
	// scales the primary with the same metrics and bounds, while the
	// target's own keeps scaling the canary.
	// +optional
	AutoscalerRef *AutoscalerRef `json:"autoscalerRef,omitempty"`

	// Analysis is the schedule and the checks of each step.
	// +optional
	Analysis CanaryAnalysis `json:"analysis,omitempty"`
}

// AutoscalerRef names the autoscaler of a Canary's target.
type AutoscalerRef struct {
	// APIVersion of the autoscaler: autoscaling/v2.
	APIVersion string `json:"apiVersion"`
	// Kind of the autoscaler: HorizontalPodAutoscaler.
	Kind string `json:"kind"`
	// Name of the autoscaler, in the Canary's namespace.
	Name string `json:"name"`
	// PrimaryScalerReplicas overrides the bounds of the primary's copy.
	// +optional
	PrimaryScalerReplicas *ScalerReplicas `json:"primaryScalerReplicas,omitempty"`
}

// ScalerReplicas are replica bounds of an autoscaler; nil keeps the
// original's.
type ScalerReplicas struct {
	// MinReplicas of the primary's autoscaler.
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	// MaxReplicas of the primary's autoscaler.
	// +optional
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`
}

// TargetRef names the workload a Canary rolls out.
type TargetRef struct {
	// APIVersion of the target; empty means apps/v1.
	// +kubebuilder:validation:Enum=apps/v1
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
	// Kind of the target: Deployment, or DaemonSet with provider
	// kubernetes (blue/green; the canary DaemonSet rests on no node).
	// +kubebuilder:validation:Enum=Deployment;DaemonSet
	Kind string `json:"kind"`
	// Name of the target in the Canary's namespace.
	Name string `json:"name"`
}

// CanaryService describes the apex, primary and canary Services and the
// routing in front of them.
type CanaryService struct {
	// Name is the apex Service's name; the others are <name>-primary and
	// <name>-canary. Empty means the target's name.
	// +optional
	Name string `json:"name,omitempty"`
	// Port is the port the Services expose.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
	// TargetPort is the container port, a number or a container port's
	// name; empty means Port.
	// +optional
	TargetPort intstr.IntOrString `json:"targetPort,omitempty"`
	// PortName names the Service port; empty means http.
	// +optional
	PortName string `json:"portName,omitempty"`
	// AppProtocol is the Services' port appProtocol, e.g. http or
	// kubernetes.io/h2c.
	// +optional
	AppProtocol string `json:"appProtocol,omitempty"`
	// TrafficDistribution is the Services' spec.trafficDistribution, e.g.
	// PreferClose (Kubernetes 1.31 and later).
	// +optional
	TrafficDistribution string `json:"trafficDistribution,omitempty"`
	// PortDiscovery exposes every other container port of the target on
	// the Services too.
	// +optional
	PortDiscovery bool `json:"portDiscovery,omitempty"`
	// Timeout of a request through the route, a Go duration such as 30s.
	// +optional
	Timeout string `json:"timeout,omitempty"`
	// BackendTimeout of a request from the gateway to a backend
	// (gatewayapi).
	// +optional
	BackendTimeout string `json:"backendTimeout,omitempty"`
	// GatewayRefs are the parent Gateways of the generated HTTPRoute
	// (gatewayapi, where at least one is required) or the gateways of the
	// VirtualService (istio).
	// +optional
	GatewayRefs []GatewayRef `json:"gatewayRefs,omitempty"`
	// Gateways are the Istio gateways of the VirtualService, as
	// namespace/name (istio); "mesh" is the sidecars.
	// +optional
	Gateways []string `json:"gateways,omitempty"`
	// Hosts are the host names routed to the workload.
	// +optional
	Hosts []string `json:"hosts,omitempty"`
	// Delegation makes the VirtualService a delegate of another (istio):
	// no hosts and no gateways of its own.
	// +optional
	Delegation bool `json:"delegation,omitempty"`
	// TrafficPolicy is the Istio traffic policy (loadBalancer,
	// connectionPool, outlierDetection, tls, …) of the DestinationRules
	// <name>-primary and <name>-canary, passed to Istio as written.
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	TrafficPolicy *apiextensionsv1.JSON `json:"trafficPolicy,omitempty"`
	// Match restricts the route to the requests that satisfy any one of
	// these conditions.
	// +optional
	Match []HTTPMatchRequest `json:"match,omitempty"`
	// Rewrite rewrites the path or authority of the requests routed.
	// +optional
	Rewrite *HTTPRewrite `json:"rewrite,omitempty"`
	// Retries of a failed request (istio).
	// +optional
	Retries *HTTPRetry `json:"retries,omitempty"`
	// Headers adds, sets or removes request and response headers.
	// +optional
	Headers *HeaderOperations `json:"headers,omitempty"`
	// CorsPolicy of the route (istio).
	// +optional
	CorsPolicy *CorsPolicy `json:"corsPolicy,omitempty"`
	// Apex, Primary and Canary are labels and annotations of the
	// generated Services <name>, <name>-primary and <name>-canary.
	// +optional
	Apex *CustomMetadata `json:"apex,omitempty"`
	// +optional
	Primary *CustomMetadata `json:"primary,omitempty"`
	// +optional
	Canary *CustomMetadata `json:"canary,omitempty"`
	// UnmanagedMetadata are label and annotation keys that other tools set
	// on the generated objects. sluice applies with server-side apply and
	// never removes or changes a key it did not set, so listing them is
	// not needed; the field is accepted for Flagger's Canaries.
	// +optional
	UnmanagedMetadata *UnmanagedMetadata `json:"unmanagedMetadata,omitempty"`
}

// UnmanagedMetadata are label and annotation keys left to other tools.
type UnmanagedMetadata struct {
	// +optional
	Labels []string `json:"labels,omitempty"`
	// +optional
	Annotations []string `json:"annotations,omitempty"`
}

// CustomMetadata are labels and annotations of a generated object.
type CustomMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// HTTPMatchRequest is a condition on a request, in Istio's words: every
// field set must match.
type HTTPMatchRequest struct {
	// Name of the condition, for logs.
	// +optional
	Name string `json:"name,omitempty"`
	// URI matches the request path.
	// +optional
	URI *StringMatch `json:"uri,omitempty"`
	// Method matches the HTTP method.
	// +optional
	Method *StringMatch `json:"method,omitempty"`
	// Scheme matches the request scheme (istio).
	// +optional
	Scheme *StringMatch `json:"scheme,omitempty"`
	// Authority matches the Host / :authority (istio).
	// +optional
	Authority *StringMatch `json:"authority,omitempty"`
	// Headers match request headers by name.
	// +optional
	Headers map[string]StringMatch `json:"headers,omitempty"`
	// QueryParams match query parameters by name.
	// +optional
	QueryParams map[string]StringMatch `json:"queryParams,omitempty"`
	// IgnoreURICase matches URI case-insensitively (istio).
	// +optional
	IgnoreURICase bool `json:"ignoreUriCase,omitempty"`
	// SourceLabels match the labels of the calling workload (istio).
	// +optional
	SourceLabels map[string]string `json:"sourceLabels,omitempty"`
	// Gateways restricts the condition to these gateways (istio).
	// +optional
	Gateways []string `json:"gateways,omitempty"`
}

// HTTPRewrite rewrites a request before it is forwarded.
type HTTPRewrite struct {
	// URI replaces the path, or the matched prefix of it.
	// +optional
	URI string `json:"uri,omitempty"`
	// Authority replaces the Host / :authority.
	// +optional
	Authority string `json:"authority,omitempty"`
	// Type is ReplaceFullPath or ReplacePrefixMatch (gatewayapi); empty
	// means ReplaceFullPath, as in Flagger.
	// +optional
	Type string `json:"type,omitempty"`
}

// HTTPRetry is Istio's retry policy.
type HTTPRetry struct {
	// Attempts is the number of retries.
	Attempts int32 `json:"attempts"`
	// PerTryTimeout bounds each try, e.g. 2s.
	// +optional
	PerTryTimeout string `json:"perTryTimeout,omitempty"`
	// RetryOn lists the conditions that retry, e.g. gateway-error,connect-failure.
	// +optional
	RetryOn string `json:"retryOn,omitempty"`
	// RetryRemoteLocalities retries on other localities.
	// +optional
	RetryRemoteLocalities *bool `json:"retryRemoteLocalities,omitempty"`
}

// HeaderOperations change request and response headers.
type HeaderOperations struct {
	// +optional
	Request *HeaderOperation `json:"request,omitempty"`
	// +optional
	Response *HeaderOperation `json:"response,omitempty"`
}

// HeaderOperation sets, adds and removes headers.
type HeaderOperation struct {
	// Set overwrites these headers.
	// +optional
	Set map[string]string `json:"set,omitempty"`
	// Add appends to these headers.
	// +optional
	Add map[string]string `json:"add,omitempty"`
	// Remove removes these headers.
	// +optional
	Remove []string `json:"remove,omitempty"`
}

// CorsPolicy is Istio's CORS policy.
type CorsPolicy struct {
	// AllowOrigins match the origins allowed.
	// +optional
	AllowOrigins []StringMatch `json:"allowOrigins,omitempty"`
	// AllowOrigin lists the origins allowed (Istio's older field).
	// +optional
	AllowOrigin []string `json:"allowOrigin,omitempty"`
	// +optional
	AllowMethods []string `json:"allowMethods,omitempty"`
	// +optional
	AllowHeaders []string `json:"allowHeaders,omitempty"`
	// +optional
	ExposeHeaders []string `json:"exposeHeaders,omitempty"`
	// MaxAge of a preflight answer, e.g. 24h.
	// +optional
	MaxAge string `json:"maxAge,omitempty"`
	// +optional
	AllowCredentials *bool `json:"allowCredentials,omitempty"`
}

// GatewayRef names a Gateway.
type GatewayRef struct {
	// Name of the Gateway.
	Name string `json:"name"`
	// Namespace of the Gateway; empty means the Canary's namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// SectionName attaches to one listener of the Gateway.
	// +optional
	SectionName string `json:"sectionName,omitempty"`
	// Port attaches to the listeners of the Gateway on this port.
	// +optional
	Port *int32 `json:"port,omitempty"`
}

// CanaryAnalysis is the schedule and the checks of a rollout.
//
// The schedule is either weights or iterations, never both:
//
//   - weights (canary release): StepWeight, with MaxWeight (default 100), or
//     StepWeights; each step moves that share of the traffic to the canary.
//     Steps lists them.
//   - iterations (blue/green, A/B testing): Iterations analysis steps during
//     which the canary gets no traffic from the route, or, with Match, all of
//     the matching requests and none of the others; then promotion. Provider
//     kubernetes can only switch a Service selector, so it takes iterations
//     and neither weights nor Match.
//
// SkipAnalysis needs no schedule.
type CanaryAnalysis struct {
	// Interval between analysis steps, e.g. 1m. Empty means 1m.
	// +optional
	Interval string `json:"interval,omitempty"`
	// Threshold is the number of failed checks that rolls back. Zero means 1.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Threshold int32 `json:"threshold,omitempty"`
	// MaxWeight is the last canary weight before promotion, in percent,
	// with StepWeight. Zero means 100 when StepWeight is set; it must stay
	// zero with StepWeights, whose last weight is the maximum.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	MaxWeight int32 `json:"maxWeight,omitempty"`
	// StepWeight is added to the canary weight at each step, in percent,
	// up to MaxWeight.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	StepWeight int32 `json:"stepWeight,omitempty"`
	// StepWeights lists the canary weights explicitly, strictly increasing,
	// instead of StepWeight and MaxWeight.
	// +kubebuilder:validation:items:Minimum=1
	// +kubebuilder:validation:items:Maximum=100
	// +optional
	StepWeights []int32 `json:"stepWeights,omitempty"`
	// StepWeightPromotion, when set, promotes gradually: after the
	// primary runs the new revision, the primary's weight rises by this
	// many percent per interval (the canary's falls as much) until it
	// takes all the traffic. Zero promotes in one step.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	StepWeightPromotion int32 `json:"stepWeightPromotion,omitempty"`
	// PrimaryReadyThreshold is the percentage of the primary's replicas
	// that must be available for it to count as ready. Nil means 100.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	PrimaryReadyThreshold *int32 `json:"primaryReadyThreshold,omitempty"`
	// CanaryReadyThreshold is the percentage of the canary's replicas
	// that must be available for it to count as ready. Nil means 100.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	CanaryReadyThreshold *int32 `json:"canaryReadyThreshold,omitempty"`
	// MaxErrors is the number of consecutive analysis errors (Prometheus
	// unreachable, query errors) that rolls back. Zero means 5.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxErrors int32 `json:"maxErrors,omitempty"`
	// Iterations is the number of analysis steps of a blue/green or A/B
	// rollout, instead of weights; required with provider kubernetes and
	// with Match.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Iterations int32 `json:"iterations,omitempty"`
	// Match selects the requests routed to the canary in an A/B rollout: a
	// request that satisfies any one of them goes to the canary. It needs
	// Iterations and a provider that routes by request (gatewayapi, istio,
	// appmesh).
	// +optional
	Match []HTTPMatch `json:"match,omitempty"`
	// Mirror copies requests to the canary while the primary answers
	// them (Flagger's traffic mirroring): during a blue/green analysis
	// (iterations) for all of it, during a weighted one for one step at
	// weight 0 before the first weight. Only with provider gatewayapi or
	// istio, and not with Match. Mirrored requests should be idempotent:
	// both versions handle them.
	// +optional
	Mirror bool `json:"mirror,omitempty"`
	// MirrorWeight is the percentage of the requests copied to the canary
	// while mirroring; zero means all of them. Only with Mirror.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	MirrorWeight int32 `json:"mirrorWeight,omitempty"`
	// SessionAffinity keeps a user who reached the canary on it for the
	// rest of the analysis (Flagger's field): the canary's answers set a
	// cookie, and the requests that carry it go to the canary whatever
	// the weights. Only with provider gatewayapi or istio and a weighted
	// schedule (stepWeight or stepWeights).
	// +optional
	SessionAffinity *SessionAffinity `json:"sessionAffinity,omitempty"`
	// Metrics are checked at every step.
	// +optional
	Metrics []CanaryMetric `json:"metrics,omitempty"`
	// Webhooks are called at their phase of the rollout.
	// +optional
	Webhooks []CanaryWebhook `json:"webhooks,omitempty"`
	// Alerts send the Canary's events to chat services through
	// AlertProviders.
	// +optional
	Alerts []CanaryAlert `json:"alerts,omitempty"`
}

// CanaryAlert sends the events of a Canary of at least a severity to an
// AlertProvider.
type CanaryAlert struct {
	// Name of the alert, unique in a Canary.
	Name string `json:"name"`
	// Severity is the least severity sent: info (every event), warn
	// (warnings and errors) or error. Empty means info.
	// +kubebuilder:validation:Enum=info;warn;error
	// +optional
	Severity string `json:"severity,omitempty"`
	// ProviderRef names the AlertProvider.
	ProviderRef AlertProviderRef `json:"providerRef"`
}

// AlertProviderRef names an AlertProvider.
type AlertProviderRef struct {
	// Name of the AlertProvider.
	Name string `json:"name"`
	// Namespace of the AlertProvider; empty means the Canary's.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// SessionAffinity is the cookie that keeps a user on the canary
// (Flagger's fields).
type SessionAffinity struct {
	// CookieName is the name of the cookie that keeps a user on the
	// canary; sluice picks its value for each rollout.
	// +kubebuilder:validation:MinLength=1
	CookieName string `json:"cookieName"`
	// PrimaryCookieName, when set, keeps the users the primary answered
	// on the primary too: its answers set this cookie (with the value of
	// CookieName's), and the requests that carry it go to the primary
	// whatever the weights, so the canary gets new users only.
	// +optional
	PrimaryCookieName string `json:"primaryCookieName,omitempty"`
	// MaxAge is how long the cookies last, in seconds; zero means
	// DefaultSessionAffinityMaxAge (a day), as with Flagger.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxAge int32 `json:"maxAge,omitempty"`
}

// HTTPMatch is one condition of an A/B rollout: a request matches when all
// of its headers match. A cookie is matched through the "cookie" header with
// a regular expression, e.g. "^(.*?;)?(canary=always)(;.*)?$".
type HTTPMatch struct {
	// Headers maps a header name to the condition on its value.
	// +optional
	Headers map[string]StringMatch `json:"headers,omitempty"`
}

// StringMatch is a condition on a string; exactly one of its fields is set.
type StringMatch struct {
	// Exact matches that value only.
	// +optional
	Exact string `json:"exact,omitempty"`
	// Prefix matches the values that start with it; provider gatewayapi
	// does not support it.
	// +optional
	Prefix string `json:"prefix,omitempty"`
	// Regex matches the values that match this RE2 regular expression.
	// +optional
	Regex string `json:"regex,omitempty"`
}

// CanaryMetric is one metric check.
type CanaryMetric struct {
	// Name is a built-in metric (request-success-rate, request-duration) or
	// the name of a custom check with Query or TemplateRef. Names are
	// unique in a Canary.
	Name string `json:"name"`
	// Query is custom PromQL, with the template variables {{ namespace }},
	// {{ target }}, {{ interval }} and {{ variables.NAME }}. A metric with a
	// Query is custom whatever its name; one without must be built in.
	// +optional
	Query string `json:"query,omitempty"`
	// Interval is the range of the query, e.g. 1m. Empty means 1m. It is
	// written in whole hours, minutes, seconds and milliseconds, in that
	// order, so that Go and PromQL read it alike.
	// +optional
	Interval string `json:"interval,omitempty"`
	// ThresholdRange bounds the value for the check to pass; at least one
	// bound is required unless Compare is set.
	// +optional
	ThresholdRange *ThresholdRange `json:"thresholdRange,omitempty"`
	// Compare judges the canary against the primary with a Mann-Whitney U
	// test of the query's samples over Interval, alongside or instead of
	// ThresholdRange (then both must pass). A sluice extension: Flagger has
	// no such field.
	// +optional
	Compare *MetricComparison `json:"compare,omitempty"`
	// TemplateRef names a MetricTemplate whose query and metrics server
	// this metric uses; a metric has a query or a templateRef, not both.
	// +optional
	TemplateRef *MetricTemplateRef `json:"templateRef,omitempty"`
	// TemplateVariables are the values of {{ variables.NAME }}.
	// +optional
	TemplateVariables map[string]string `json:"templateVariables,omitempty"`
}

// The directions of a MetricComparison: the change of the canary that
// fails it.
const (
	// CompareIncrease fails a canary whose values are higher than the
	// primary's (latency, error rate).
	CompareIncrease = "increase"
	// CompareDecrease fails a canary whose values are lower than the
	// primary's (success rate, throughput).
	CompareDecrease = "decrease"
	// CompareEither fails a canary whose values differ either way.
	CompareEither = "either"
)

// CompareAgainstPrimary is the only baseline of a comparison: the primary
// workload, <target>-primary.
const CompareAgainstPrimary = "primary"

// DefaultCompareConfidence is the confidence of a comparison that does not
// set one.
const DefaultCompareConfidence = 0.95

// MetricComparison asks for the canary to be compared with the primary: the
// metric's query runs once for each workload as a range query over the
// metric's interval, and a two-sided Mann-Whitney U test of the two samples
// fails the check when the canary is significantly worse, in Direction, by
// more than Tolerance.
type MetricComparison struct {
	// Against is the workload the canary is compared with; only primary.
	// Empty means primary.
	// +kubebuilder:validation:Enum=primary
	// +optional
	Against string `json:"against,omitempty"`
	// Direction is the change of the canary that fails the check:
	// increase, decrease or either.
	// +kubebuilder:validation:Enum=increase;decrease;either
	Direction string `json:"direction"`
	// Tolerance is the relative change of the canary's median from the
	// primary's that is allowed even when it is significant: 0.1 lets the
	// canary be 10 % worse. Zero allows none.
	// +optional
	Tolerance float64 `json:"tolerance,omitempty"`
	// Confidence is how sure the test must be of a difference before it
	// fails the check, in [0.5, 1): 0.95 fails at p < 0.05. Zero means
	// DefaultCompareConfidence.
	// +optional
	Confidence float64 `json:"confidence,omitempty"`
}

// ThresholdRange bounds a metric value; a nil bound is open.
type ThresholdRange struct {
	// Min is the lowest value that passes.
	// +optional
	Min *float64 `json:"min,omitempty"`
	// Max is the highest value that passes.
	// +optional
	Max *float64 `json:"max,omitempty"`
}

// CanaryWebhook is a call made at one phase of the rollout, in Flagger's
// load tester protocol.
type CanaryWebhook struct {
	// Name of the webhook, unique in a Canary.
	Name string `json:"name"`
	// Type is the phase: confirm-rollout, pre-rollout, rollout,
	// confirm-traffic-increase, confirm-promotion, post-rollout, rollback or
	// event; see WebhookTypes. Empty means rollout.
	// +kubebuilder:validation:Enum=confirm-rollout;pre-rollout;rollout;confirm-traffic-increase;confirm-promotion;post-rollout;rollback;event
	// +optional
	Type string `json:"type,omitempty"`
	// URL is the absolute http or https URL called.
	URL string `json:"url"`
	// Timeout of one call, a Go duration such as 30s. Empty means 60s.
	// +optional
	Timeout string `json:"timeout,omitempty"`
	// Metadata is sent with the call.
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
	// MuteAlert keeps a confirm-* gate's waits for approval out of the
	// Canary's alerts.
	// +optional
	MuteAlert bool `json:"muteAlert,omitempty"`
	// Retries is how many times a call is tried again when it gets no
	// answer or a 429 or 5xx one (other than 501), within Timeout. Zero
	// retries only while the webhook cannot be reached.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10
	// +optional
	Retries int32 `json:"retries,omitempty"`
	// DisableTLS accepts any TLS certificate of the webhook.
	// +optional
	DisableTLS bool `json:"disableTLS,omitempty"`
}

// CanaryPhase is where a Canary is in its rollout.
type CanaryPhase string

// The phases of a Canary.
const (
	PhaseInitializing     CanaryPhase = "Initializing"
	PhaseInitialized      CanaryPhase = "Initialized"
	PhaseWaiting          CanaryPhase = "Waiting"
	PhaseProgressing      CanaryPhase = "Progressing"
	PhaseWaitingPromotion CanaryPhase = "WaitingPromotion"
	PhasePromoting        CanaryPhase = "Promoting"
	PhaseFinalising       CanaryPhase = "Finalising"
	PhaseSucceeded        CanaryPhase = "Succeeded"
	PhaseFailed           CanaryPhase = "Failed"
)

// CanaryStatus is the whole rollout state; a restarted sluice resumes from it.
type CanaryStatus struct {
	// Phase is where the Canary is in its rollout.
	// +optional
	Phase CanaryPhase `json:"phase,omitempty"`
	// CanaryWeight is the share of the traffic the canary receives, in
	// percent.
	// +optional
	CanaryWeight int32 `json:"canaryWeight"`
	// FailedChecks counts the failed checks of the current rollout.
	// +optional
	FailedChecks int32 `json:"failedChecks"`
	// Iterations counts the analysis steps of the current rollout that
	// passed and moved it on (a weight increase or an iteration).
	// +optional
	Iterations int32 `json:"iterations,omitempty"`
	// AnalysisErrors counts the consecutive analysis steps that could not
	// be judged (Prometheus unreachable, a query error); a step without
	// errors resets it. Reaching spec.analysis.maxErrors rolls back.
	// +optional
	AnalysisErrors int32 `json:"analysisErrors,omitempty"`
	// LastStepTime is when the last analysis step (or confirm-rollout
	// check) of the current rollout ran; the next one is due an
	// analysis.interval later. Nil when none ran yet.
	// +optional
	LastStepTime *metav1.Time `json:"lastStepTime,omitempty"`
	// NotReadySince is when the canary or primary was first seen not ready
	// during the current rollout; nil while both are ready. The rollout is
	// rolled back once it is older than spec.progressDeadlineSeconds.
	// +optional
	NotReadySince *metav1.Time `json:"notReadySince,omitempty"`
	// LastAppliedRevision is the revision of the target being rolled out,
	// or last rolled out.
	// +optional
	LastAppliedRevision string `json:"lastAppliedRevision,omitempty"`
	// LastAppliedCommit is the Git commit whose rendering produced
	// LastAppliedRevision.
	// +optional
	LastAppliedCommit string `json:"lastAppliedCommit,omitempty"`
	// LastAppliedCommitShort is the first 7 characters of LastAppliedCommit.
	// +optional
	LastAppliedCommitShort string `json:"lastAppliedCommitShort,omitempty"`
	// LastPromotedRevision is the revision the primary runs.
	// +optional
	LastPromotedRevision string `json:"lastPromotedRevision,omitempty"`
	// LastPromotedCommit is the commit of LastPromotedRevision.
	// +optional
	LastPromotedCommit string `json:"lastPromotedCommit,omitempty"`
	// LastFailedRevision is the revision whose rollout last failed.
	// +optional
	LastFailedRevision string `json:"lastFailedRevision,omitempty"`
	// LastFailedCommit is the commit of LastFailedRevision: the one a
	// revert pull request reverts.
	// +optional
	LastFailedCommit string `json:"lastFailedCommit,omitempty"`
	// FailureReason says why the rollout of LastFailedRevision was rolled
	// back, as its commit status does ("success rate 23.03% < 99%").
	// +optional
	FailureReason string `json:"failureReason,omitempty"`
	// FailedWeight is the canary weight at which that rollout failed.
	// +optional
	FailedWeight int32 `json:"failedWeight,omitempty"`
	// PendingRevision is a new revision seen in Git and not yet rolled out.
	// +optional
	PendingRevision string `json:"pendingRevision,omitempty"`
	// PendingCommit is the commit of PendingRevision.
	// +optional
	PendingCommit string `json:"pendingCommit,omitempty"`
	// TrackedConfigs maps "configmap/NAME" and "secret/NAME" to the hash of
	// the data the primary runs with.
	// +optional
	TrackedConfigs map[string]string `json:"trackedConfigs,omitempty"`
	// UndeliveredStatuses are commit statuses the forge did not accept yet,
	// oldest first: they are written, in order, before any newer one.
	// +optional
	UndeliveredStatuses []CommitStatusRecord `json:"undeliveredStatuses,omitempty"`
	// RevertPullRequest is the number of the open revert pull request.
	// +optional
	RevertPullRequest int `json:"revertPullRequest,omitempty"`
	// LastChecks are the results of the last analysis step of the current
	// rollout that ran checks, a metric or webhook each: what `sluice
	// status` and the Check Run of the commit show. Cleared when a new
	// revision's rollout starts.
	// +optional
	LastChecks []CheckRecord `json:"lastChecks,omitempty"`
	// Conditions: Ready (the last revision was applied without error) and
	// Promoted.
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// LastTransitionTime is when Phase last changed.
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
	// ObservedGeneration is the generation of the spec last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// CommitStatusRecord is a commit status waiting to be written to the
// forge, in the context of its Canary.
type CommitStatusRecord struct {
	// Commit is the full SHA the status is about.
	Commit string `json:"commit"`
	// State is pending, success, failure or error.
	State string `json:"state"`
	// Description says why.
	// +optional
	Description string `json:"description,omitempty"`
	// Superseded is true on the error status of a commit whose rollout a
	// newer commit replaced before its analysis ended: not a verdict on the
	// commit (a Check Run says "cancelled").
	// +optional
	Superseded bool `json:"superseded,omitempty"`
}

// CheckRecord is the result of one check of an analysis step.
type CheckRecord struct {
	// Name of the metric or webhook, as in the spec.
	Name string `json:"name"`
	// Kind is "metric" or "webhook".
	Kind string `json:"kind"`
	// Verdict is Pass, Fail, NoData or Error for a metric; Pass or Fail for
	// a webhook.
	Verdict string `json:"verdict"`
	// Value is the measured value of a metric, formatted ("99.52"); empty
	// when none was measured.
	// +optional
	Value string `json:"value,omitempty"`
	// Message says why a check did not pass, in the words of the halt event.
	// +optional
	Message string `json:"message,omitempty"`
}
