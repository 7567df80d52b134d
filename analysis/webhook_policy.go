package analysis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// deniedNetworks are refused as webhook addresses unless WebhooksOptions.
// Allow lists a network that holds them: link-local addresses, where cloud
// providers serve instance metadata and credentials (169.254.169.254,
// fd00:ec2::254). A webhook URL comes from Git, which anyone who can merge
// controls.
var deniedNetworks = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
}

// addressPolicy decides which addresses webhooks may reach.
type addressPolicy struct {
	hosts    []string
	networks []netip.Prefix
}

// newAddressPolicy parses WebhooksOptions.Allow: host names and CIDRs (an
// IP alone is a /32 or /128).
func newAddressPolicy(allow []string) (addressPolicy, error) {
	var p addressPolicy
	for _, entry := range allow {
		entry = strings.TrimSpace(entry)
		switch {
		case entry == "":
		case strings.Contains(entry, "/"):
			prefix, err := netip.ParsePrefix(entry)
			if err != nil {
				return p, fmt.Errorf("webhook allow-list: %q: %w", entry, err)
			}
			p.networks = append(p.networks, prefix.Masked())
		default:
			if addr, err := netip.ParseAddr(entry); err == nil {
				p.networks = append(p.networks, netip.PrefixFrom(addr, addr.BitLen()))
			} else {
				p.hosts = append(p.hosts, strings.ToLower(entry))
			}
		}
	}
	return p, nil
}

// restricted reports whether an allow-list was given: then only what it
// lists may be called.
func (p addressPolicy) restricted() bool { return len(p.hosts)+len(p.networks) > 0 }

// check refuses an address the policy does not let a webhook reach; host
// is the URL's host name, which the allow-list may name.
func (p addressPolicy) check(host string, addr netip.Addr) error {
	addr = addr.Unmap()
	inAllowed := slices.ContainsFunc(p.networks, func(n netip.Prefix) bool { return n.Contains(addr) })
	hostAllowed := slices.Contains(p.hosts, strings.ToLower(host))
	if p.restricted() && !inAllowed && !hostAllowed {
		return fmt.Errorf("address %s of %s is not in the webhook allow-list (--webhook-allow): refused", addr, host)
	}
	for _, denied := range deniedNetworks {
		if denied.Contains(addr) && !inAllowed {
			return fmt.Errorf("address %s of %s is link-local (cloud metadata lives there): refused; allow it with --webhook-allow", addr, host)
		}
	}
	return nil
}

// dialContext resolves the address itself, checks every IP against the
// policy, and dials the one it checked, so that a name cannot resolve to
// an allowed address for the check and to another for the dial.
func (p addressPolicy) dialContext(dialer *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
		var firstErr error
		for _, addr := range addrs {
			if err := p.check(host, addr); err != nil {
				firstErr = cmpErr(firstErr, err)
				continue
			}
			conn, err := dialer.DialContext(ctx, network, net.JoinHostPort(addr.Unmap().String(), port))
			if err == nil {
				return conn, nil
			}
			firstErr = cmpErr(firstErr, err)
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("no address for %s", host)
		}
		return nil, firstErr
	}
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// errRedirectElsewhere refuses a redirect that leaves the webhook's host.
var errRedirectElsewhere = errors.New("redirect to another host refused")

// sameHostRedirects follows at most 10 redirects, all to the host of the
// webhook's URL.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
		return fmt.Errorf("%w: %s", errRedirectElsewhere, req.URL.Host)
	}
	return nil
}

// policyTransport is the transport of webhooks when none is given: Go's
// defaults, no proxy (a proxy would dial what the policy checks), and the
// policy's dialer.
func policyTransport(p addressPolicy) *http.Transport {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	transport.DialContext = p.dialContext(&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second})
	return transport
}

// NewDialer returns the dial function of webhooks (see WebhooksOptions.
// Allow): link-local addresses refused unless allow lists them, and only
// what allow lists when it lists anything. Other outbound calls to
// addresses from Git, such as alerts, use it too.
func NewDialer(allow []string) (func(ctx context.Context, network, address string) (net.Conn, error), error) {
	policy, err := newAddressPolicy(allow)
	if err != nil {
		return nil, err
	}
	return policy.dialContext(&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}), nil
}
