package analysis

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Template is a MetricTemplate resolved for a check: its query and the
// Prometheus HTTP API it runs in, credentials read.
type Template struct {
	// Name is the MetricTemplate's "namespace/name", for messages.
	Name string
	// Query is the template's PromQL, with the variables of RenderQuery.
	Query string
	// Source is where the query runs.
	Source Source
}

// Source is a Prometheus HTTP API (Prometheus, Thanos, Mimir, Cortex,
// VictoriaMetrics) and how to reach it. The zero Source is the Checker's
// own (CheckerOptions.Address, its RoundTripper). Its String never shows
// a credential.
type Source struct {
	// Address is the base URL of the API; empty means the Checker's.
	Address string
	// Header is sent with every query (e.g. X-Scope-OrgID).
	Header http.Header
	// Token is a bearer token; it wins over Username and Password.
	Token string
	// Username and Password are basic authentication.
	Username, Password string
	// InsecureSkipVerify accepts any TLS certificate.
	InsecureSkipVerify bool
}

// String names the source for messages: its address and whether it
// authenticates, never how.
func (s Source) String() string {
	address := s.Address
	if address == "" {
		address = "the default Prometheus"
	}
	if s.Token != "" || s.Username != "" {
		return address + " (with credentials)"
	}
	return address
}

// GoString is String: a %#v never prints a credential either.
func (s Source) GoString() string { return s.String() }

// TemplateLookup returns the MetricTemplate namespace/name resolved. Its
// error is the check's (a VerdictError): a template or Secret that cannot
// be read, or credentials that are incomplete; it must not hold a secret
// value.
type TemplateLookup func(ctx context.Context, namespace, name string) (*Template, error)

// TemplateError is a metric whose MetricTemplate could not be resolved.
type TemplateError struct {
	// Metric is the name of the metric.
	Metric string
	// Template is the MetricTemplate's "namespace/name".
	Template string
	// Err is the cause.
	Err error
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("metric %s: MetricTemplate %s: %v", e.Metric, e.Template, e.Err)
}

func (e *TemplateError) Unwrap() error { return e.Err }

// resolveTemplate returns the template of a metric with a templateRef
// (nil without one), its namespace defaulting to the Canary's.
func resolveTemplate(ctx context.Context, canary *v1alpha1.Canary, metric v1alpha1.CanaryMetric, lookup TemplateLookup) (*Template, error) {
	ref := metric.TemplateRef
	if ref == nil {
		return nil, nil
	}
	namespace := ref.Namespace
	if namespace == "" {
		namespace = canary.Namespace
	}
	name := namespace + "/" + ref.Name
	if lookup == nil {
		return nil, &TemplateError{Metric: metric.Name, Template: name, Err: fmt.Errorf("MetricTemplates cannot be read here")}
	}
	tmpl, err := lookup(ctx, namespace, ref.Name)
	if err != nil {
		return nil, &TemplateError{Metric: metric.Name, Template: name, Err: err}
	}
	return tmpl, nil
}

// maxSourceClients bounds the clients a Checker keeps for template
// sources; past it they are all dropped and made again as needed.
const maxSourceClients = 128

// sourceClients keeps one Prometheus client per distinct Source, so that
// connections are reused between steps.
type sourceClients struct {
	mu      sync.Mutex
	clients map[string]promv1.API
	policy  addressPolicy
}

// client returns the API of source, made once per distinct source.
func (s *sourceClients) client(source Source) (promv1.API, error) {
	key := source.key()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[key]; ok {
		return c, nil
	}
	transport := policyTransport(s.policy)
	if source.InsecureSkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the MetricTemplate asks for it
	}
	client, err := api.NewClient(api.Config{Address: source.Address, RoundTripper: &sourceAuth{source: source, next: transport}})
	if err != nil {
		return nil, fmt.Errorf("address %s: %w", source.Address, err)
	}
	if len(s.clients) >= maxSourceClients || s.clients == nil {
		s.clients = make(map[string]promv1.API)
	}
	prom := promv1.NewAPI(client)
	s.clients[key] = prom
	return prom, nil
}

// key identifies a source by everything in it, credentials hashed.
func (s Source) key() string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %q %q %v\n", s.Address, s.Token, s.Username, s.Password, s.InsecureSkipVerify)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range s.Header {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(h, "%q %q\n", name, s.Header[name])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sourceAuth adds a source's headers and credentials to every request.
type sourceAuth struct {
	source Source
	next   http.RoundTripper
}

func (a *sourceAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for name, values := range a.source.Header {
		req.Header[http.CanonicalHeaderKey(name)] = slices.Clone(values)
	}
	switch {
	case a.source.Token != "":
		req.Header.Set("Authorization", "Bearer "+a.source.Token)
	case a.source.Username != "" || a.source.Password != "":
		req.SetBasicAuth(a.source.Username, a.source.Password)
	}
	return a.next.RoundTrip(req)
}

// isDefault reports whether the source is the Checker's own Prometheus as
// it is: no address, header or credential of its own.
func (s Source) isDefault() bool {
	return s.Address == "" && len(s.Header) == 0 && s.Token == "" && s.Username == "" && s.Password == "" && !s.InsecureSkipVerify
}

// withDefault is the source with the Checker's address when it has none.
func (s Source) withDefault(address string) Source {
	if s.Address == "" {
		s.Address = address
	}
	return s
}
