package v1alpha1

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// DefaultSessionAffinityMaxAge is the lifetime of a session affinity
// cookie whose maxAge is zero: a day, as with Flagger.
const DefaultSessionAffinityMaxAge int32 = 86400

// MaxAgeSeconds is the cookie's lifetime in seconds: MaxAge, or
// DefaultSessionAffinityMaxAge when it is zero.
func (s *SessionAffinity) MaxAgeSeconds() int32 {
	if s.MaxAge <= 0 {
		return DefaultSessionAffinityMaxAge
	}
	return s.MaxAge
}

// validateSessionAffinity checks that sessionAffinity comes with a
// provider that can set a cookie and route by it (gatewayapi, istio) and
// with a weighted schedule, since it keeps on the canary the users that
// the weights sent there (an A/B rollout's match already does, and an
// analysis by iterations routes no user to the canary), and that its
// cookie names are cookie names (RFC 6265 tokens), the primary's another
// than the canary's, and its maxAge not negative.
func (a *CanaryAnalysis) validateSessionAffinity(path *field.Path, provider string) field.ErrorList {
	affinity := a.SessionAffinity
	if affinity == nil {
		return nil
	}
	path = path.Child("sessionAffinity")
	var errs field.ErrorList
	if provider != ProviderGatewayAPI && provider != ProviderIstio {
		errs = append(errs, field.Forbidden(path, "provider "+provider+" cannot route by cookie: use gatewayapi or istio"))
	}
	if a.StepWeight == 0 && len(a.StepWeights) == 0 {
		errs = append(errs, field.Forbidden(path, "needs stepWeight or stepWeights: it keeps on the canary the users the weights sent there (an A/B rollout's match already keeps them)"))
	}
	switch {
	case affinity.CookieName == "":
		errs = append(errs, field.Required(path.Child("cookieName"), "the name of the cookie that keeps a user on the canary"))
	case !headerName.MatchString(affinity.CookieName):
		errs = append(errs, field.Invalid(path.Child("cookieName"), affinity.CookieName, "must be a cookie name (letters, digits and !#$%&'*+.^_`|~-)"))
	}
	switch {
	case affinity.PrimaryCookieName == "":
	case !headerName.MatchString(affinity.PrimaryCookieName):
		errs = append(errs, field.Invalid(path.Child("primaryCookieName"), affinity.PrimaryCookieName, "must be a cookie name (letters, digits and !#$%&'*+.^_`|~-)"))
	case affinity.PrimaryCookieName == affinity.CookieName:
		errs = append(errs, field.Invalid(path.Child("primaryCookieName"), affinity.PrimaryCookieName, "must differ from cookieName: one cookie keeps users on the canary, the other on the primary"))
	}
	if affinity.MaxAge < 0 {
		errs = append(errs, field.Invalid(path.Child("maxAge"), affinity.MaxAge, "must be a number of seconds, 0 for a day"))
	}
	return errs
}
