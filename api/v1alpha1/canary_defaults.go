package v1alpha1

import "k8s.io/apimachinery/pkg/util/intstr"

// The defaults Default fills in.
const (
	// DefaultProvider is the provider of a Canary that names none.
	DefaultProvider = ProviderGatewayAPI
	// DefaultTargetAPIVersion is the apiVersion of a targetRef that names none.
	DefaultTargetAPIVersion = "apps/v1"
	// DefaultPortName names the Service port of a Canary that names none.
	DefaultPortName = "http"
	// DefaultProgressDeadlineSeconds is how long a canary or primary may stay
	// not ready when the Canary does not say.
	DefaultProgressDeadlineSeconds int32 = 600
	// DefaultInterval is the analysis interval and the metric interval when
	// the Canary does not say.
	DefaultInterval = "1m"
	// DefaultThreshold is the number of failed checks that rolls back when
	// the Canary does not say.
	DefaultThreshold int32 = 1
	// DefaultMaxErrors is the number of consecutive analysis errors that
	// rolls back when the Canary does not say.
	DefaultMaxErrors int32 = 5
	// DefaultMaxWeight is the maximum canary weight of a Canary that sets
	// stepWeight and no maxWeight. As in Flagger, the canary then goes all
	// the way to 100 % before promotion.
	DefaultMaxWeight int32 = 100
	// DefaultWebhookType is the type of a webhook that names none.
	DefaultWebhookType = WebhookRollout
	// DefaultWebhookTimeout bounds one webhook call when the Canary does not
	// say.
	DefaultWebhookTimeout = "60s"
)

// Default fills the zero fields of the spec with their documented defaults:
//
//   - provider: gatewayapi;
//   - targetRef.apiVersion: apps/v1;
//   - service.portName: http; service.targetPort: service.port;
//   - service.gatewayRefs[*].namespace: the Canary's namespace;
//   - progressDeadlineSeconds: 600;
//   - analysis.interval: 1m; analysis.threshold: 1; analysis.maxErrors: 5;
//   - analysis.maxWeight: 100, only when stepWeight is set and stepWeights
//     is not (a maxWeight without a stepWeight stays as it is and Validate
//     asks for the stepWeight: guessing the size of the steps would be a
//     silent surprise);
//   - analysis.metrics[*].interval: 1m;
//   - analysis.webhooks[*].type: rollout; analysis.webhooks[*].timeout: 60s.
//
// It never changes a field that is set, so it is idempotent, and it leaves
// the metadata and the status alone. Default on a nil Canary does nothing.
func (c *Canary) Default() {
	if c == nil {
		return
	}
	spec := &c.Spec
	if spec.Provider == "" {
		spec.Provider = DefaultProvider
	}
	if spec.TargetRef.APIVersion == "" {
		spec.TargetRef.APIVersion = DefaultTargetAPIVersion
	}
	if spec.ProgressDeadlineSeconds == nil {
		seconds := DefaultProgressDeadlineSeconds
		spec.ProgressDeadlineSeconds = &seconds
	}
	spec.Service.setDefaults(c.Namespace)
	spec.Analysis.setDefaults()
}

// setDefaults fills the zero fields of the Service description; namespace is
// the Canary's.
func (s *CanaryService) setDefaults(namespace string) {
	if s.PortName == "" {
		s.PortName = DefaultPortName
	}
	if s.TargetPort.IntValue() == 0 && s.TargetPort.Type == intstr.Int {
		s.TargetPort = intstr.FromInt32(s.Port)
	}
	for i := range s.GatewayRefs {
		if s.GatewayRefs[i].Namespace == "" {
			s.GatewayRefs[i].Namespace = namespace
		}
	}
}

// setDefaults fills the zero fields of the schedule, the metrics and the
// webhooks.
func (a *CanaryAnalysis) setDefaults() {
	if a.Interval == "" {
		a.Interval = DefaultInterval
	}
	if a.Threshold == 0 {
		a.Threshold = DefaultThreshold
	}
	if a.MaxErrors == 0 {
		a.MaxErrors = DefaultMaxErrors
	}
	if a.StepWeight != 0 && a.MaxWeight == 0 && len(a.StepWeights) == 0 {
		a.MaxWeight = DefaultMaxWeight
	}
	for i := range a.Metrics {
		if a.Metrics[i].Interval == "" {
			a.Metrics[i].Interval = DefaultInterval
		}
	}
	for i := range a.Webhooks {
		if a.Webhooks[i].Type == "" {
			a.Webhooks[i].Type = DefaultWebhookType
		}
		if a.Webhooks[i].Timeout == "" {
			a.Webhooks[i].Timeout = DefaultWebhookTimeout
		}
	}
}
