package analysis

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// templateProxy is a Prometheus-compatible API in front of the playground's
// Prometheus that lets a request through only with the credentials and
// header it wants, and records the queries it forwarded.
type templateProxy struct {
	*httptest.Server
	mu      sync.Mutex
	queries []string
}

func (p *templateProxy) forwarded() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.queries...)
}

// newTemplateProxy starts a proxy that wants authorization (the whole
// Authorization header, "" for none) and, when header is set, that header
// with value; tls serves it over HTTPS with httptest's certificate.
func newTemplateProxy(t *testing.T, authorization, header, value string, tls bool) *templateProxy {
	t.Helper()
	target, err := url.Parse(playgroundtest.Playground().Prometheus.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	p := &templateProxy{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != authorization {
			http.Error(w, `{"status":"error","errorType":"unauthorized","error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		if header != "" && r.Header.Get(header) != value {
			http.Error(w, `{"status":"error","errorType":"bad_data","error":"no tenant"}`, http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		query := r.URL.Query().Get("query")
		if form, err := url.ParseQuery(string(body)); err == nil && form.Has("query") {
			query = form.Get("query")
		}
		p.mu.Lock()
		p.queries = append(p.queries, query)
		p.mu.Unlock()
		forward.ServeHTTP(w, r)
	})
	if tls {
		p.Server = httptest.NewTLSServer(handler)
	} else {
		p.Server = httptest.NewServer(handler)
	}
	t.Cleanup(p.Close)
	return p
}

// lookupOf resolves exactly one MetricTemplate, namespace/name.
func lookupOf(namespace, name string, tmpl Template) TemplateLookup {
	return func(_ context.Context, ns, n string) (*Template, error) {
		if ns != namespace || n != name {
			return nil, errors.New("not found")
		}
		return &tmpl, nil
	}
}

// templated is a metric of the MetricTemplate flagger/checkout-errors
// whose value must be at most 10.
var templated = v1alpha1.CanaryMetric{
	Name:              "checkout-errors",
	TemplateRef:       &v1alpha1.MetricTemplateRef{Name: "checkout-errors"},
	Interval:          "2m",
	ThresholdRange:    &v1alpha1.ThresholdRange{Max: new(10.0)},
	TemplateVariables: map[string]string{"tier": "gold"},
}

// templateQuery is a query the real Prometheus answers (7) that uses every
// variable a MetricTemplate may.
const templateQuery = `sum(label_replace(vector(7), "labels", "{{ name }} {{ namespace }} {{ target }} {{ service }} {{ ingress }} {{ route }} {{ interval }} {{ variables.tier }}", "", ""))`

const templateRendered = `sum(label_replace(vector(7), "labels", "detail flagger detail detail detail detail 2m gold", "", ""))`

func TestCheckRunsTheMetricTemplateInItsOwnPrometheus(t *testing.T) {
	const password = "hunter2-basic"
	const token = "t0ken-bearer"
	tests := []struct {
		name    string
		proxy   func(t *testing.T) *templateProxy
		source  func(address string) Source
		verdict Verdict
		// message is what the result's message holds.
		message string
	}{
		{
			name: "basic authentication from the template's Secret",
			proxy: func(t *testing.T) *templateProxy {
				return newTemplateProxy(t, basic("sluice", password), "", "", false)
			},
			source:  func(a string) Source { return Source{Address: a, Username: "sluice", Password: password} },
			verdict: VerdictPass, message: "checkout-errors 7",
		},
		{
			name:    "a bearer token wins over a username and password",
			proxy:   func(t *testing.T) *templateProxy { return newTemplateProxy(t, "Bearer "+token, "", "", false) },
			source:  func(a string) Source { return Source{Address: a, Token: token, Username: "sluice", Password: password} },
			verdict: VerdictPass, message: "checkout-errors 7",
		},
		{
			name:  "the template's headers are sent (a Mimir tenant)",
			proxy: func(t *testing.T) *templateProxy { return newTemplateProxy(t, "", "X-Scope-OrgID", "team-a", false) },
			source: func(a string) Source {
				return Source{Address: a, Header: http.Header{"x-scope-orgid": {"team-a"}}}
			},
			verdict: VerdictPass, message: "checkout-errors 7",
		},
		{
			name:    "insecureSkipVerify accepts a self-signed certificate",
			proxy:   func(t *testing.T) *templateProxy { return newTemplateProxy(t, "", "", "", true) },
			source:  func(a string) Source { return Source{Address: a, InsecureSkipVerify: true} },
			verdict: VerdictPass, message: "checkout-errors 7",
		},
		{
			name:    "without insecureSkipVerify a self-signed certificate is refused",
			proxy:   func(t *testing.T) *templateProxy { return newTemplateProxy(t, "", "", "", true) },
			source:  func(a string) Source { return Source{Address: a} },
			verdict: VerdictError, message: "certificate",
		},
		{
			name:    "wrong credentials are an error that shows none of them",
			proxy:   func(t *testing.T) *templateProxy { return newTemplateProxy(t, basic("sluice", "other"), "", "", false) },
			source:  func(a string) Source { return Source{Address: a, Username: "sluice", Password: password} },
			verdict: VerdictError, message: "metric checkout-errors: prometheus query failed",
		},
	}
	checker := playgroundChecker(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := tt.proxy(t)
			lookup := lookupOf("flagger", "checkout-errors", Template{Name: "flagger/checkout-errors", Query: templateQuery, Source: tt.source(proxy.URL)})
			got := checker.Check(t.Context(), canaryIn("flagger", "", templated), templated, lookup)
			if got.Verdict != tt.verdict || !strings.Contains(got.Message, tt.message) {
				t.Fatalf("Check = %+v, want verdict %s with a message holding %q", got, tt.verdict, tt.message)
			}
			for _, secret := range []string{password, token} {
				if strings.Contains(got.Message, secret) || got.Err != nil && strings.Contains(got.Err.Error(), secret) {
					t.Errorf("the result shows a credential: %+v", got)
				}
			}
			if tt.verdict == VerdictPass {
				if got.Query != templateRendered || got.Value != 7 {
					t.Errorf("query %q value %v, want %q and 7", got.Query, got.Value, templateRendered)
				}
				if queries := proxy.forwarded(); len(queries) != 1 || queries[0] != templateRendered {
					t.Errorf("the template's Prometheus was asked %q, want the rendered query once", queries)
				}
			}
		})
	}
}

func TestATemplateWithoutAnAddressRunsInTheDefaultPrometheus(t *testing.T) {
	lookup := lookupOf("flagger", "checkout-errors", Template{Name: "flagger/checkout-errors", Query: templateQuery})
	got := playgroundChecker(t, "").Check(t.Context(), canaryIn("flagger", "", templated), templated, lookup)
	if got.Verdict != VerdictPass || got.Value != 7 {
		t.Fatalf("Check = %+v, want a pass at 7", got)
	}
}

func TestATemplateInAnotherNamespaceIsLookedUpThere(t *testing.T) {
	metric := templated
	metric.TemplateRef = &v1alpha1.MetricTemplateRef{Name: "checkout-errors", Namespace: "monitoring"}
	lookup := lookupOf("monitoring", "checkout-errors", Template{Name: "monitoring/checkout-errors", Query: "vector(11)"})
	got := playgroundChecker(t, "").Check(t.Context(), canaryIn("flagger", "", metric), metric, lookup)
	if got.Verdict != VerdictFail || got.Message != "checkout-errors 11 > 10" {
		t.Fatalf("Check = %+v, want a failure at 11 > 10", got)
	}
}

func TestATemplateThatCannotBeResolvedIsAnErrorNamingIt(t *testing.T) {
	tests := []struct {
		name    string
		lookup  TemplateLookup
		message string
	}{
		{
			name: "the lookup fails",
			lookup: func(context.Context, string, string) (*Template, error) {
				return nil, errors.New(`secret "prom-auth" has neither token nor username and password`)
			},
			message: `metric checkout-errors: MetricTemplate flagger/checkout-errors: secret "prom-auth" has neither token nor username and password`,
		},
		{
			name:    "no lookup",
			message: "metric checkout-errors: MetricTemplate flagger/checkout-errors: MetricTemplates cannot be read here",
		},
	}
	checker := playgroundChecker(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checker.Check(t.Context(), canaryIn("flagger", "", templated), templated, tt.lookup)
			var templateErr *TemplateError
			if got.Verdict != VerdictError || got.Message != tt.message || !errors.As(got.Err, &templateErr) {
				t.Fatalf("Check = %+v, want an error %q", got, tt.message)
			}
		})
	}
}

func TestASourceNeverPrintsItsCredentials(t *testing.T) {
	s := Source{Address: "https://mimir.example", Token: "tok-secret", Username: "u", Password: "pw-secret"}
	for _, printed := range []string{s.String(), s.GoString()} {
		if strings.Contains(printed, "secret") || !strings.Contains(printed, "https://mimir.example") {
			t.Errorf("printed %q", printed)
		}
	}
}

func basic(user, password string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

// spec.metricsServer (Flagger's) runs the Canary's own queries in another
// Prometheus; a MetricTemplate's address still wins for its metric.
func TestACanarysMetricsServerRunsItsQueries(t *testing.T) {
	server := newTemplateProxy(t, "", "", "", false)
	elsewhere := newTemplateProxy(t, "", "", "", false)
	own := v1alpha1.CanaryMetric{Name: "errors", Query: "vector(3)", ThresholdRange: &v1alpha1.ThresholdRange{Max: new(5.0)}}
	canary := canaryIn("flagger", "", own, templated)
	canary.Spec.MetricsServer = server.URL
	checker := playgroundChecker(t, "")
	lookup := lookupOf("flagger", "checkout-errors", Template{Name: "flagger/checkout-errors", Query: "vector(1)", Source: Source{Address: elsewhere.URL}})
	results, verdict := checker.CheckAll(t.Context(), canary, lookup)
	if verdict != VerdictPass || results[0].Value != 3 || results[1].Value != 1 {
		t.Fatalf("CheckAll = %+v, %s; want both passing at 3 and 1", results, verdict)
	}
	if got := server.forwarded(); len(got) != 1 || got[0] != "vector(3)" {
		t.Errorf("the metrics server was asked %q, want the Canary's own query once", got)
	}
	if got := elsewhere.forwarded(); len(got) != 1 || got[0] != "vector(1)" {
		t.Errorf("the template's Prometheus was asked %q, want the template's query once", got)
	}
}
