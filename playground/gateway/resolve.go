package gateway

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// target is where a request goes: a Deployment and its process. A target
// without process answers 503; one without Deployment is not counted.
type target struct {
	namespace, workload string
	app                 *appProcess
	// filters are the route's filters for the request: the rule's, then
	// the backendRef's.
	filters []gatewayv1.HTTPRouteFilter
}

// routeError is a request the gateway answers itself.
type routeError struct {
	status  int
	message string
}

func errorf(status int, format string, args ...any) *routeError {
	return &routeError{status: status, message: fmt.Sprintf(format, args...)}
}

// resolve returns where r goes, following the package documentation.
func (g *Gateway) resolve(r *http.Request) (target, *routeError) {
	host, port := splitHost(r.Host)
	routes, err := g.routes.List(labels.Everything())
	if err != nil {
		return target{}, errorf(http.StatusInternalServerError, "list httproutes: %v", err)
	}
	if route := selectRoute(routes, host); route != nil {
		return g.resolveRoute(route, r)
	}
	name, namespace, ok := serviceHost(host)
	if !ok {
		return target{}, errorf(http.StatusNotFound, "no HTTPRoute has the hostname %q and it names no Service", host)
	}
	if route := serviceRoute(routes, name, namespace, port); route != nil {
		return g.resolveRoute(route, r)
	}
	svc, err := g.services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return target{}, errorf(http.StatusNotFound, "no HTTPRoute has the hostname %q and there is no Service %s.%s", host, name, namespace)
	}
	if err != nil {
		return target{}, errorf(http.StatusInternalServerError, "service %s.%s: %v", name, namespace, err)
	}
	if port != "" && !hasPort(svc, port) {
		return target{}, errorf(http.StatusBadGateway, "service %s.%s has no port %s", name, namespace, port)
	}
	return g.resolveService(svc)
}

// resolveRoute returns where route sends r.
func (g *Gateway) resolveRoute(route *gatewayv1.HTTPRoute, r *http.Request) (target, *routeError) {
	subject := "httproute " + route.Name + "." + route.Namespace
	rule := selectRule(route.Spec.Rules, r)
	if rule == nil {
		return target{}, errorf(http.StatusNotFound, "%s: no rule matches %s %s", subject, r.Method, r.URL.Path)
	}
	ref := pickBackend(rule.BackendRefs, rand.IntN)
	if ref == nil {
		return target{}, errorf(http.StatusInternalServerError, "%s: no backend with a weight above zero", subject)
	}
	if ptr.Deref(ref.Group, "") != "" || ptr.Deref(ref.Kind, "Service") != "Service" {
		return target{}, errorf(http.StatusInternalServerError, "%s: backend %s is not a Service", subject, ref.Name)
	}
	namespace := string(ptr.Deref(ref.Namespace, gatewayv1.Namespace(route.Namespace)))
	svc, err := g.services.Services(namespace).Get(string(ref.Name))
	if err != nil {
		return target{}, errorf(http.StatusInternalServerError, "%s: backend %s.%s: %v", subject, ref.Name, namespace, err)
	}
	to, routeErr := g.resolveService(svc)
	to.filters = append(slices.Clone(rule.Filters), ref.Filters...)
	return to, routeErr
}

// resolveService returns the Deployment the Service selects and its
// process. Among several Deployments it picks one with a process at random.
func (g *Gateway) resolveService(svc *corev1.Service) (target, *routeError) {
	subject := "service " + svc.Name + "." + svc.Namespace
	if len(svc.Spec.Selector) == 0 {
		return target{}, errorf(http.StatusServiceUnavailable, "%s has no selector", subject)
	}
	deployments, err := g.deployments.Deployments(svc.Namespace).List(labels.Everything())
	if err != nil {
		return target{}, errorf(http.StatusInternalServerError, "%s: list deployments: %v", subject, err)
	}
	selector := labels.SelectorFromSet(svc.Spec.Selector)
	var selected []string
	for _, d := range deployments {
		if selector.Matches(labels.Set(d.Spec.Template.Labels)) {
			selected = append(selected, d.Name)
		}
	}
	if len(selected) == 0 {
		return target{}, errorf(http.StatusServiceUnavailable, "%s selects no Deployment", subject)
	}
	slices.Sort(selected)
	var running []target
	for _, name := range selected {
		if app := g.supervisor.app(svc.Namespace, name); app != nil {
			running = append(running, target{namespace: svc.Namespace, workload: name, app: app})
		}
	}
	if len(running) == 0 {
		// Counted against the first Deployment, as a mesh counts the 503s
		// of a workload without ready pods.
		return target{namespace: svc.Namespace, workload: selected[0]},
			errorf(http.StatusServiceUnavailable, "%s: no process runs for deployment %s.%s (scaled to zero?)", subject, selected[0], svc.Namespace)
	}
	return running[rand.IntN(len(running))], nil
}

// splitHost returns the lower-case host of a Host header and its port, if
// any.
func splitHost(hostport string) (host, port string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	return strings.ToLower(strings.TrimSuffix(host, ".")), port
}

// serviceHost splits <service>.<namespace>, optionally followed by .svc or
// .svc.cluster.local.
func serviceHost(host string) (name, namespace string, ok bool) {
	host = strings.TrimSuffix(strings.TrimSuffix(host, ".cluster.local"), ".svc")
	name, namespace, ok = strings.Cut(host, ".")
	if !ok || name == "" || namespace == "" || strings.Contains(namespace, ".") {
		return "", "", false
	}
	return name, namespace, true
}

// hasPort reports whether svc has the port named by a Host header.
func hasPort(svc *corev1.Service, port string) bool {
	number, err := strconv.Atoi(port)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return int(p.Port) == number })
}

// hostnameRank tells how well a route's hostname matches a host: 0 for no
// match; a wildcard ranks by the length of its suffix, and an exact match
// above any wildcard.
func hostnameRank(hostname gatewayv1.Hostname, host string) int {
	pattern := strings.ToLower(string(hostname))
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		// *.example.com matches one or more labels before .example.com.
		if strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
			return len(suffix)
		}
		return 0
	}
	if pattern == host {
		return 1 << 16
	}
	return 0
}

// selectRoute returns the gateway route for host: the best hostname match
// (a route without hostnames matches any host, below any hostname), the
// oldest route, then the first by namespace and name, among equals. It
// returns nil when no route matches. A mesh route (see meshRoute) is no
// gateway's.
func selectRoute(routes []*gatewayv1.HTTPRoute, host string) *gatewayv1.HTTPRoute {
	var best *gatewayv1.HTTPRoute
	bestRank := 0
	for _, route := range routes {
		if meshRoute(route) {
			continue
		}
		rank := 1 // a route without hostnames
		if len(route.Spec.Hostnames) > 0 {
			rank = 0
			for _, hostname := range route.Spec.Hostnames {
				// Above the rank of a route without hostnames.
				if r := hostnameRank(hostname, host); r > 0 {
					rank = max(rank, r+1)
				}
			}
		}
		if rank == 0 {
			continue
		}
		if best == nil || rank > bestRank || rank == bestRank && olderRoute(route, best) {
			best, bestRank = route, rank
		}
	}
	return best
}

// meshRoute reports whether route is attached to Services only, Gateway
// API's mesh pattern (GAMMA, as Linkerd routes): it routes the requests
// sent to those Services, not those a gateway receives.
func meshRoute(route *gatewayv1.HTTPRoute) bool {
	if len(route.Spec.ParentRefs) == 0 {
		return false
	}
	for _, ref := range route.Spec.ParentRefs {
		group := ptr.Deref(ref.Group, gatewayv1.GroupName)
		if ptr.Deref(ref.Kind, "Gateway") != "Service" || group != "" && group != "core" {
			return false
		}
	}
	return true
}

// serviceRoute returns the mesh route attached to the Service name of
// namespace, on port when both the request and the parentRef name one:
// the oldest, then the first by namespace and name, among several. It
// returns nil when there is none.
func serviceRoute(routes []*gatewayv1.HTTPRoute, name, namespace, port string) *gatewayv1.HTTPRoute {
	var best *gatewayv1.HTTPRoute
	for _, route := range routes {
		if !meshRoute(route) {
			continue
		}
		attached := slices.ContainsFunc(route.Spec.ParentRefs, func(ref gatewayv1.ParentReference) bool {
			refNamespace := string(ptr.Deref(ref.Namespace, gatewayv1.Namespace(route.Namespace)))
			portMatches := port == "" || ref.Port == nil || strconv.Itoa(int(*ref.Port)) == port
			return string(ref.Name) == name && refNamespace == namespace && portMatches
		})
		if attached && (best == nil || olderRoute(route, best)) {
			best = route
		}
	}
	return best
}

// olderRoute reports whether a takes precedence over b among equals.
func olderRoute(a, b *gatewayv1.HTTPRoute) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name)) < 0
}

// specificity orders matching rule matches by Gateway API's precedence.
type specificity struct {
	exactPath   bool
	prefixLen   int
	method      bool
	headers     int
	queryParams int
}

// compare returns +1 when s takes precedence over o, -1 when o does, 0 on a
// tie.
func (s specificity) compare(o specificity) int {
	boolInt := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	return cmp.Or(
		cmp.Compare(boolInt(s.exactPath), boolInt(o.exactPath)),
		cmp.Compare(s.prefixLen, o.prefixLen),
		cmp.Compare(boolInt(s.method), boolInt(o.method)),
		cmp.Compare(s.headers, o.headers),
		cmp.Compare(s.queryParams, o.queryParams),
	)
}

// selectRule returns the rule whose matching match is the most specific,
// the first such rule on a tie, or nil when none matches. A rule without
// matches matches every request.
func selectRule(rules []gatewayv1.HTTPRouteRule, r *http.Request) *gatewayv1.HTTPRouteRule {
	var best *gatewayv1.HTTPRouteRule
	var bestSpecificity specificity
	for i := range rules {
		matches := rules[i].Matches
		if len(matches) == 0 {
			matches = []gatewayv1.HTTPRouteMatch{{}}
		}
		for _, m := range matches {
			s, ok := matchRequest(m, r)
			if ok && (best == nil || s.compare(bestSpecificity) > 0) {
				best, bestSpecificity = &rules[i], s
			}
		}
	}
	return best
}

// matchRequest reports whether r matches m and how specifically.
func matchRequest(m gatewayv1.HTTPRouteMatch, r *http.Request) (specificity, bool) {
	var s specificity
	ok := true
	path := gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/")}
	if m.Path != nil {
		path = *m.Path
	}
	value := ptr.Deref(path.Value, "/")
	switch ptr.Deref(path.Type, gatewayv1.PathMatchPathPrefix) {
	case gatewayv1.PathMatchExact:
		ok, s.exactPath = r.URL.Path == value, true
	case gatewayv1.PathMatchPathPrefix:
		ok, s.prefixLen = hasPathPrefix(r.URL.Path, value), len(value)
	case gatewayv1.PathMatchRegularExpression:
		ok = fullMatch(value, r.URL.Path)
	default:
		ok = false
	}
	if m.Method != nil {
		ok, s.method = ok && r.Method == string(*m.Method), true
	}
	for _, h := range m.Headers {
		values := r.Header.Values(string(h.Name))
		if strings.EqualFold(string(h.Name), "host") {
			values = []string{r.Host}
		}
		ok = ok && slices.ContainsFunc(values, func(v string) bool {
			return valueMatches(ptr.Deref(h.Type, gatewayv1.HeaderMatchExact) == gatewayv1.HeaderMatchRegularExpression, h.Value, v)
		})
	}
	s.headers = len(m.Headers)
	query := r.URL.Query()
	for _, q := range m.QueryParams {
		name := string(q.Name)
		ok = ok && query.Has(name) &&
			valueMatches(ptr.Deref(q.Type, gatewayv1.QueryParamMatchExact) == gatewayv1.QueryParamMatchRegularExpression, q.Value, query.Get(name))
	}
	s.queryParams = len(m.QueryParams)
	return s, ok
}

// hasPathPrefix reports whether path starts with the path elements of
// prefix: /foo matches /foo and /foo/bar but not /foobar.
func hasPathPrefix(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return prefix == "" || path == prefix || strings.HasPrefix(path, prefix+"/")
}

// valueMatches reports whether value matches pattern, as a regular
// expression matching the whole value or exactly.
func valueMatches(regular bool, pattern, value string) bool {
	if regular {
		return fullMatch(pattern, value)
	}
	return pattern == value
}

// regexps caches the compiled regular expressions of routes.
var regexps sync.Map

// fullMatch reports whether the regular expression pattern matches all of
// value; an invalid pattern matches nothing.
func fullMatch(pattern, value string) bool {
	cached, ok := regexps.Load(pattern)
	if !ok {
		re, err := regexp.Compile(`^(?:` + pattern + `)$`)
		if err != nil {
			re = nil
		}
		cached, _ = regexps.LoadOrStore(pattern, re)
	}
	re := cached.(*regexp.Regexp)
	return re != nil && re.MatchString(value)
}

// pickBackend picks a backendRef at random by weight (1 when unset), with
// intn drawing a number in [0, n). It returns nil when every weight is zero.
func pickBackend(refs []gatewayv1.HTTPBackendRef, intn func(n int) int) *gatewayv1.HTTPBackendRef {
	total := 0
	for _, ref := range refs {
		total += int(max(ptr.Deref(ref.Weight, 1), 0))
	}
	if total == 0 {
		return nil
	}
	n := intn(total)
	for i := range refs {
		n -= int(max(ptr.Deref(refs[i].Weight, 1), 0))
		if n < 0 {
			return &refs[i]
		}
	}
	return nil
}
