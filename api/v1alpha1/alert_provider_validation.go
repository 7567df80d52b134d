package v1alpha1

import (
	"net/url"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// AlertProviderTypes are the services an AlertProvider may send to.
func AlertProviderTypes() []string { return slices.Clone(alertProviderTypes) }

var alertProviderTypes = []string{"slack", "msteams", "discord", "rocket", "gchat", "generic"}

// Validate checks an AlertProvider and returns nil or a *ValidationError
// (Kind "alertprovider") naming it and every invalid field: a type of
// AlertProviderTypes; an address (unless a secretRef may hold it) that is
// an absolute http or https URL; a proxy that is a URL; a secretRef with a
// name. No message quotes the address or the proxy: a webhook URL carries
// its token.
func (p *AlertProvider) Validate() error {
	var errs field.ErrorList
	if p.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), ""))
	}
	spec := field.NewPath("spec")
	if !slices.Contains(alertProviderTypes, p.Spec.Type) {
		errs = append(errs, field.NotSupported(spec.Child("type"), p.Spec.Type, alertProviderTypes))
	}
	switch {
	case p.Spec.Address == "" && p.Spec.SecretRef == nil:
		errs = append(errs, field.Required(spec.Child("address"), "the incoming-webhook URL, here or as key address of the Secret of secretRef"))
	case p.Spec.Address != "":
		if u, err := url.Parse(p.Spec.Address); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, field.Invalid(spec.Child("address"), "(not shown: it may hold a token)", "must be an absolute http or https URL"))
		}
	}
	if p.Spec.Proxy != "" {
		if _, err := url.Parse(p.Spec.Proxy); err != nil {
			errs = append(errs, field.Invalid(spec.Child("proxy"), "(not shown)", "must be a URL"))
		}
	}
	if p.Spec.SecretRef != nil {
		errs = append(errs, validateObjectName(spec.Child("secretRef", "name"), p.Spec.SecretRef.Name)...)
	}
	if len(errs) > 0 {
		return &ValidationError{Kind: "alertprovider", Namespace: p.Namespace, Name: p.Name, Errors: errs}
	}
	return nil
}
