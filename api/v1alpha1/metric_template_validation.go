package v1alpha1

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// unsupportedMetricProviders are Flagger's metric provider types that
// sluice does not query, with what to do instead.
var unsupportedMetricProviders = map[string]string{
	"datadog":     "query Datadog through a Prometheus-compatible endpoint, or keep this metric in Flagger",
	"cloudwatch":  "export CloudWatch metrics to Prometheus (e.g. YACE) and query them there",
	"newrelic":    "New Relic answers PromQL at its Prometheus API endpoint: use type prometheus with that address",
	"graphite":    "not supported",
	"influxdb":    "not supported",
	"dynatrace":   "not supported",
	"keptn":       "not supported",
	"stackdriver": "Google Cloud Managed Service for Prometheus answers PromQL: use type prometheus with its address",
	"splunk":      "not supported",
	"signalfx":    "not supported",
	"external":    "the Kubernetes external metrics API is not supported",
}

// MaxMetricTemplateQueryBytes bounds the query of a MetricTemplate as
// written (the rendered query is bounded by the analysis package).
const MaxMetricTemplateQueryBytes = 64 << 10

// Validate checks a MetricTemplate and returns nil or a *ValidationError
// (Kind "metrictemplate") that names it and every invalid field:
//   - metadata.name is required;
//   - spec.provider.type is empty or prometheus; Flagger's other types
//     are refused by name;
//   - spec.provider.address, when set, is an absolute http or https URL
//     without credentials (they belong in secretRef);
//   - spec.provider.headers are valid HTTP header names, and not
//     Authorization (secretRef carries it);
//   - spec.provider.secretRef has a name when set;
//   - spec.query is set and at most MaxMetricTemplateQueryBytes.
func (t *MetricTemplate) Validate() error {
	var errs field.ErrorList
	if t.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), ""))
	}
	spec := field.NewPath("spec")
	errs = append(errs, t.Spec.Provider.validate(spec.Child("provider"))...)
	switch query := spec.Child("query"); {
	case strings.TrimSpace(t.Spec.Query) == "":
		errs = append(errs, field.Required(query, "the PromQL the metric runs"))
	case len(t.Spec.Query) > MaxMetricTemplateQueryBytes:
		errs = append(errs, field.TooLong(query, "", MaxMetricTemplateQueryBytes))
	}
	if len(errs) > 0 {
		return &ValidationError{Kind: "metrictemplate", Namespace: t.Namespace, Name: t.Name, Errors: errs}
	}
	return nil
}

func (p *MetricTemplateProvider) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch instead, refused := unsupportedMetricProviders[p.Type]; {
	case p.Type == "" || p.Type == MetricProviderPrometheus:
	case refused:
		errs = append(errs, field.Invalid(path.Child("type"), p.Type, fmt.Sprintf(
			"not supported by sluice: %s; supported: prometheus, and what answers its API (Thanos, Mimir, Cortex, VictoriaMetrics)", instead)))
	default:
		errs = append(errs, field.NotSupported(path.Child("type"), p.Type, []string{MetricProviderPrometheus}))
	}
	if p.Address != "" {
		u, err := url.Parse(p.Address)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, field.Invalid(path.Child("address"), redactedURL(p.Address), "must be an absolute http or https URL"))
		case u.User != nil:
			errs = append(errs, field.Invalid(path.Child("address"), redactedURL(p.Address), "must not hold credentials: put them in the Secret of secretRef"))
		}
	}
	for _, name := range sortedKeys(p.Headers) {
		headerPath := path.Child("headers").Key(name)
		for _, msg := range validation.IsHTTPHeaderName(name) {
			errs = append(errs, field.Invalid(headerPath, name, msg))
		}
		if http.CanonicalHeaderKey(name) == "Authorization" {
			errs = append(errs, field.Forbidden(headerPath, "credentials belong in the Secret of secretRef (key token, or username and password)"))
		}
	}
	if p.SecretRef != nil {
		errs = append(errs, validateObjectName(path.Child("secretRef", "name"), p.SecretRef.Name)...)
	}
	return errs
}

// validate checks a metric's templateRef: a MetricTemplate name and, when
// set, a namespace name.
func (r *MetricTemplateRef) validate(path *field.Path) field.ErrorList {
	errs := validateObjectName(path.Child("name"), r.Name)
	if r.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(r.Namespace) {
			errs = append(errs, field.Invalid(path.Child("namespace"), r.Namespace, msg))
		}
	}
	return errs
}

// redactedURL is an address for a message: its user information, which
// may hold a password, replaced.
func redactedURL(address string) string {
	u, err := url.Parse(address)
	if err != nil {
		return "(not a URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
