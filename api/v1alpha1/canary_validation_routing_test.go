package v1alpha1

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/utils/ptr"
)

// istioCanary returns the seed Canary on provider istio with every route
// option Flagger's Istio documentation shows, valid: every case of
// TestValidateIstioRouteOptions breaks it in one way.
func istioCanary() *Canary {
	c := validCanary()
	c.Spec.Provider = ProviderIstio
	c.Spec.Service.GatewayRefs = nil
	c.Spec.Service.Gateways = []string{"istio-system/public-gateway", "mesh"}
	c.Spec.Service.TrafficPolicy = &apiextensionsv1.JSON{Raw: []byte(`{"tls":{"mode":"ISTIO_MUTUAL"}}`)}
	c.Spec.Service.Match = []HTTPMatchRequest{{
		Name:         "api",
		URI:          &StringMatch{Prefix: "/api"},
		Method:       &StringMatch{Exact: "GET"},
		Headers:      map[string]StringMatch{"x-tenant": {Regex: "^(a|b)$"}, ":path": {Prefix: "/api"}},
		QueryParams:  map[string]StringMatch{"debug": {Exact: "1"}},
		SourceLabels: map[string]string{"app": "frontend"},
		Gateways:     []string{"mesh"},
	}}
	c.Spec.Service.Rewrite = &HTTPRewrite{URI: "/"}
	c.Spec.Service.Retries = &HTTPRetry{Attempts: 3, PerTryTimeout: "1s", RetryOn: "gateway-error,connect-failure,refused-stream,503"}
	c.Spec.Service.Timeout = "30s"
	c.Spec.Service.Headers = &HeaderOperations{
		Request:  &HeaderOperation{Add: map[string]string{"x-envoy-upstream-rq-timeout-ms": "15000"}, Set: map[string]string{"host": "detail.internal"}},
		Response: &HeaderOperation{Remove: []string{"x-powered-by"}, Set: map[string]string{"x-served-by": "%HOSTNAME%"}},
	}
	c.Spec.Service.CorsPolicy = &CorsPolicy{
		AllowOrigins: []StringMatch{{Exact: "https://example.com"}},
		AllowOrigin:  []string{"example.org"},
		AllowMethods: []string{"GET", "POST"},
		AllowHeaders: []string{"x-some-header", "*"},
		MaxAge:       "24h",
	}
	return c
}

func TestValidateIstioRouteOptions(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *CanaryService)
		want   []string // the field errors, in order; none means valid
	}{
		{name: "every option of Flagger's Istio documentation is valid", change: func(*CanaryService) {}},
		{
			name:   "a delegate VirtualService without hosts and gateways is valid",
			change: func(s *CanaryService) { s.Delegation, s.Hosts, s.Gateways = true, nil, nil },
		},
		{
			name: "a gateway by its name alone or in Istio's older fully qualified form is valid",
			change: func(s *CanaryService) {
				s.Gateways = []string{"public-gateway", "public-gateway.istio-system.svc.cluster.local"}
			},
		},
		{
			name:   "a gateway name that is neither mesh, namespace/name nor a name is refused",
			change: func(s *CanaryService) { s.Gateways = []string{"istio-system/public/gateway", "Mesh"} },
			want: []string{
				`spec.service.gateways[0]: Invalid value: "istio-system/public/gateway": must be "mesh", <namespace>/<name> or the name of a gateway in the Canary's namespace`,
				`spec.service.gateways[1]: Invalid value: "Mesh": must be "mesh", <namespace>/<name> or the name of a gateway in the Canary's namespace`,
			},
		},
		{
			name:   "gateways and gatewayRefs both name the VirtualService's gateways: one is refused",
			change: func(s *CanaryService) { s.GatewayRefs = []GatewayRef{{Name: "public", Namespace: "gateway"}} },
			want:   []string{"spec.service.gatewayRefs: Forbidden: set with gateways: name the VirtualService's gateways in one of them"},
		},
		{
			name:   "a delegate VirtualService with hosts and gateways is refused, naming each",
			change: func(s *CanaryService) { s.Delegation = true },
			want: []string{
				"spec.service.hosts: Forbidden: a delegate VirtualService (delegation: true) has none: the VirtualService that delegates to it has them",
				"spec.service.gateways: Forbidden: a delegate VirtualService (delegation: true) has none: the VirtualService that delegates to it has them",
			},
		},
		{
			name: "a trafficPolicy that is not an object is refused",
			change: func(s *CanaryService) {
				s.TrafficPolicy = &apiextensionsv1.JSON{Raw: []byte(`["tls"]`)}
			},
			want: []string{"spec.service.trafficPolicy: Invalid value: must be an object: Istio's TrafficPolicy (loadBalancer, connectionPool, outlierDetection, tls, …)"},
		},
		{
			name: "a string match with no condition or with two is refused",
			change: func(s *CanaryService) {
				s.Match[0].URI = &StringMatch{}
				s.Match[0].Method = &StringMatch{Exact: "GET", Prefix: "G"}
			},
			want: []string{
				`spec.service.match[0].uri: Invalid value: {}: must set exactly one of exact, prefix or regex`,
				`spec.service.match[0].method: Invalid value: {"exact":"GET","prefix":"G"}: must set exactly one of exact, prefix or regex`,
			},
		},
		{
			name: "a match's regex must be RE2 and its names valid",
			change: func(s *CanaryService) {
				s.Match[0].Headers = map[string]StringMatch{"x tenant": {Exact: "a"}, "cookie": {Regex: "(?=canary)"}}
				s.Match[0].QueryParams = map[string]StringMatch{"": {Exact: "1"}}
				s.Match[0].SourceLabels = map[string]string{"app": "front end"}
				s.Match[0].Gateways = []string{"/public"}
			},
			want: []string{
				"spec.service.match[0].headers[cookie].regex: Invalid value: \"(?=canary)\": must be an RE2 regular expression: error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
				`spec.service.match[0].headers[x tenant]: Invalid value: "x tenant": must be an HTTP header name, a pseudo-header such as :path, or @request.auth.claims.NAME`,
				`spec.service.match[0].queryParams[]: Invalid value: "": must not be empty`,
				`spec.service.match[0].sourceLabels[app]: Invalid value: "front end": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
				`spec.service.match[0].gateways[0]: Invalid value: "/public": must be "mesh", <namespace>/<name> or the name of a gateway in the Canary's namespace`,
			},
		},
		{
			name: "a regex longer than Istio accepts is refused",
			change: func(s *CanaryService) {
				s.Match[0].URI = &StringMatch{Regex: strings.Repeat("a", 1025)}
			},
			want: []string{"spec.service.match[0].uri.regex: Too long: may not be more than 1024 bytes"},
		},
		{
			name:   "a rewrite needs a uri or an authority, and Gateway API's type is refused",
			change: func(s *CanaryService) { s.Rewrite = &HTTPRewrite{Type: "ReplaceFullPath"} },
			want: []string{
				"spec.service.rewrite.type: Forbidden: Gateway API's: Istio replaces the matched uri prefix, or the whole path when the match is not a prefix",
				"spec.service.rewrite: Required value: a rewrite needs a uri, an authority or both",
			},
		},
		{
			name:   "an authority rewritten and set as the Host header is set twice",
			change: func(s *CanaryService) { s.Rewrite.Authority = "detail.example.com" },
			want:   []string{"spec.service.headers.request: Forbidden: the authority is set more than once (spec.service.rewrite.authority, spec.service.headers.request.set[host]): Istio sets it in one place only"},
		},
		{
			name: "retries: attempts >= 0, a perTryTimeout duration, known retryOn conditions",
			change: func(s *CanaryService) {
				s.Retries = &HTTPRetry{Attempts: -1, PerTryTimeout: "1 second", RetryOn: "5xx,connect-failures,999"}
			},
			want: []string{
				"spec.service.retries.attempts: Invalid value: -1: must be at least 0",
				`spec.service.retries.perTryTimeout: Invalid value: "1 second": must be a duration such as 30s, 1m or 1m30s`,
				`spec.service.retries.retryOn: Invalid value: "5xx,connect-failures,999": "connect-failures" is not a retry condition: use a comma-separated list of ` + strings.Join(retryOnPolicies, ", ") + " or HTTP status codes",
				`spec.service.retries.retryOn: Invalid value: "5xx,connect-failures,999": "999" is not a retry condition: use a comma-separated list of ` + strings.Join(retryOnPolicies, ", ") + " or HTTP status codes",
			},
		},
		{
			name:   "zero attempts turn retries off: a retry setting beside them is refused",
			change: func(s *CanaryService) { s.Retries = &HTTPRetry{RetryOn: "5xx"} },
			want:   []string{"spec.service.retries.attempts: Invalid value: 0: must be at least 1 with perTryTimeout, retryOn or retryRemoteLocalities: 0 turns retries off"},
		},
		{
			name:   "a timeout that is not a duration is refused",
			change: func(s *CanaryService) { s.Timeout = "30" },
			want:   []string{`spec.service.timeout: Invalid value: "30": must be a duration such as 30s, 1m or 1m30s`},
		},
		{
			name: "timeouts are at least 1ms, in whole milliseconds",
			change: func(s *CanaryService) {
				s.Timeout = "500us"
				s.Retries.PerTryTimeout = "1.5ms"
			},
			want: []string{
				`spec.service.retries.perTryTimeout: Invalid value: "1.5ms": must be a whole number of milliseconds`,
				`spec.service.timeout: Invalid value: "500us": must be at least 1ms`,
			},
		},
		{
			name: "header operations on Host, pseudo-headers or with an unpaired % are refused",
			change: func(s *CanaryService) {
				s.Headers.Request.Remove = []string{"host"}
				s.Headers.Response.Add = map[string]string{":status": "200", "x-rate": "100%"}
			},
			want: []string{
				`spec.service.headers.request.remove[0]: Invalid value: "host": Istio does not change Host or a pseudo-header here (the request's Host or :authority may be set or added)`,
				`spec.service.headers.response.add[:status]: Invalid value: ":status": Istio does not change Host or a pseudo-header here (the request's Host or :authority may be set or added)`,
				`spec.service.headers.response.add[x-rate]: Invalid value: "100%": has an unpaired %: write %% for a percent sign (Envoy reads %NAME% as a variable)`,
			},
		},
		{
			name: "a CORS policy: origins, methods, header names, maxAge in whole seconds",
			change: func(s *CanaryService) {
				s.CorsPolicy = &CorsPolicy{
					AllowOrigins:  []StringMatch{{}},
					AllowOrigin:   []string{""},
					AllowMethods:  []string{"get"},
					ExposeHeaders: []string{"x header"},
					MaxAge:        "1.5s",
				}
			},
			want: []string{
				`spec.service.corsPolicy.allowOrigins[0]: Invalid value: {}: must set exactly one of exact, prefix or regex`,
				`spec.service.corsPolicy.allowOrigin[0]: Invalid value: "": must not be empty`,
				`spec.service.corsPolicy.allowMethods[0]: Unsupported value: "get": supported values: "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"`,
				`spec.service.corsPolicy.exposeHeaders[0]: Invalid value: "x header": must be an HTTP header name or *`,
				`spec.service.corsPolicy.maxAge: Invalid value: "1.5s": must be a whole number of seconds`,
			},
		},
		{
			name: "allowCredentials and retryRemoteLocalities pass as written",
			change: func(s *CanaryService) {
				s.CorsPolicy.AllowCredentials = ptr.To(false)
				s.Retries.RetryRemoteLocalities = ptr.To(true)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			canary := istioCanary()
			tt.change(&canary.Spec.Service)
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
				t.Errorf("Validate() error (-want +got):\n%s", diff)
			}
		})
	}
}
