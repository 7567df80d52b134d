package gateway

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"time"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// addressKey is the context key of the address of the process a request
// is proxied to.
type addressKey struct{}

// newProxy returns the reverse proxy to app processes: it sends each
// request to the address in its context, keeping its Host header, and
// answers 502 when the process does not answer.
func newProxy(log *slog.Logger) http.Handler {
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = pr.In.Context().Value(addressKey{}).(string)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Debug("App did not answer", "host", r.Host, "path", r.URL.Path, "error", err.Error())
			http.Error(w, "the app did not answer: "+err.Error(), http.StatusBadGateway)
		},
	}
}

// ServeHTTP routes r (see the package documentation) and counts it in the
// metrics of the Deployment it reached.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	to, routeErr := g.resolve(r)
	if routeErr != nil {
		http.Error(w, routeErr.message, routeErr.status)
		if to.workload != "" {
			g.metrics.record(to.namespace, to.workload, routeErr.status, time.Since(start))
		}
		return
	}
	var responseModifiers []*gatewayv1.HTTPHeaderFilter
	var mirrors []gatewayv1.HTTPRouteFilter
	for _, f := range to.filters {
		switch {
		case f.Type == gatewayv1.HTTPRouteFilterRequestHeaderModifier && f.RequestHeaderModifier != nil:
			modifyHeader(r.Header, f.RequestHeaderModifier)
		case f.Type == gatewayv1.HTTPRouteFilterResponseHeaderModifier && f.ResponseHeaderModifier != nil:
			responseModifiers = append(responseModifiers, f.ResponseHeaderModifier)
		case f.Type == gatewayv1.HTTPRouteFilterRequestMirror && f.RequestMirror != nil:
			mirrors = append(mirrors, f)
		}
	}
	if len(mirrors) > 0 {
		g.mirror(r, to.namespace, mirrors)
	}
	recorder := &statusRecorder{ResponseWriter: w, modifiers: responseModifiers}
	g.proxy.ServeHTTP(recorder, r.WithContext(context.WithValue(r.Context(), addressKey{}, to.app.address)))
	g.metrics.record(to.namespace, to.workload, recorder.status(), time.Since(start))
}

// modifyHeader applies a header modifier filter to h: set, then add,
// then remove, as Gateway API orders them.
func modifyHeader(h http.Header, f *gatewayv1.HTTPHeaderFilter) {
	for _, header := range f.Set {
		h.Set(string(header.Name), header.Value)
	}
	for _, header := range f.Add {
		h.Add(string(header.Name), header.Value)
	}
	for _, name := range f.Remove {
		h.Del(name)
	}
}

// statusRecorder remembers the status of an answer and applies the
// response header modifiers before its header is written.
type statusRecorder struct {
	http.ResponseWriter
	code      int
	modifiers []*gatewayv1.HTTPHeaderFilter
	modified  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 && code >= 200 {
		s.code = code
		s.modify()
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
		s.modify()
	}
	return s.ResponseWriter.Write(b)
}

// modify applies the response header modifiers, once.
func (s *statusRecorder) modify() {
	if s.modified {
		return
	}
	s.modified = true
	for _, f := range s.modifiers {
		modifyHeader(s.Header(), f)
	}
}

// Unwrap lets http.ResponseController reach the writer's Flush.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// status returns the status of the answer, 200 when none was written.
func (s *statusRecorder) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}
