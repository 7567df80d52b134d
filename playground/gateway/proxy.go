package gateway

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"time"
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
	recorder := &statusRecorder{ResponseWriter: w}
	g.proxy.ServeHTTP(recorder, r.WithContext(context.WithValue(r.Context(), addressKey{}, to.app.address)))
	g.metrics.record(to.namespace, to.workload, recorder.status(), time.Since(start))
}

// statusRecorder remembers the status of an answer.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 && code >= 200 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
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
