package v1alpha1

import "slices"

// The providers: how traffic is split between primary and canary.
const (
	// ProviderGatewayAPI weights the two backendRefs of an HTTPRoute
	// (Gateway API); the default and the way forward.
	ProviderGatewayAPI = "gatewayapi"
	// ProviderIstio weights the routes of an Istio VirtualService.
	ProviderIstio = "istio"
	// ProviderAppMesh weights the targets of an AWS App Mesh virtual router.
	// AWS ended App Mesh support in September 2026: prefer gatewayapi.
	ProviderAppMesh = "appmesh"
	// ProviderKubernetes switches a Service selector from primary to canary
	// (blue/green): no weights, only iterations.
	ProviderKubernetes = "kubernetes"
	// ProviderLinkerd weights the two backendRefs of a Gateway API
	// HTTPRoute attached to the apex Service (GAMMA), which the proxies of
	// Linkerd 2.14 and later route by; the built-in metrics are those of
	// Linkerd's proxies.
	ProviderLinkerd = "linkerd"
)

// providers is the registry behind Providers and IsKnownProvider, in the
// order the error messages list it. The CRD's enum of spec.provider is kept
// equal to it by a test.
var providers = []string{ProviderGatewayAPI, ProviderIstio, ProviderAppMesh, ProviderKubernetes, ProviderLinkerd}

// Providers returns the known providers, gatewayapi first. The slice is the
// caller's to keep or change.
func Providers() []string { return slices.Clone(providers) }

// IsKnownProvider reports whether name is one of Providers. The empty name
// is not: Default turns it into gatewayapi.
func IsKnownProvider(name string) bool { return slices.Contains(providers, name) }

// The webhook types: the phase of the rollout at which a webhook is called.
const (
	// WebhookConfirmRollout gates the start of a rollout until it answers 2xx.
	WebhookConfirmRollout = "confirm-rollout"
	// WebhookPreRollout runs before any traffic reaches the canary; a failure
	// is a failed check.
	WebhookPreRollout = "pre-rollout"
	// WebhookRollout runs at every analysis step; a failure is a failed
	// check.
	WebhookRollout = "rollout"
	// WebhookConfirmTrafficIncrease gates every weight increase.
	WebhookConfirmTrafficIncrease = "confirm-traffic-increase"
	// WebhookConfirmPromotion gates the promotion.
	WebhookConfirmPromotion = "confirm-promotion"
	// WebhookPostRollout runs after promotion or rollback.
	WebhookPostRollout = "post-rollout"
	// WebhookRollback rolls the canary back when it answers 2xx.
	WebhookRollback = "rollback"
	// WebhookEvent receives every event of the rollout.
	WebhookEvent = "event"
)

// webhookTypes lists the webhook types in the order of a rollout.
var webhookTypes = []string{
	WebhookConfirmRollout, WebhookPreRollout, WebhookRollout, WebhookConfirmTrafficIncrease,
	WebhookConfirmPromotion, WebhookPostRollout, WebhookRollback, WebhookEvent,
}

// WebhookTypes returns the known webhook types in the order of a rollout.
// The slice is the caller's to keep or change.
func WebhookTypes() []string { return slices.Clone(webhookTypes) }

// The built-in metrics: a metric with one of these names and no query is
// measured with the provider's query template.
const (
	// MetricRequestSuccessRate is the percentage of requests to the canary
	// that did not answer 5xx.
	MetricRequestSuccessRate = "request-success-rate"
	// MetricRequestDuration is the 99th percentile of the canary's request
	// duration, in milliseconds.
	MetricRequestDuration = "request-duration"
)

// builtinMetrics lists the built-in metrics.
var builtinMetrics = []string{MetricRequestSuccessRate, MetricRequestDuration}

// BuiltinMetrics returns the names of the built-in metrics. The slice is the
// caller's to keep or change.
func BuiltinMetrics() []string { return slices.Clone(builtinMetrics) }

// IsBuiltinMetric reports whether name is one of BuiltinMetrics.
func IsBuiltinMetric(name string) bool { return slices.Contains(builtinMetrics, name) }
