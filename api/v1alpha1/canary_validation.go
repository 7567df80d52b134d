package v1alpha1

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidationError is the error Validate returns: the Canary it is about and
// every invalid field of it, in the order of the spec.
//
// +kubebuilder:object:generate=false
type ValidationError struct {
	// Kind names the kind of object in the message: "metrictemplate";
	// empty means "canary".
	Kind string
	// Namespace and Name are the object's.
	Namespace, Name string
	// Errors holds one entry per invalid field; it is never empty.
	Errors field.ErrorList
}

// Error names the Canary ("(no name)" when it has none) and every invalid
// field, separated by "; ", e.g. "canary flagger/detail:
// spec.analysis.stepWeight: Invalid value: 0: must be between 1 and 100".
func (e *ValidationError) Error() string {
	messages := make([]string, len(e.Errors))
	for i, err := range e.Errors {
		messages[i] = err.Error()
	}
	name := e.Name
	if name == "" {
		name = "(no name)"
	}
	if e.Namespace != "" {
		name = e.Namespace + "/" + name
	}
	kind := e.Kind
	if kind == "" {
		kind = "canary"
	}
	return kind + " " + name + ": " + strings.Join(messages, "; ")
}

// Unwrap returns the field errors, so that errors.As finds a *field.Error.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, err := range e.Errors {
		errs[i] = err
	}
	return errs
}

// Validate checks the spec of a defaulted Canary (see Default: a zero field
// that Default fills is invalid here) and returns nil or a *ValidationError
// that names the Canary and every invalid field, e.g.
// "canary flagger/detail: spec.analysis.stepWeight: Invalid value: 0: must be between 1 and 100".
//
// The rules:
//   - metadata.name is required;
//   - targetRef: apiVersion apps/v1, kind Deployment or DaemonSet (only
//     with provider kubernetes, without autoscalerRef), a DNS-1123 name;
//   - provider: one of Providers;
//   - progressDeadlineSeconds > 0;
//   - service: port and targetPort 1..65535, portName a valid port name;
//     gatewayRefs required with provider gatewayapi, each with a name and
//     an empty or DNS-1123 namespace; hosts DNS names, a leading "*." allowed;
//     with provider istio, the route options (gateways, delegation,
//     trafficPolicy, match, rewrite, retries, timeout, headers,
//     corsPolicy) as Istio checks them (see validateIstioRoute);
//     name, appProtocol and the route options as the provider builds them
//     (see validateRouting);
//   - analysis: interval a Go duration > 0, threshold >= 1, maxErrors >= 1;
//   - the schedule: stepWeight and maxWeight 1..100, stepWeight <= maxWeight;
//     stepWeights 1..100, strictly increasing, not with stepWeight or
//     maxWeight; a maxWeight needs a stepWeight; iterations >= 1 and not with
//     weights; provider kubernetes takes iterations only (no weights, no
//     match); match takes iterations, not weights; unless skipAnalysis, one of
//     stepWeight, stepWeights or iterations is required;
//   - match: at least one header each, header names are tokens, each
//     condition sets exactly one of exact, prefix (not with gatewayapi or
//     linkerd) or regex (RE2);
//   - metrics: a unique name; a query unless the name is built in
//     (BuiltinMetrics); an interval > 0 in whole units, largest first, so
//     PromQL reads it too (1m, 1m30s); a thresholdRange with min, max or both,
//     min <= max;
//   - webhooks: a unique name; a type in WebhookTypes; an absolute http or
//     https URL; a timeout that is a Go duration > 0;
//   - alerts: a unique name, a severity info, warn or error (or empty), a
//     providerRef name;
//   - mirror: only with provider gatewayapi or istio, not with match;
//     mirrorWeight 0..100, only with mirror;
//   - stepWeightPromotion 0..100; primary/canaryReadyThreshold 1..100;
//   - autoscalerRef: an autoscaling/v2 HorizontalPodAutoscaler by name,
//     primaryScalerReplicas at least 1, min <= max;
//   - unless skipAnalysis, at least one metric or webhook: an analysis that
//     checks nothing would promote anything (fail closed).
//
// Validate does not change the Canary.
func (c *Canary) Validate() error {
	var errs field.ErrorList
	if c.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), ""))
	}
	errs = append(errs, c.Spec.validate(field.NewPath("spec"))...)
	if len(errs) == 0 {
		return nil
	}
	return &ValidationError{Namespace: c.Namespace, Name: c.Name, Errors: errs}
}

func (s *CanarySpec) validate(path *field.Path) field.ErrorList {
	errs := s.TargetRef.validate(path.Child("targetRef"))
	errs = append(errs, s.validateDaemonSet(path)...)
	if !IsKnownProvider(s.Provider) {
		errs = append(errs, field.NotSupported(path.Child("provider"), s.Provider, providers))
	}
	errs = append(errs, s.Service.validate(path.Child("service"), s.Provider)...)
	errs = append(errs, s.Service.validateRouting(path.Child("service"), s.Provider, len(s.Analysis.Match))...)
	switch deadline := path.Child("progressDeadlineSeconds"); {
	case s.ProgressDeadlineSeconds == nil:
		errs = append(errs, field.Required(deadline, ""))
	case *s.ProgressDeadlineSeconds <= 0:
		errs = append(errs, field.Invalid(deadline, *s.ProgressDeadlineSeconds, "must be greater than 0"))
	}
	if s.MetricsServer != "" {
		if u, err := url.Parse(s.MetricsServer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, field.Invalid(path.Child("metricsServer"), redactedURL(s.MetricsServer), "must be an absolute http or https URL"))
		} else if u.User != nil {
			errs = append(errs, field.Invalid(path.Child("metricsServer"), redactedURL(s.MetricsServer), "must not hold credentials: use a MetricTemplate with a secretRef"))
		}
	}
	if s.AutoscalerRef != nil {
		errs = append(errs, s.AutoscalerRef.validate(path.Child("autoscalerRef"))...)
	}
	return append(errs, s.Analysis.validate(path.Child("analysis"), s.Provider, s.SkipAnalysis)...)
}

// validate checks an autoscalerRef: an autoscaling/v2
// HorizontalPodAutoscaler by name, and primary bounds 1 <= min <= max.
func (r *AutoscalerRef) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r.APIVersion != "autoscaling/v2" {
		errs = append(errs, field.NotSupported(path.Child("apiVersion"), r.APIVersion, []string{"autoscaling/v2"}))
	}
	switch {
	case r.Kind == "ScaledObject":
		errs = append(errs, field.Invalid(path.Child("kind"), r.Kind, "KEDA ScaledObjects are not supported by sluice: use a HorizontalPodAutoscaler"))
	case r.Kind != "HorizontalPodAutoscaler":
		errs = append(errs, field.NotSupported(path.Child("kind"), r.Kind, []string{"HorizontalPodAutoscaler"}))
	}
	errs = append(errs, validateObjectName(path.Child("name"), r.Name)...)
	if bounds := r.PrimaryScalerReplicas; bounds != nil {
		replicas := path.Child("primaryScalerReplicas")
		if bounds.MinReplicas != nil && *bounds.MinReplicas < 1 {
			errs = append(errs, field.Invalid(replicas.Child("minReplicas"), *bounds.MinReplicas, "must be at least 1"))
		}
		if bounds.MaxReplicas != nil && *bounds.MaxReplicas < 1 {
			errs = append(errs, field.Invalid(replicas.Child("maxReplicas"), *bounds.MaxReplicas, "must be at least 1"))
		}
		if bounds.MinReplicas != nil && bounds.MaxReplicas != nil && *bounds.MinReplicas > *bounds.MaxReplicas {
			errs = append(errs, field.Invalid(replicas.Child("minReplicas"), *bounds.MinReplicas, fmt.Sprintf("must not be greater than maxReplicas (%d)", *bounds.MaxReplicas)))
		}
	}
	return errs
}

func (t *TargetRef) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if t.APIVersion != DefaultTargetAPIVersion {
		errs = append(errs, field.NotSupported(path.Child("apiVersion"), t.APIVersion, []string{DefaultTargetAPIVersion}))
	}
	if t.Kind != "Deployment" && t.Kind != KindDaemonSet {
		errs = append(errs, field.NotSupported(path.Child("kind"), t.Kind, []string{"Deployment", KindDaemonSet}))
	}
	return append(errs, validateObjectName(path.Child("name"), t.Name)...)
}

// KindDaemonSet is the targetRef kind of a DaemonSet target.
const KindDaemonSet = "DaemonSet"

// validateDaemonSet checks that a DaemonSet target comes with provider
// kubernetes, whose blue/green switch needs no replica count (a
// DaemonSet has none to shift weights by), and without autoscalerRef.
func (s *CanarySpec) validateDaemonSet(path *field.Path) field.ErrorList {
	if s.TargetRef.Kind != KindDaemonSet {
		return nil
	}
	var errs field.ErrorList
	if s.Provider != ProviderKubernetes {
		errs = append(errs, field.Forbidden(path.Child("targetRef", "kind"), "a DaemonSet target needs provider kubernetes (blue/green): it runs one pod per node, no replicas to shift weights by"))
	}
	if s.AutoscalerRef != nil {
		errs = append(errs, field.Forbidden(path.Child("autoscalerRef"), "a DaemonSet is not scaled by an autoscaler"))
	}
	return errs
}

func (s *CanaryService) validate(path *field.Path, provider string) field.ErrorList {
	errs := validatePort(path.Child("port"), s.Port)
	if s.TargetPort.Type == intstr.String {
		for _, msg := range validation.IsValidPortName(s.TargetPort.StrVal) {
			errs = append(errs, field.Invalid(path.Child("targetPort"), s.TargetPort.StrVal, msg))
		}
	} else {
		errs = append(errs, validatePort(path.Child("targetPort"), s.TargetPort.IntVal)...)
	}
	for _, msg := range validation.IsValidPortName(s.PortName) {
		errs = append(errs, field.Invalid(path.Child("portName"), s.PortName, msg))
	}
	if provider == ProviderGatewayAPI && len(s.GatewayRefs) == 0 {
		errs = append(errs, field.Required(path.Child("gatewayRefs"), "provider gatewayapi attaches the HTTPRoute to at least one Gateway"))
	}
	for i, ref := range s.GatewayRefs {
		refPath := path.Child("gatewayRefs").Index(i)
		errs = append(errs, validateObjectName(refPath.Child("name"), ref.Name)...)
		if ref.Namespace == "" {
			continue // the Canary's, which may be set later
		}
		for _, msg := range validation.IsDNS1123Label(ref.Namespace) {
			errs = append(errs, field.Invalid(refPath.Child("namespace"), ref.Namespace, msg))
		}
	}
	for i, host := range s.Hosts {
		if len(validation.IsDNS1123Subdomain(host)) > 0 && len(validation.IsWildcardDNS1123Subdomain(host)) > 0 {
			errs = append(errs, field.Invalid(path.Child("hosts").Index(i), host, `must be a DNS name such as detail.example.com, optionally starting with "*."`))
		}
	}
	return append(errs, s.validateIstioRoute(path, provider)...)
}

func (a *CanaryAnalysis) validate(path *field.Path, provider string, skipAnalysis bool) field.ErrorList {
	errs := validateDuration(path.Child("interval"), a.Interval)
	errs = append(errs, validateAtLeastOne(path.Child("threshold"), a.Threshold)...)
	errs = append(errs, validateAtLeastOne(path.Child("maxErrors"), a.MaxErrors)...)
	errs = append(errs, a.validateSchedule(path, provider, skipAnalysis)...)
	if !skipAnalysis && len(a.Metrics) == 0 && len(a.Webhooks) == 0 {
		errs = append(errs, field.Required(path.Child("metrics"),
			"an analysis needs at least one metric or webhook to gate it; set spec.skipAnalysis: true to promote without any check"))
	}
	for i, match := range a.Match {
		errs = append(errs, match.validate(path.Child("match").Index(i), provider)...)
	}
	errs = append(errs, a.validateMirror(path, provider)...)
	errs = append(errs, a.validateSessionAffinity(path, provider)...)
	seen := map[string]bool{}
	for i, metric := range a.Metrics {
		metricPath := path.Child("metrics").Index(i)
		errs = append(errs, validateUniqueName(metricPath.Child("name"), metric.Name, seen)...)
		errs = append(errs, metric.validate(metricPath)...)
	}
	seen = map[string]bool{}
	for i, webhook := range a.Webhooks {
		webhookPath := path.Child("webhooks").Index(i)
		errs = append(errs, validateUniqueName(webhookPath.Child("name"), webhook.Name, seen)...)
		errs = append(errs, webhook.validate(webhookPath)...)
	}
	seen = map[string]bool{}
	for i, alert := range a.Alerts {
		alertPath := path.Child("alerts").Index(i)
		errs = append(errs, validateUniqueName(alertPath.Child("name"), alert.Name, seen)...)
		errs = append(errs, alert.validate(alertPath)...)
	}
	if a.StepWeightPromotion < 0 || a.StepWeightPromotion > 100 {
		errs = append(errs, field.Invalid(path.Child("stepWeightPromotion"), a.StepWeightPromotion, "must be between 0 and 100"))
	}
	for _, t := range []struct {
		name      string
		threshold *int32
	}{{"primaryReadyThreshold", a.PrimaryReadyThreshold}, {"canaryReadyThreshold", a.CanaryReadyThreshold}} {
		if t.threshold != nil && (*t.threshold < 1 || *t.threshold > 100) {
			errs = append(errs, field.Invalid(path.Child(t.name), *t.threshold, "must be a percentage between 1 and 100"))
		}
	}
	return errs
}

// alertSeverities are the severities of CanaryAlert, least first.
var alertSeverities = []string{"info", "warn", "error"}

// validate checks an alert (its name is checked by the caller): a known
// severity and an AlertProvider name.
func (a *CanaryAlert) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if a.Severity != "" && !slices.Contains(alertSeverities, a.Severity) {
		errs = append(errs, field.NotSupported(path.Child("severity"), a.Severity, alertSeverities))
	}
	errs = append(errs, validateObjectName(path.Child("providerRef", "name"), a.ProviderRef.Name)...)
	if a.ProviderRef.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(a.ProviderRef.Namespace) {
			errs = append(errs, field.Invalid(path.Child("providerRef", "namespace"), a.ProviderRef.Namespace, msg))
		}
	}
	return errs
}

// validateWeights checks the weight fields one by one and against each
// other: stepWeight and maxWeight are 1..100 with stepWeight <= maxWeight;
// stepWeights are 1..100, strictly increasing, and exclude stepWeight and
// maxWeight.
func (a *CanaryAnalysis) validateWeights(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	stepWeight, maxWeight, stepWeights := path.Child("stepWeight"), path.Child("maxWeight"), path.Child("stepWeights")
	if a.StepWeight != 0 {
		errs = append(errs, validateWeight(stepWeight, a.StepWeight)...)
	}
	if a.MaxWeight != 0 {
		errs = append(errs, validateWeight(maxWeight, a.MaxWeight)...)
	}
	if inRange(a.StepWeight, 1, 100) && inRange(a.MaxWeight, 1, 100) && a.StepWeight > a.MaxWeight {
		errs = append(errs, field.Invalid(stepWeight, a.StepWeight, fmt.Sprintf("must not be greater than maxWeight (%d)", a.MaxWeight)))
	}
	for i, weight := range a.StepWeights {
		errs = append(errs, validateWeight(stepWeights.Index(i), weight)...)
		if i > 0 && weight <= a.StepWeights[i-1] {
			errs = append(errs, field.Invalid(stepWeights.Index(i), weight, fmt.Sprintf("must be greater than the weight before it (%d)", a.StepWeights[i-1])))
		}
	}
	if len(a.StepWeights) > 0 && a.StepWeight != 0 {
		errs = append(errs, field.Forbidden(stepWeights, "must not be set with stepWeight"))
	}
	if len(a.StepWeights) > 0 && a.MaxWeight != 0 {
		errs = append(errs, field.Forbidden(maxWeight, "must not be set with stepWeights, whose last weight is the maximum"))
	}
	return errs
}

// validateSchedule checks that the schedule is either weights or iterations
// (>= 1) and fits the provider: provider kubernetes takes iterations only
// (see validateBlueGreen); match takes iterations, not weights; a maxWeight
// needs a stepWeight; unless skipAnalysis, some schedule is required.
func (a *CanaryAnalysis) validateSchedule(path *field.Path, provider string, skipAnalysis bool) field.ErrorList {
	errs := a.validateWeights(path)
	iterations := path.Child("iterations")
	if a.Iterations < 0 {
		errs = append(errs, field.Invalid(iterations, a.Iterations, "must be at least 1"))
	}
	hasWeights := a.StepWeight != 0 || len(a.StepWeights) > 0 || a.MaxWeight != 0
	switch {
	case provider == ProviderKubernetes:
		errs = append(errs, a.validateBlueGreen(path, skipAnalysis)...)
	case len(a.Match) > 0:
		if hasWeights {
			errs = append(errs, field.Forbidden(path.Child("match"), "must not be set with stepWeight, stepWeights or maxWeight: an A/B rollout takes iterations"))
		}
		if a.Iterations == 0 {
			errs = append(errs, field.Required(iterations, "match needs iterations: an A/B rollout sends the matching requests to the canary for that many steps"))
		}
	case hasWeights && a.Iterations != 0:
		errs = append(errs, field.Forbidden(iterations, "must not be set with stepWeight, stepWeights or maxWeight: a schedule is either weights or iterations"))
	case a.MaxWeight != 0 && a.StepWeight == 0 && len(a.StepWeights) == 0:
		errs = append(errs, field.Required(path.Child("stepWeight"), "maxWeight needs a stepWeight"))
	case !hasWeights && a.Iterations == 0 && !skipAnalysis:
		errs = append(errs, field.Required(path.Child("stepWeight"), "one of stepWeight, stepWeights or iterations is required unless skipAnalysis is true"))
	}
	return errs
}

// validateBlueGreen checks the schedule of provider kubernetes, which
// switches a Service selector: iterations, neither weights nor match.
func (a *CanaryAnalysis) validateBlueGreen(path *field.Path, skipAnalysis bool) field.ErrorList {
	const noWeights = "provider kubernetes switches all traffic at once: it takes iterations, not weights"
	var errs field.ErrorList
	if a.StepWeight != 0 {
		errs = append(errs, field.Forbidden(path.Child("stepWeight"), noWeights))
	}
	if len(a.StepWeights) > 0 {
		errs = append(errs, field.Forbidden(path.Child("stepWeights"), noWeights))
	}
	// A maxWeight beside a stepWeight may be Default's: the stepWeight error
	// is the one to fix.
	if a.MaxWeight != 0 && a.StepWeight == 0 {
		errs = append(errs, field.Forbidden(path.Child("maxWeight"), noWeights))
	}
	if len(a.Match) > 0 {
		errs = append(errs, field.Forbidden(path.Child("match"), "provider kubernetes cannot route by request"))
	}
	if a.Iterations == 0 && !skipAnalysis {
		errs = append(errs, field.Required(path.Child("iterations"), "provider kubernetes needs iterations unless skipAnalysis is true"))
	}
	return errs
}

// validateMirror checks that mirror comes with a provider that copies
// requests (gatewayapi's RequestMirror filter, istio's mirror) and without
// match, and that mirrorWeight, 0..100, comes with mirror.
func (a *CanaryAnalysis) validateMirror(path *field.Path, provider string) field.ErrorList {
	var errs field.ErrorList
	if a.MirrorWeight < 0 || a.MirrorWeight > 100 {
		errs = append(errs, field.Invalid(path.Child("mirrorWeight"), a.MirrorWeight, "must be between 0 and 100"))
	}
	if !a.Mirror {
		if a.MirrorWeight != 0 {
			errs = append(errs, field.Forbidden(path.Child("mirrorWeight"), "needs mirror: true"))
		}
		return errs
	}
	if provider != ProviderGatewayAPI && provider != ProviderIstio {
		errs = append(errs, field.Forbidden(path.Child("mirror"), "provider "+provider+" cannot mirror requests: use gatewayapi or istio"))
	}
	if len(a.Match) > 0 {
		errs = append(errs, field.Forbidden(path.Child("mirror"), "must not be set with match: an A/B rollout routes the matching requests to the canary, it does not copy them"))
	}
	return errs
}

// headerName is an HTTP header field name (RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// validate checks that a match has at least one header, each header name is
// a token, and each condition sets exactly one of exact, prefix or regex,
// with a regex that compiles and no prefix for providers gatewayapi and
// linkerd (Gateway API has none).
func (m *HTTPMatch) validate(path *field.Path, provider string) field.ErrorList {
	var errs field.ErrorList
	if len(m.Headers) == 0 {
		errs = append(errs, field.Required(path.Child("headers"), "a match needs at least one header"))
	}
	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		match, headerPath := m.Headers[name], path.Child("headers").Key(name)
		if !headerName.MatchString(name) {
			errs = append(errs, field.Invalid(headerPath, name, "must be an HTTP header name"))
		}
		set := 0
		for _, value := range []string{match.Exact, match.Prefix, match.Regex} {
			if value != "" {
				set++
			}
		}
		if set != 1 {
			errs = append(errs, field.Invalid(headerPath, match, "must set exactly one of exact, prefix or regex"))
		}
		if match.Prefix != "" && (provider == ProviderGatewayAPI || provider == ProviderLinkerd) {
			errs = append(errs, field.Forbidden(headerPath.Child("prefix"), "provider "+provider+" matches headers by exact value or regex only"))
		}
		if match.Regex != "" {
			if _, err := regexp.Compile(match.Regex); err != nil {
				errs = append(errs, field.Invalid(headerPath.Child("regex"), match.Regex, "must be an RE2 regular expression: "+err.Error()))
			}
		}
	}
	return errs
}

// validate checks a metric (its name is checked by the caller): a query
// or a templateRef (one of them) unless the metric is built in, an
// interval PromQL reads too, and a threshold range with a bound,
// min <= max.
func (m *CanaryMetric) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case m.Query != "" && m.TemplateRef != nil:
		errs = append(errs, field.Forbidden(path.Child("templateRef"), "a metric has a query or a templateRef, not both"))
	case m.TemplateRef != nil:
		errs = append(errs, m.TemplateRef.validate(path.Child("templateRef"))...)
	case m.Query == "" && m.Name != "" && !IsBuiltinMetric(m.Name):
		errs = append(errs, field.Required(path.Child("query"),
			fmt.Sprintf("metric %q is not built in (%s) and needs a query or a templateRef", m.Name, strings.Join(builtinMetrics, ", "))))
	}
	errs = append(errs, validatePromQLDuration(path.Child("interval"), m.Interval)...)
	rangePath := path.Child("thresholdRange")
	switch r := m.ThresholdRange; {
	case r == nil && m.Compare != nil:
	case r == nil || r.Min == nil && r.Max == nil:
		errs = append(errs, field.Required(rangePath, "min, max or both are required (or a compare)"))
	case r.Min != nil && r.Max != nil && *r.Min > *r.Max:
		errs = append(errs, field.Invalid(rangePath.Child("min"), *r.Min, fmt.Sprintf("must not be greater than max (%v)", *r.Max)))
	}
	if m.Compare != nil {
		errs = append(errs, m.Compare.validate(path.Child("compare"))...)
	}
	return errs
}

// compareDirections lists the directions of a comparison.
var compareDirections = []string{CompareIncrease, CompareDecrease, CompareEither}

// validate checks a comparison: against the primary (or empty), a known
// direction, a finite tolerance >= 0 and a confidence in [0.5, 1) or zero.
func (c *MetricComparison) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Against != "" && c.Against != CompareAgainstPrimary {
		errs = append(errs, field.NotSupported(path.Child("against"), c.Against, []string{CompareAgainstPrimary}))
	}
	if !slices.Contains(compareDirections, c.Direction) {
		errs = append(errs, field.NotSupported(path.Child("direction"), c.Direction, compareDirections))
	}
	if c.Tolerance < 0 || math.IsNaN(c.Tolerance) || math.IsInf(c.Tolerance, 0) {
		errs = append(errs, field.Invalid(path.Child("tolerance"), c.Tolerance, "must be a relative change >= 0, e.g. 0.1 for 10 %"))
	}
	if c.Confidence != 0 && !(c.Confidence >= 0.5 && c.Confidence < 1) {
		errs = append(errs, field.Invalid(path.Child("confidence"), c.Confidence, "must be in [0.5, 1), e.g. 0.95"))
	}
	return errs
}

// validate checks a webhook (its name is checked by the caller): a known
// type, an absolute http(s) URL and a timeout that is a Go duration > 0.
func (w *CanaryWebhook) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !slices.Contains(webhookTypes, w.Type) {
		errs = append(errs, field.NotSupported(path.Child("type"), w.Type, webhookTypes))
	}
	if w.URL == "" {
		errs = append(errs, field.Required(path.Child("url"), ""))
	} else if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, field.Invalid(path.Child("url"), w.URL, "must be an absolute http or https URL"))
	}
	if w.Retries < 0 || w.Retries > 10 {
		errs = append(errs, field.Invalid(path.Child("retries"), w.Retries, "must be between 0 and 10"))
	}
	return append(errs, validateDuration(path.Child("timeout"), w.Timeout)...)
}

// validateUniqueName requires a name that seen does not hold yet, and adds it.
func validateUniqueName(path *field.Path, name string, seen map[string]bool) field.ErrorList {
	switch {
	case name == "":
		return field.ErrorList{field.Required(path, "")}
	case seen[name]:
		return field.ErrorList{field.Duplicate(path, name)}
	}
	seen[name] = true
	return nil
}

// validateObjectName requires the name of a Kubernetes object.
func validateObjectName(path *field.Path, name string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(path, name, msg))
	}
	return errs
}

func validatePort(path *field.Path, port int32) field.ErrorList {
	if !inRange(port, 1, 65535) {
		return field.ErrorList{field.Invalid(path, port, "must be between 1 and 65535")}
	}
	return nil
}

func validateWeight(path *field.Path, weight int32) field.ErrorList {
	if !inRange(weight, 1, 100) {
		return field.ErrorList{field.Invalid(path, weight, "must be between 1 and 100")}
	}
	return nil
}

func validateAtLeastOne(path *field.Path, value int32) field.ErrorList {
	if value < 1 {
		return field.ErrorList{field.Invalid(path, value, "must be at least 1")}
	}
	return nil
}

// validateDuration requires a Go duration (time.ParseDuration) > 0.
func validateDuration(path *field.Path, value string) field.ErrorList {
	d, err := time.ParseDuration(value)
	if err != nil {
		return field.ErrorList{field.Invalid(path, value, "must be a duration such as 30s, 1m or 1m30s")}
	}
	if d <= 0 {
		return field.ErrorList{field.Invalid(path, value, "must be greater than 0")}
	}
	return nil
}

// promQLDuration is the part of the Go duration syntax that PromQL reads too:
// whole units, largest first.
var promQLDuration = regexp.MustCompile(`^([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$`)

// validatePromQLDuration requires a duration > 0 that is written the same in
// Go and PromQL, because it becomes the range of a query.
func validatePromQLDuration(path *field.Path, value string) field.ErrorList {
	if value != "" && !promQLDuration.MatchString(value) {
		return field.ErrorList{field.Invalid(path, value, "must be whole hours, minutes, seconds or milliseconds, largest first, such as 30s, 1m or 1m30s")}
	}
	return validateDuration(path, value)
}

func inRange(value, lowest, highest int32) bool { return lowest <= value && value <= highest }
