package v1alpha1

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The types of a Gateway API URL rewrite (HTTPRewrite.Type).
const (
	// RewriteFullPath replaces the whole path with rewrite.uri.
	RewriteFullPath = "ReplaceFullPath"
	// RewritePrefixMatch replaces the prefix the rule matched with
	// rewrite.uri.
	RewritePrefixMatch = "ReplacePrefixMatch"
)

// gatewayAPIMethods are the methods an HTTPRoute matches (Gateway API's
// HTTPMethod enum).
var gatewayAPIMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

// gatewayAPIDuration is Gateway API's Duration (GEP-2257), the format of
// an HTTPRoute's timeouts.
var gatewayAPIDuration = regexp.MustCompile(`^([0-9]{1,5}(h|m|s|ms)){1,4}$`)

// Gateway API's limits on the matches of an HTTPRoute and on the headers
// of a header modifier.
const (
	maxMatchesPerRule  = 64
	maxMatchesPerRoute = 128
	maxHeaderChanges   = 16
)

// validateRouting checks the fields of the Service that shape the
// Services and the routing against what sluice builds for the provider:
//
//   - name: a DNS-1035 label short enough for <name>-primary; appProtocol
//     a qualified name;
//   - provider gatewayapi: what an HTTPRoute can express (see
//     validateGatewayAPI);
//   - provider linkerd: the same, on a route attached to the apex Service
//     (see validateLinkerd);
//   - the other providers: backendTimeout and gatewayRefs[].sectionName
//     and .port are Gateway API's; appmesh and kubernetes build none of
//     the route options (match, rewrite, headers, timeouts, retries,
//     corsPolicy, gateways, delegation, trafficPolicy).
//
// analysisMatches is the number of spec.analysis.match conditions, which
// the HTTPRoute combines with the Service's.
func (s *CanaryService) validateRouting(path *field.Path, provider string, analysisMatches int) field.ErrorList {
	var errs field.ErrorList
	if s.Name != "" {
		// The longest name generated from it is <name>-primary.
		for _, msg := range validation.IsDNS1035Label(s.Name + "-primary") {
			errs = append(errs, field.Invalid(path.Child("name"), s.Name, "with -primary appended, "+msg))
		}
	}
	if s.AppProtocol != "" {
		for _, msg := range validation.IsQualifiedName(s.AppProtocol) {
			errs = append(errs, field.Invalid(path.Child("appProtocol"), s.AppProtocol, msg))
		}
	}
	switch provider {
	case ProviderGatewayAPI:
		return append(errs, s.validateGatewayAPI(path, ProviderGatewayAPI, analysisMatches)...)
	case ProviderLinkerd:
		return append(errs, s.validateLinkerd(path, analysisMatches)...)
	case ProviderAppMesh, ProviderKubernetes:
		why := fmt.Sprintf("provider %s does not build it", provider)
		for _, f := range s.routeOptions() {
			if f.set {
				errs = append(errs, field.Forbidden(path.Child(f.name), why))
			}
		}
	}
	if s.BackendTimeout != "" {
		errs = append(errs, field.Forbidden(path.Child("backendTimeout"), "providers gatewayapi and linkerd only (the timeout of a request to a backend)"))
	}
	for i, ref := range s.GatewayRefs {
		if ref.SectionName != "" {
			errs = append(errs, field.Forbidden(path.Child("gatewayRefs").Index(i).Child("sectionName"), "provider gatewayapi only"))
		}
		if ref.Port != nil {
			errs = append(errs, field.Forbidden(path.Child("gatewayRefs").Index(i).Child("port"), "provider gatewayapi only"))
		}
	}
	return errs
}

// routeOption is a field of the Service that only a router reads.
type routeOption struct {
	name string
	set  bool
}

// routeOptions lists the fields of the Service that only a router reads,
// and whether each is set.
func (s *CanaryService) routeOptions() []routeOption {
	return []routeOption{
		{"timeout", s.Timeout != ""},
		{"gateways", len(s.Gateways) > 0},
		{"delegation", s.Delegation},
		{"trafficPolicy", s.TrafficPolicy != nil},
		{"match", len(s.Match) > 0},
		{"rewrite", s.Rewrite != nil},
		{"retries", s.Retries != nil},
		{"headers", s.Headers != nil},
		{"corsPolicy", s.CorsPolicy != nil},
	}
}

// validateGatewayAPI checks what an HTTPRoute cannot express or its CRD
// refuses: Istio's own fields (gateways, delegation, trafficPolicy,
// retries, corsPolicy), a gatewayRef's sectionName and port, timeouts in
// Gateway API's duration format with backendTimeout not above timeout,
// the matches (see validateGatewayAPIMatch; at most 64 in a rule and 128
// in the route once combined with analysisMatches), the rewrite (a type,
// a path, a hostname; ReplacePrefixMatch needs a rule with a single prefix
// match) and the header operations (header names, at most 16 of each).
//
// provider names the provider in the messages: gatewayapi or linkerd.
func (s *CanaryService) validateGatewayAPI(path *field.Path, provider string, analysisMatches int) field.ErrorList {
	var errs field.ErrorList
	for _, f := range s.routeOptions() {
		switch f.name {
		case "gateways", "delegation", "trafficPolicy", "retries", "corsPolicy":
			if f.set {
				errs = append(errs, field.Forbidden(path.Child(f.name), fmt.Sprintf("Istio only: provider %s does not build it", provider)))
			}
		}
	}
	for i, ref := range s.GatewayRefs {
		refPath := path.Child("gatewayRefs").Index(i)
		if ref.SectionName != "" {
			for _, msg := range validation.IsDNS1123Subdomain(ref.SectionName) {
				errs = append(errs, field.Invalid(refPath.Child("sectionName"), ref.SectionName, msg))
			}
		}
		if ref.Port != nil {
			errs = append(errs, validatePort(refPath.Child("port"), *ref.Port)...)
		}
	}
	errs = append(errs, s.validateTimeouts(path)...)
	for i, m := range s.Match {
		errs = append(errs, m.validateGatewayAPI(path.Child("match").Index(i))...)
	}
	// An A/B rollout's weighted rule matches every analysis match combined
	// with every Service match; its other rule, the Service matches.
	weighted, rest := len(s.Match), 0
	if analysisMatches > 0 {
		weighted, rest = analysisMatches*max(len(s.Match), 1), len(s.Match)
	}
	if weighted > maxMatchesPerRule || weighted+rest > maxMatchesPerRoute {
		errs = append(errs, field.Invalid(path.Child("match"), len(s.Match),
			fmt.Sprintf("with spec.analysis.match, the HTTPRoute would have %d matches in its weighted rule (Gateway API allows %d) and %d in all (it allows %d)",
				weighted, maxMatchesPerRule, weighted+rest, maxMatchesPerRoute)))
	}
	if s.Rewrite != nil {
		errs = append(errs, s.validateRewrite(path.Child("rewrite"), analysisMatches)...)
	}
	if s.Headers != nil {
		errs = append(errs, s.Headers.Request.validate(path.Child("headers", "request"))...)
		errs = append(errs, s.Headers.Response.validate(path.Child("headers", "response"))...)
	}
	return errs
}

// validateLinkerd checks the Service for provider linkerd, whose
// HTTPRoute is attached to the apex Service (GAMMA): it routes the
// requests sent to that Service, so gatewayRefs and hosts have no place;
// Linkerd's proxies do not rewrite URLs (they implement the header
// modifier and redirect filters only); the rest as for gatewayapi (see
// validateGatewayAPI).
func (s *CanaryService) validateLinkerd(path *field.Path, analysisMatches int) field.ErrorList {
	var errs field.ErrorList
	const attached = "provider linkerd attaches the HTTPRoute to the apex Service: it routes the requests sent to that Service"
	if len(s.GatewayRefs) > 0 {
		errs = append(errs, field.Forbidden(path.Child("gatewayRefs"), attached))
	}
	if len(s.Hosts) > 0 {
		errs = append(errs, field.Forbidden(path.Child("hosts"), attached))
	}
	if s.Rewrite != nil {
		errs = append(errs, field.Forbidden(path.Child("rewrite"), "Linkerd's proxies do not rewrite URLs (no URLRewrite filter)"))
	}
	rest := *s
	rest.GatewayRefs, rest.Rewrite = nil, nil
	return append(errs, rest.validateGatewayAPI(path, ProviderLinkerd, analysisMatches)...)
}

// validateTimeouts checks timeout and backendTimeout as Gateway API reads
// them: whole numbers of h, m, s or ms, backendTimeout not above a timeout
// other than 0s (no timeout).
func (s *CanaryService) validateTimeouts(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	durations := map[string]time.Duration{}
	for _, t := range []struct{ name, value string }{{"timeout", s.Timeout}, {"backendTimeout", s.BackendTimeout}} {
		if t.value == "" {
			continue
		}
		d, err := time.ParseDuration(t.value)
		if !gatewayAPIDuration.MatchString(t.value) || err != nil {
			errs = append(errs, field.Invalid(path.Child(t.name), t.value, "must be a Gateway API duration: whole hours, minutes, seconds or milliseconds, such as 30s, 1m30s or 500ms"))
			continue
		}
		durations[t.name] = d
	}
	request, hasRequest := durations["timeout"]
	backend, hasBackend := durations["backendTimeout"]
	if hasRequest && hasBackend && request != 0 && backend > request {
		errs = append(errs, field.Invalid(path.Child("backendTimeout"), s.BackendTimeout, fmt.Sprintf("must not be longer than timeout (%s)", s.Timeout)))
	}
	return errs
}

// validateRewrite checks a rewrite for an HTTPRoute: a uri or an
// authority; a known type; a uri that is a path; an authority that is a
// host name; with ReplacePrefixMatch, a rule whose only match is a prefix
// (at most one Service match, on a uri prefix if any, and at most one
// analysis match), which Gateway API requires to know what to replace.
func (s *CanaryService) validateRewrite(path *field.Path, analysisMatches int) field.ErrorList {
	var errs field.ErrorList
	r := s.Rewrite
	if r.URI == "" && r.Authority == "" {
		errs = append(errs, field.Required(path, "a rewrite needs a uri, an authority or both"))
	}
	if r.Type != "" && r.Type != RewriteFullPath && r.Type != RewritePrefixMatch {
		errs = append(errs, field.NotSupported(path.Child("type"), r.Type, []string{RewriteFullPath, RewritePrefixMatch}))
	}
	if r.URI != "" && !strings.HasPrefix(r.URI, "/") {
		errs = append(errs, field.Invalid(path.Child("uri"), r.URI, "must be a path, starting with /"))
	}
	if r.Authority != "" {
		for _, msg := range validation.IsDNS1123Subdomain(r.Authority) {
			errs = append(errs, field.Invalid(path.Child("authority"), r.Authority, msg))
		}
	}
	if r.URI == "" || r.Type != RewritePrefixMatch {
		return errs
	}
	prefixOnly := len(s.Match) <= 1 && analysisMatches <= 1
	if len(s.Match) == 1 && s.Match[0].URI != nil && s.Match[0].URI.Prefix == "" {
		prefixOnly = false
	}
	if !prefixOnly {
		errs = append(errs, field.Invalid(path.Child("type"), r.Type,
			"Gateway API replaces a prefix only in a rule with a single match on a path prefix: keep at most one spec.service.match (with uri.prefix, if any uri) and one spec.analysis.match, or use ReplaceFullPath"))
	}
	return errs
}

// validateGatewayAPI checks a Service match for an HTTPRoute: Istio's own
// conditions (scheme, authority, ignoreUriCase, sourceLabels, gateways)
// are refused by name; uri is exact, prefix (both paths) or regex; method
// is an exact Gateway API method; headers and query parameters are exact
// or regex (no prefix), header names tokens.
func (m *HTTPMatchRequest) validateGatewayAPI(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range m.IstioOnlyFields() {
		errs = append(errs, field.Forbidden(path.Child(name), IstioOnlyMatch))
	}
	if m.URI != nil {
		uri := path.Child("uri")
		errs = append(errs, validateStringMatch(uri, *m.URI)...)
		for _, p := range []struct{ kind, value string }{{"exact", m.URI.Exact}, {"prefix", m.URI.Prefix}} {
			if p.value != "" && !strings.HasPrefix(p.value, "/") {
				errs = append(errs, field.Invalid(uri.Child(p.kind), p.value, "must be a path, starting with /"))
			}
		}
	}
	if m.Method != nil {
		method := path.Child("method")
		switch {
		case m.Method.Exact == "":
			errs = append(errs, field.Invalid(method, *m.Method, "Gateway API matches a method exactly: set exact only"))
		case !slices.Contains(gatewayAPIMethods, m.Method.Exact):
			errs = append(errs, field.NotSupported(method.Child("exact"), m.Method.Exact, gatewayAPIMethods))
		}
	}
	for _, kind := range []struct {
		name       string
		conditions map[string]StringMatch
	}{{"headers", m.Headers}, {"queryParams", m.QueryParams}} {
		for _, name := range sortedKeys(kind.conditions) {
			condition, conditionPath := kind.conditions[name], path.Child(kind.name).Key(name)
			if !headerName.MatchString(name) {
				errs = append(errs, field.Invalid(conditionPath, name, "must be a token (letters, digits, and !#$%&'*+-.^_`|~)"))
			}
			errs = append(errs, validateStringMatch(conditionPath, condition)...)
			if condition.Prefix != "" {
				errs = append(errs, field.Forbidden(conditionPath.Child("prefix"), "Gateway API matches "+kind.name+" by exact value or regex only"))
			}
		}
	}
	return errs
}

// validate checks the header operations of a header modifier: header
// names, at most 16 of each operation. A nil operation is valid.
func (o *HeaderOperation) validate(path *field.Path) field.ErrorList {
	if o == nil {
		return nil
	}
	var errs field.ErrorList
	for _, op := range []struct {
		name  string
		names []string
	}{{"set", sortedKeys(o.Set)}, {"add", sortedKeys(o.Add)}, {"remove", o.Remove}} {
		if len(op.names) > maxHeaderChanges {
			errs = append(errs, field.TooMany(path.Child(op.name), len(op.names), maxHeaderChanges))
		}
		for _, name := range op.names {
			if !headerName.MatchString(name) {
				errs = append(errs, field.Invalid(path.Child(op.name).Key(name), name, "must be an HTTP header name"))
			}
		}
	}
	return errs
}

// IstioOnlyMatch says why a condition Gateway API cannot express is
// refused.
const IstioOnlyMatch = "Istio only: Gateway API cannot match on it"

// IstioOnlyFields names the fields set in m that only Istio matches on
// (scheme, authority, ignoreUriCase, sourceLabels, gateways), in that
// order.
func (m *HTTPMatchRequest) IstioOnlyFields() []string {
	var names []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"scheme", m.Scheme != nil},
		{"authority", m.Authority != nil},
		{"ignoreUriCase", m.IgnoreURICase},
		{"sourceLabels", len(m.SourceLabels) > 0},
		{"gateways", len(m.Gateways) > 0},
	} {
		if f.set {
			names = append(names, f.name)
		}
	}
	return names
}
