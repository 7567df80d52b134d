package loadgen

import (
	"context"
	"net"
	"net/http"
	"time"
)

// TransportTo returns a transport that opens every connection to addr (a
// host:port such as the playground gateway's 127.0.0.1:38411), whatever
// host the request's URL names, like a resolver that maps every name to
// addr. The request keeps its URL's host in its Host header, so a gateway
// that routes by Host sees http://detail-canary.flagger:3000/catalogDetail
// as a request for the Service detail-canary in the namespace flagger.
// Proxy settings of the environment are ignored. Meant for plain http: an
// https URL would start TLS with addr under the URL's name.
func TransportTo(addr string) *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}
	// Load runs keep many connections open to the one address.
	transport.MaxIdleConnsPerHost = 100
	return transport
}
