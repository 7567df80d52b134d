package v1alpha1

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateIstioRoute checks, with provider istio, the route options of the
// Service as Istio would check the VirtualService and DestinationRules
// sluice builds from them (see validateIstio). Other providers refuse the
// options they do not build by name (see validateRouting): Flagger ignores
// Istio's fields under another provider, but a route that silently lacks
// what the Canary asks for routes differently from what Git says.
func (s *CanaryService) validateIstioRoute(path *field.Path, provider string) field.ErrorList {
	if provider != ProviderIstio {
		return nil
	}
	return s.validateIstio(path)
}

// validateIstio checks what Istio would refuse in the VirtualService and
// DestinationRules built from s: gateway names; gateways with gatewayRefs;
// hosts or gateways with delegation; a trafficPolicy that is not an
// object; each match; a rewrite without uri and authority, or with
// Gateway API's type; retries; durations (timeout, perTryTimeout,
// maxAge); header operations; the CORS policy; the authority set twice.
func (s *CanaryService) validateIstio(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, gateway := range s.Gateways {
		errs = append(errs, validateIstioGateway(path.Child("gateways").Index(i), gateway)...)
	}
	if len(s.Gateways) > 0 && len(s.GatewayRefs) > 0 {
		errs = append(errs, field.Forbidden(path.Child("gatewayRefs"), "set with gateways: name the VirtualService's gateways in one of them"))
	}
	errs = append(errs, s.validateDelegation(path)...)
	if s.TrafficPolicy != nil {
		var policy map[string]any
		if err := json.Unmarshal(s.TrafficPolicy.Raw, &policy); err != nil || policy == nil {
			errs = append(errs, field.Invalid(path.Child("trafficPolicy"), field.OmitValueType{},
				"must be an object: Istio's TrafficPolicy (loadBalancer, connectionPool, outlierDetection, tls, …)"))
		}
	}
	for i := range s.Match {
		errs = append(errs, s.Match[i].validateIstio(path.Child("match").Index(i))...)
	}
	if s.Rewrite != nil {
		errs = append(errs, s.Rewrite.validateIstio(path.Child("rewrite"))...)
	}
	if s.Retries != nil {
		errs = append(errs, s.Retries.validateIstio(path.Child("retries"))...)
	}
	if s.Timeout != "" {
		errs = append(errs, validateIstioDuration(path.Child("timeout"), s.Timeout, time.Millisecond)...)
	}
	if s.Headers != nil {
		errs = append(errs, s.Headers.validateIstio(path.Child("headers"))...)
	}
	if s.CorsPolicy != nil {
		errs = append(errs, s.CorsPolicy.validateIstio(path.Child("corsPolicy"))...)
	}
	return append(errs, s.validateAuthority(path)...)
}

// validateDelegation refuses hosts and gateways on a delegate
// VirtualService: the VirtualService that delegates to it has them.
func (s *CanaryService) validateDelegation(path *field.Path) field.ErrorList {
	if !s.Delegation {
		return nil
	}
	const why = "a delegate VirtualService (delegation: true) has none: the VirtualService that delegates to it has them"
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		set  bool
	}{{"hosts", len(s.Hosts) > 0}, {"gateways", len(s.Gateways) > 0}, {"gatewayRefs", len(s.GatewayRefs) > 0}} {
		if f.set {
			errs = append(errs, field.Forbidden(path.Child(f.name), why))
		}
	}
	return errs
}

// validateAuthority refuses an authority set more than once, by
// rewrite.authority and by setting or adding the Host or :authority
// request header: Istio refuses it.
func (s *CanaryService) validateAuthority(path *field.Path) field.ErrorList {
	var setters []string
	if s.Rewrite != nil && s.Rewrite.Authority != "" {
		setters = append(setters, path.Child("rewrite", "authority").String())
	}
	if s.Headers != nil && s.Headers.Request != nil {
		request := path.Child("headers", "request")
		for _, op := range []struct {
			name    string
			headers map[string]string
		}{{"set", s.Headers.Request.Set}, {"add", s.Headers.Request.Add}} {
			for _, name := range slices.Sorted(maps.Keys(op.headers)) {
				if isAuthorityHeader(name) {
					setters = append(setters, request.Child(op.name).Key(name).String())
				}
			}
		}
	}
	if len(setters) < 2 {
		return nil
	}
	return field.ErrorList{field.Forbidden(path.Child("headers", "request"),
		"the authority is set more than once ("+strings.Join(setters, ", ")+"): Istio sets it in one place only")}
}

// validateIstioGateway requires "mesh", <namespace>/<name> with both DNS
// labels, or a gateway's name (a DNS name, the Canary's namespace or
// Istio's older fully qualified form).
func validateIstioGateway(path *field.Path, gateway string) field.ErrorList {
	if gateway == "mesh" {
		return nil
	}
	const want = `must be "mesh", <namespace>/<name> or the name of a gateway in the Canary's namespace`
	namespace, name, qualified := strings.Cut(gateway, "/")
	switch {
	case qualified && (len(validation.IsDNS1123Label(namespace)) > 0 || len(validation.IsDNS1123Label(name)) > 0):
		return field.ErrorList{field.Invalid(path, gateway, want)}
	case !qualified && len(validation.IsDNS1123Subdomain(gateway)) > 0:
		return field.ErrorList{field.Invalid(path, gateway, want)}
	}
	return nil
}

// validateIstio checks one spec.service.match condition: each string
// match sets exactly one of exact, prefix or regex; header and query
// parameter names; source labels; gateway names.
func (m *HTTPMatchRequest) validateIstio(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, sm := range []struct {
		name  string
		match *StringMatch
	}{{"uri", m.URI}, {"scheme", m.Scheme}, {"method", m.Method}, {"authority", m.Authority}} {
		if sm.match != nil {
			errs = append(errs, validateStringMatch(path.Child(sm.name), *sm.match)...)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(m.Headers)) {
		headerPath := path.Child("headers").Key(name)
		if !isMatchHeaderName(name) {
			errs = append(errs, field.Invalid(headerPath, name, "must be an HTTP header name, a pseudo-header such as :path, or @request.auth.claims.NAME"))
		}
		errs = append(errs, validateStringMatch(headerPath, m.Headers[name])...)
	}
	for _, name := range slices.Sorted(maps.Keys(m.QueryParams)) {
		paramPath := path.Child("queryParams").Key(name)
		if name == "" {
			errs = append(errs, field.Invalid(paramPath, name, "must not be empty"))
		}
		errs = append(errs, validateStringMatch(paramPath, m.QueryParams[name])...)
	}
	for _, key := range slices.Sorted(maps.Keys(m.SourceLabels)) {
		labelPath := path.Child("sourceLabels").Key(key)
		for _, msg := range content.IsLabelKey(key) {
			errs = append(errs, field.Invalid(labelPath, key, msg))
		}
		for _, msg := range content.IsLabelValue(m.SourceLabels[key]) {
			errs = append(errs, field.Invalid(labelPath, m.SourceLabels[key], msg))
		}
	}
	for i, gateway := range m.Gateways {
		errs = append(errs, validateIstioGateway(path.Child("gateways").Index(i), gateway)...)
	}
	return errs
}

// maxIstioRegex is the longest regular expression Istio accepts.
const maxIstioRegex = 1024

// validateStringMatch requires exactly one of exact, prefix or regex, and a
// regex that is RE2 and not longer than Istio accepts.
func validateStringMatch(path *field.Path, match StringMatch) field.ErrorList {
	set := 0
	for _, value := range []string{match.Exact, match.Prefix, match.Regex} {
		if value != "" {
			set++
		}
	}
	if set != 1 {
		return field.ErrorList{field.Invalid(path, match, "must set exactly one of exact, prefix or regex")}
	}
	switch _, err := regexp.Compile(match.Regex); {
	case len(match.Regex) > maxIstioRegex:
		return field.ErrorList{field.TooLong(path.Child("regex"), field.OmitValueType{}, maxIstioRegex)}
	case err != nil:
		return field.ErrorList{field.Invalid(path.Child("regex"), match.Regex, "must be an RE2 regular expression: "+err.Error())}
	}
	return nil
}

// matchPseudoHeaders are the HTTP/2 pseudo-headers a match may name.
var matchPseudoHeaders = []string{":method", ":scheme", ":authority", ":path", ":status"}

// isMatchHeaderName reports whether a match may name the header: a
// header name, a pseudo-header, or a JWT claim (Istio's
// @request.auth.claims.NAME, on gateways).
func isMatchHeaderName(name string) bool {
	return headerName.MatchString(name) || slices.Contains(matchPseudoHeaders, name) ||
		strings.HasPrefix(name, "@request.auth.claims.") && len(name) > len("@request.auth.claims.")
}

// validateIstio requires a uri or an authority, and no type: Istio
// replaces the matched uri prefix, or the whole path when the route
// matches none.
func (r *HTTPRewrite) validateIstio(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r.Type != "" {
		errs = append(errs, field.Forbidden(path.Child("type"),
			"Gateway API's: Istio replaces the matched uri prefix, or the whole path when the match is not a prefix"))
	}
	if r.URI == "" && r.Authority == "" {
		errs = append(errs, field.Required(path, "a rewrite needs a uri, an authority or both"))
	}
	return errs
}

// retryOnPolicies are the retryOn conditions Istio accepts besides HTTP
// status codes: Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on ones.
var retryOnPolicies = []string{
	"5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx",
	"refused-stream", "retriable-status-codes", "retriable-headers", "envoy-ratelimited",
	"http3-post-connect-failure",
	"cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
}

// validateIstio checks a retry policy: attempts >= 0, and >= 1 with any
// other setting (0 turns retries off); a perTryTimeout duration; each
// retryOn condition known to Envoy or an HTTP status code.
func (r *HTTPRetry) validateIstio(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case r.Attempts < 0:
		errs = append(errs, field.Invalid(path.Child("attempts"), r.Attempts, "must be at least 0"))
	case r.Attempts == 0 && (r.PerTryTimeout != "" || r.RetryOn != "" || r.RetryRemoteLocalities != nil):
		errs = append(errs, field.Invalid(path.Child("attempts"), r.Attempts,
			"must be at least 1 with perTryTimeout, retryOn or retryRemoteLocalities: 0 turns retries off"))
	}
	if r.PerTryTimeout != "" {
		errs = append(errs, validateIstioDuration(path.Child("perTryTimeout"), r.PerTryTimeout, time.Millisecond)...)
	}
	if r.RetryOn != "" {
		for _, condition := range strings.Split(r.RetryOn, ",") {
			code, err := strconv.Atoi(condition)
			if slices.Contains(retryOnPolicies, condition) || err == nil && http.StatusText(code) != "" {
				continue
			}
			errs = append(errs, field.Invalid(path.Child("retryOn"), r.RetryOn,
				fmt.Sprintf("%q is not a retry condition: use a comma-separated list of %s or HTTP status codes", condition, strings.Join(retryOnPolicies, ", "))))
		}
	}
	return errs
}

// durationUnits name the units validateIstioDuration counts in.
var durationUnits = map[time.Duration]string{time.Millisecond: "milliseconds", time.Second: "seconds"}

// validateIstioDuration requires a Go duration that is a whole number of
// unit (1ms or 1s) and at least one: Istio keeps timeouts to the
// millisecond and a CORS maxAge to the second, and refuses finer ones.
func validateIstioDuration(path *field.Path, value string, unit time.Duration) field.ErrorList {
	d, err := time.ParseDuration(value)
	switch {
	case err != nil:
		return field.ErrorList{field.Invalid(path, value, "must be a duration such as 30s, 1m or 1m30s")}
	case d < unit:
		return field.ErrorList{field.Invalid(path, value, "must be at least "+unit.String())}
	case d%unit != 0:
		return field.ErrorList{field.Invalid(path, value, "must be a whole number of "+durationUnits[unit])}
	}
	return nil
}

// validateIstio checks header operations: names that are HTTP header
// names, no pseudo-header (":…") and no Host but the request's Host or
// :authority set or added, values without control characters and with
// Envoy's % escapes paired.
func (h *HeaderOperations) validateIstio(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, side := range []struct {
		name      string
		op        *HeaderOperation
		authority bool
	}{{"request", h.Request, true}, {"response", h.Response, false}} {
		if side.op == nil {
			continue
		}
		sidePath := path.Child(side.name)
		for _, set := range []struct {
			name    string
			headers map[string]string
		}{{"set", side.op.Set}, {"add", side.op.Add}} {
			for _, name := range slices.Sorted(maps.Keys(set.headers)) {
				headerPath := sidePath.Child(set.name).Key(name)
				errs = append(errs, validateHeaderOperationName(headerPath, name, side.authority)...)
				errs = append(errs, validateHeaderValue(headerPath, set.headers[name])...)
			}
		}
		for i, name := range side.op.Remove {
			errs = append(errs, validateHeaderOperationName(sidePath.Child("remove").Index(i), name, false)...)
		}
	}
	return errs
}

// validateHeaderOperationName requires an HTTP header name other than
// Host and the pseudo-headers; with authority, Host and :authority are
// allowed (they set the authority).
func validateHeaderOperationName(path *field.Path, name string, authority bool) field.ErrorList {
	switch {
	case authority && isAuthorityHeader(name):
		return nil
	case strings.EqualFold(name, "host") || strings.HasPrefix(name, ":"):
		return field.ErrorList{field.Invalid(path, name, "Istio does not change Host or a pseudo-header here (the request's Host or :authority may be set or added)")}
	case !headerName.MatchString(name):
		return field.ErrorList{field.Invalid(path, name, "must be an HTTP header name")}
	}
	return nil
}

// controlCharacters are the characters a header value must not hold
// (horizontal tab aside).
var controlCharacters = regexp.MustCompile("[\x00-\x08\x0a-\x1f\x7f]")

// validateHeaderValue refuses control characters and an unpaired %: Envoy
// reads %NAME% as a variable and %% as a percent sign.
func validateHeaderValue(path *field.Path, value string) field.ErrorList {
	switch {
	case controlCharacters.MatchString(value):
		return field.ErrorList{field.Invalid(path, field.OmitValueType{}, "must not hold control characters")}
	case strings.Count(value, "%")%2 != 0:
		return field.ErrorList{field.Invalid(path, value, "has an unpaired %: write %% for a percent sign (Envoy reads %NAME% as a variable)")}
	}
	return nil
}

// isAuthorityHeader reports whether setting the header sets the authority.
func isAuthorityHeader(name string) bool {
	return strings.EqualFold(name, "host") || strings.EqualFold(name, ":authority")
}

// corsMethods are the allowMethods Istio accepts.
var corsMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace, "*",
}

// validateIstio checks a CORS policy: each allowOrigins match sets one of
// exact, prefix or regex; allowOrigin entries are not empty; methods are
// HTTP methods (in capitals) or *; header names are HTTP header names or
// *; maxAge is a duration in whole seconds.
func (c *CorsPolicy) validateIstio(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, origin := range c.AllowOrigins {
		errs = append(errs, validateStringMatch(path.Child("allowOrigins").Index(i), origin)...)
	}
	for i, origin := range c.AllowOrigin {
		if origin == "" {
			errs = append(errs, field.Invalid(path.Child("allowOrigin").Index(i), origin, "must not be empty"))
		}
	}
	for i, method := range c.AllowMethods {
		if !slices.Contains(corsMethods, method) {
			errs = append(errs, field.NotSupported(path.Child("allowMethods").Index(i), method, corsMethods))
		}
	}
	for _, list := range []struct {
		name  string
		names []string
	}{{"allowHeaders", c.AllowHeaders}, {"exposeHeaders", c.ExposeHeaders}} {
		for i, name := range list.names {
			if name != "*" && !headerName.MatchString(name) {
				errs = append(errs, field.Invalid(path.Child(list.name).Index(i), name, "must be an HTTP header name or *"))
			}
		}
	}
	if c.MaxAge != "" {
		errs = append(errs, validateIstioDuration(path.Child("maxAge"), c.MaxAge, time.Second)...)
	}
	return errs
}
