package gateway

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// maxMirroredBody is the largest request body copied to a mirror; a
// request with a larger one is not mirrored.
const maxMirroredBody = 1 << 20

// mirrorTimeout bounds a copy: its answer is read and dropped, or given
// up on after this long.
const mirrorTimeout = 10 * time.Second

// mirrorTransport sends the copies, apart from the proxy's connections.
var mirrorTransport = &http.Transport{
	Proxy:               nil,
	DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConnsPerHost: 64,
	IdleConnTimeout:     30 * time.Second,
}

// mirror copies r to the backend of each RequestMirror filter, fire and
// forget, as a Gateway API implementation does: the copy goes out beside
// the request, its answer is dropped, and it is counted in the metrics of
// the Deployment it reached like any request. A filter's percent (or
// fraction) is the chance that a request is copied; neither means every
// request. A backendRef without namespace is the namespace of the Service
// the request was routed to (the route's, in the routes sluice writes).
// What cannot be copied (a body over maxMirroredBody, a backend that does
// not resolve) is skipped. r's body is left readable for the proxy.
func (g *Gateway) mirror(r *http.Request, namespace string, filters []gatewayv1.HTTPRouteFilter) {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		read, err := io.ReadAll(io.LimitReader(r.Body, maxMirroredBody+1))
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(read), r.Body), r.Body}
		if err != nil || len(read) > maxMirroredBody {
			return
		}
		body = read
	}
	for _, f := range filters {
		if !sampled(f.RequestMirror, rand.IntN) {
			continue
		}
		g.copyTo(r, body, f.RequestMirror.BackendRef, namespace)
	}
}

// sampled reports whether a request is copied by mirror: with probability
// percent/100, or numerator/denominator (denominator 100 when unset).
func sampled(mirror *gatewayv1.HTTPRequestMirrorFilter, intn func(int) int) bool {
	switch {
	case mirror.Percent != nil:
		return intn(100) < int(*mirror.Percent)
	case mirror.Fraction != nil:
		denominator := int(ptr.Deref(mirror.Fraction.Denominator, 100))
		return denominator > 0 && intn(denominator) < int(mirror.Fraction.Numerator)
	}
	return true
}

// copyTo sends a copy of r with body to the Service of ref, in the
// background.
func (g *Gateway) copyTo(r *http.Request, body []byte, ref gatewayv1.BackendObjectReference, namespace string) {
	if ptr.Deref(ref.Group, "") != "" || ptr.Deref(ref.Kind, "Service") != "Service" {
		return
	}
	namespace = string(ptr.Deref(ref.Namespace, gatewayv1.Namespace(namespace)))
	svc, err := g.services.Services(namespace).Get(string(ref.Name))
	if err != nil {
		g.log.Debug("Mirror backend not found", "service", ref.Name, "namespace", namespace, "error", err.Error())
		return
	}
	to, routeErr := g.resolveService(svc)
	if routeErr != nil {
		if to.workload != "" {
			g.metrics.record(to.namespace, to.workload, routeErr.status, 0)
		}
		return
	}
	out := r.Clone(context.Background())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = "http", to.app.address
	out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	if body == nil {
		out.Body = http.NoBody
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), mirrorTimeout)
		defer cancel()
		start := time.Now()
		code := http.StatusBadGateway
		resp, err := mirrorTransport.RoundTrip(out.WithContext(ctx))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			code = resp.StatusCode
		}
		g.metrics.record(to.namespace, to.workload, code, time.Since(start))
	}()
}
