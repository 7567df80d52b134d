package v1alpha1

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// withGatewayAPIOptions sets every Service option an HTTPRoute builds, as
// a Flagger Gateway API Canary would.
func withGatewayAPIOptions(c *Canary) {
	s := &c.Spec.Service
	s.Name = "shop"
	s.TargetPort = intstr.FromString("http")
	s.AppProtocol = "kubernetes.io/h2c"
	s.PortDiscovery = true
	s.Timeout, s.BackendTimeout = "30s", "10s"
	s.GatewayRefs[0].SectionName, s.GatewayRefs[0].Port = "https", ptr.To(int32(443))
	s.Match = []HTTPMatchRequest{{
		URI:         &StringMatch{Prefix: "/api"},
		Method:      &StringMatch{Exact: "GET"},
		Headers:     map[string]StringMatch{"x-tenant": {Regex: "^a.*"}},
		QueryParams: map[string]StringMatch{"beta": {Exact: "1"}},
	}}
	s.Rewrite = &HTTPRewrite{URI: "/", Authority: "shop.internal", Type: RewritePrefixMatch}
	s.Headers = &HeaderOperations{
		Request:  &HeaderOperation{Set: map[string]string{"x-via": "sluice"}, Remove: []string{"x-debug"}},
		Response: &HeaderOperation{Add: map[string]string{"x-served-by": "shop"}},
	}
	s.Apex = &CustomMetadata{Labels: map[string]string{"tier": "web"}}
}

func TestValidateServiceRouting(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Canary)
		want   []string // the field errors, in order; none means valid
	}{
		{name: "every Gateway API option Flagger documents is valid", change: withGatewayAPIOptions},

		// names
		{
			name:   "the Service name must fit <name>-primary in a DNS label",
			change: func(c *Canary) { c.Spec.Service.Name = strings.Repeat("s", 56) },
			want:   []string{`spec.service.name: Invalid value: "` + strings.Repeat("s", 56) + `": with -primary appended, must be no more than 63 characters`},
		}, {
			name:   "the Service name is a DNS-1035 label",
			change: func(c *Canary) { c.Spec.Service.Name = "1shop" },
			want:   []string{`spec.service.name: Invalid value: "1shop": with -primary appended, a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`},
		}, {
			name:   "appProtocol is a qualified name",
			change: func(c *Canary) { c.Spec.Service.AppProtocol = "/h2c" },
			want:   []string{`spec.service.appProtocol: Invalid value: "/h2c": prefix part must be non-empty`},
		},

		// Istio's fields under gatewayapi
		{
			name: "Istio's own fields are refused by name under gatewayapi",
			change: func(c *Canary) {
				s := &c.Spec.Service
				s.Gateways, s.Delegation = []string{"mesh"}, true
				s.TrafficPolicy = &apiextensionsv1.JSON{Raw: []byte(`{"tls":{"mode":"ISTIO_MUTUAL"}}`)}
				s.Retries, s.CorsPolicy = &HTTPRetry{Attempts: 3}, &CorsPolicy{AllowOrigin: []string{"*"}}
			},
			want: []string{
				"spec.service.gateways: Forbidden: Istio only: provider gatewayapi does not build it",
				"spec.service.delegation: Forbidden: Istio only: provider gatewayapi does not build it",
				"spec.service.trafficPolicy: Forbidden: Istio only: provider gatewayapi does not build it",
				"spec.service.retries: Forbidden: Istio only: provider gatewayapi does not build it",
				"spec.service.corsPolicy: Forbidden: Istio only: provider gatewayapi does not build it",
			},
		},

		// gatewayRefs
		{
			name: "a sectionName is a DNS name and a port a port",
			change: func(c *Canary) {
				c.Spec.Service.GatewayRefs[0].SectionName, c.Spec.Service.GatewayRefs[0].Port = "HTTPS", ptr.To(int32(0))
			},
			want: []string{
				`spec.service.gatewayRefs[0].sectionName: Invalid value: "HTTPS": ` + notASubdomain,
				"spec.service.gatewayRefs[0].port: Invalid value: 0: must be between 1 and 65535",
			},
		},

		// timeouts
		{
			name:   "a timeout is a Gateway API duration",
			change: func(c *Canary) { c.Spec.Service.Timeout, c.Spec.Service.BackendTimeout = "1.5s", "1m30s" },
			want:   []string{`spec.service.timeout: Invalid value: "1.5s": must be a Gateway API duration: whole hours, minutes, seconds or milliseconds, such as 30s, 1m30s or 500ms`},
		}, {
			name:   "backendTimeout is not above timeout",
			change: func(c *Canary) { c.Spec.Service.Timeout, c.Spec.Service.BackendTimeout = "10s", "30s" },
			want:   []string{`spec.service.backendTimeout: Invalid value: "30s": must not be longer than timeout (10s)`},
		}, {
			name:   "a timeout of 0s is none, so any backendTimeout fits",
			change: func(c *Canary) { c.Spec.Service.Timeout, c.Spec.Service.BackendTimeout = "0s", "30s" },
		},

		// match
		{
			name: "what Gateway API cannot match on is refused by name",
			change: func(c *Canary) {
				c.Spec.Service.Match = []HTTPMatchRequest{{
					Scheme: &StringMatch{Exact: "https"}, Authority: &StringMatch{Exact: "shop"}, IgnoreURICase: true,
					SourceLabels: map[string]string{"app": "web"}, Gateways: []string{"mesh"},
					Method:      &StringMatch{Regex: "GET|HEAD"},
					Headers:     map[string]StringMatch{"x-tenant": {Prefix: "a"}},
					QueryParams: map[string]StringMatch{"beta": {Prefix: "1"}},
				}}
			},
			want: []string{
				"spec.service.match[0].scheme: Forbidden: Istio only: Gateway API cannot match on it",
				"spec.service.match[0].authority: Forbidden: Istio only: Gateway API cannot match on it",
				"spec.service.match[0].ignoreUriCase: Forbidden: Istio only: Gateway API cannot match on it",
				"spec.service.match[0].sourceLabels: Forbidden: Istio only: Gateway API cannot match on it",
				"spec.service.match[0].gateways: Forbidden: Istio only: Gateway API cannot match on it",
				`spec.service.match[0].method: Invalid value: {"regex":"GET|HEAD"}: Gateway API matches a method exactly: set exact only`,
				"spec.service.match[0].headers[x-tenant].prefix: Forbidden: Gateway API matches headers by exact value or regex only",
				"spec.service.match[0].queryParams[beta].prefix: Forbidden: Gateway API matches queryParams by exact value or regex only",
			},
		}, {
			name: "a uri is a path and a method one Gateway API knows",
			change: func(c *Canary) {
				c.Spec.Service.Match = []HTTPMatchRequest{{URI: &StringMatch{Prefix: "api"}, Method: &StringMatch{Exact: "get"}}}
			},
			want: []string{
				`spec.service.match[0].uri.prefix: Invalid value: "api": must be a path, starting with /`,
				`spec.service.match[0].method.exact: Unsupported value: "get": supported values: "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"`,
			},
		}, {
			name: "a condition sets one of exact, prefix or regex, and a regex compiles",
			change: func(c *Canary) {
				c.Spec.Service.Match = []HTTPMatchRequest{{URI: &StringMatch{Exact: "/a", Regex: "/b"}, Headers: map[string]StringMatch{"x-a": {Regex: "("}}}}
			},
			want: []string{
				`spec.service.match[0].uri: Invalid value: {"exact":"/a","regex":"/b"}: must set exactly one of exact, prefix or regex`,
				"spec.service.match[0].headers[x-a].regex: Invalid value: \"(\": must be an RE2 regular expression: error parsing regexp: missing closing ): `(`",
			},
		}, {
			name: "the matches combined with the analysis's must fit in an HTTPRoute",
			change: func(c *Canary) {
				c.Spec.Service.Match = make([]HTTPMatchRequest, 9)
				c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.Iterations = 0, 0, 5
				for range 8 {
					c.Spec.Analysis.Match = append(c.Spec.Analysis.Match, HTTPMatch{Headers: map[string]StringMatch{"x-canary": {Exact: "1"}}})
				}
			},
			want: []string{"spec.service.match: Invalid value: 9: with spec.analysis.match, the HTTPRoute would have 72 matches in its weighted rule (Gateway API allows 64) and 81 in all (it allows 128)"},
		},

		// rewrite
		{
			name:   "a rewrite rewrites something, with a known type, to a path and a host name",
			change: func(c *Canary) { c.Spec.Service.Rewrite = &HTTPRewrite{Type: "Replace"} },
			want: []string{
				"spec.service.rewrite: Required value: a rewrite needs a uri, an authority or both",
				`spec.service.rewrite.type: Unsupported value: "Replace": supported values: "ReplaceFullPath", "ReplacePrefixMatch"`,
			},
		}, {
			name:   "a rewrite's uri is a path and its authority a host name",
			change: func(c *Canary) { c.Spec.Service.Rewrite = &HTTPRewrite{URI: "v2", Authority: "Shop:80"} },
			want: []string{
				`spec.service.rewrite.uri: Invalid value: "v2": must be a path, starting with /`,
				`spec.service.rewrite.authority: Invalid value: "Shop:80": ` + notASubdomain,
			},
		}, {
			name: "ReplacePrefixMatch needs a single prefix match in the rule",
			change: func(c *Canary) {
				c.Spec.Service.Rewrite = &HTTPRewrite{URI: "/", Type: RewritePrefixMatch}
				c.Spec.Service.Match = []HTTPMatchRequest{{URI: &StringMatch{Exact: "/api"}}}
			},
			want: []string{`spec.service.rewrite.type: Invalid value: "ReplacePrefixMatch": Gateway API replaces a prefix only in a rule with a single match on a path prefix: keep at most one spec.service.match (with uri.prefix, if any uri) and one spec.analysis.match, or use ReplaceFullPath`},
		}, {
			name: "ReplaceFullPath goes with any matches",
			change: func(c *Canary) {
				c.Spec.Service.Rewrite = &HTTPRewrite{URI: "/"}
				c.Spec.Service.Match = []HTTPMatchRequest{{URI: &StringMatch{Exact: "/api"}}, {URI: &StringMatch{Regex: "/v[0-9]+"}}}
			},
		},

		// headers
		{
			name: "header operations name headers, at most 16 of each",
			change: func(c *Canary) {
				remove := make([]string, 17)
				for i := range remove {
					remove[i] = "x-h"
				}
				c.Spec.Service.Headers = &HeaderOperations{Response: &HeaderOperation{Set: map[string]string{"x a": "1"}, Remove: remove}}
			},
			want: []string{
				`spec.service.headers.response.set[x a]: Invalid value: "x a": must be an HTTP header name`,
				"spec.service.headers.response.remove: Too many: 17: must have at most 16 items",
			},
		},

		// linkerd
		{
			name: "linkerd takes the HTTPRoute's options on a route attached to the apex Service",
			change: func(c *Canary) {
				withGatewayAPIOptions(c)
				c.Spec.Provider, c.Spec.Service.GatewayRefs, c.Spec.Service.Hosts, c.Spec.Service.Rewrite = ProviderLinkerd, nil, nil, nil
			},
		}, {
			name: "linkerd routes the requests sent to the apex Service: no gatewayRefs, no hosts, and its proxies rewrite no URL",
			change: func(c *Canary) {
				c.Spec.Provider, c.Spec.Service.Rewrite = ProviderLinkerd, &HTTPRewrite{URI: "/"}
				c.Spec.Service.Retries = &HTTPRetry{Attempts: 3}
			},
			want: []string{
				"spec.service.gatewayRefs: Forbidden: provider linkerd attaches the HTTPRoute to the apex Service: it routes the requests sent to that Service",
				"spec.service.hosts: Forbidden: provider linkerd attaches the HTTPRoute to the apex Service: it routes the requests sent to that Service",
				"spec.service.rewrite: Forbidden: Linkerd's proxies do not rewrite URLs (no URLRewrite filter)",
				"spec.service.retries: Forbidden: Istio only: provider linkerd does not build it",
			},
		}, {
			name: "linkerd matches an A/B header by exact value or regex only",
			change: func(c *Canary) {
				c.Spec.Provider, c.Spec.Service.GatewayRefs, c.Spec.Service.Hosts = ProviderLinkerd, nil, nil
				c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.Iterations = 0, 0, 5
				c.Spec.Analysis.Match = []HTTPMatch{{Headers: map[string]StringMatch{"x-canary": {Prefix: "in"}}}}
			},
			want: []string{"spec.analysis.match[0].headers[x-canary].prefix: Forbidden: provider linkerd matches headers by exact value or regex only"},
		},

		// other providers
		{
			name: "backendTimeout, sectionName and port are Gateway API's",
			change: func(c *Canary) {
				c.Spec.Provider = ProviderIstio
				c.Spec.Service.BackendTimeout = "10s"
				c.Spec.Service.GatewayRefs[0].SectionName, c.Spec.Service.GatewayRefs[0].Port = "https", ptr.To(int32(443))
			},
			want: []string{
				"spec.service.backendTimeout: Forbidden: providers gatewayapi and linkerd only (the timeout of a request to a backend)",
				"spec.service.gatewayRefs[0].sectionName: Forbidden: provider gatewayapi only",
				"spec.service.gatewayRefs[0].port: Forbidden: provider gatewayapi only",
			},
		}, {
			name: "appmesh builds none of the route options",
			change: func(c *Canary) {
				c.Spec.Provider = ProviderAppMesh
				c.Spec.Service.Timeout, c.Spec.Service.Match = "30s", []HTTPMatchRequest{{URI: &StringMatch{Prefix: "/"}}}
				c.Spec.Service.Rewrite, c.Spec.Service.Headers = &HTTPRewrite{URI: "/"}, &HeaderOperations{}
			},
			want: []string{
				"spec.service.timeout: Forbidden: provider appmesh does not build it",
				"spec.service.match: Forbidden: provider appmesh does not build it",
				"spec.service.rewrite: Forbidden: provider appmesh does not build it",
				"spec.service.headers: Forbidden: provider appmesh does not build it",
			},
		}, {
			name: "the Service options do not depend on the provider",
			change: func(c *Canary) {
				c.Spec.Provider = ProviderAppMesh
				c.Spec.Service.Name, c.Spec.Service.AppProtocol, c.Spec.Service.PortDiscovery = "shop", "http", true
				c.Spec.Service.Primary = &CustomMetadata{Annotations: map[string]string{"a": "b"}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			canary := validCanary()
			tt.change(canary)
			err := canary.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			want := "canary flagger/detail: " + strings.Join(tt.want, "; ")
			if err == nil {
				t.Fatalf("Validate() = nil, want %s", want)
			}
			if diff := cmp.Diff(want, err.Error()); diff != "" {
				t.Errorf("Validate() (-want +got):\n%s", diff)
			}
		})
	}
}
