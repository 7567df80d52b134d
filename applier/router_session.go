package applier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// SessionAffinityAnnotation is the annotation of the routing object
// (HTTPRoute, VirtualService) that holds the session affinity cookie it
// routes by, as "<cookieName>=<value>": the state that keeps a user on the
// canary from one step to the next lives with the route it shapes.
const SessionAffinityAnnotation = "sluice.dev/session-affinity-cookie"

// sessionProviders are the providers whose routing keeps a user on the
// canary with a cookie.
var sessionProviders = map[string]bool{v1alpha1.ProviderGatewayAPI: true, v1alpha1.ProviderIstio: true}

// withSession sets the session affinity cookie of s, as Flagger routes
// with spec.analysis.sessionAffinity: none unless the Canary asks for it,
// its provider can route by cookie, and s sends some traffic to the
// canary; otherwise the cookie the live route holds, so that a user keeps
// it from step to step, or a new one (a value of 16 random hex digits)
// when the route holds none or one of another cookie name. Once the
// canary's weight is back at 0 the cookie routes nowhere, and the next
// rollout gets a new one.
func (r *router) withSession(ctx context.Context, canary *v1alpha1.Canary, s split) (split, error) {
	affinity := canary.Spec.Analysis.SessionAffinity
	if affinity == nil || s.canary == 0 || !sessionProviders[r.provider] {
		s.session = ""
		return s, nil
	}
	prefix := affinity.CookieName + "="
	if strings.HasPrefix(s.session, prefix) {
		return s, nil
	}
	live, err := r.routing.split(ctx, r.applier.client, canary)
	switch {
	case err == nil && strings.HasPrefix(live.session, prefix):
		s.session = live.session
		return s, nil
	case err != nil && !apierrors.IsNotFound(err):
		return s, err
	}
	value := make([]byte, 8)
	if _, err := rand.Read(value); err != nil {
		return s, fmt.Errorf("session affinity cookie: %w", err)
	}
	s.session = prefix + hex.EncodeToString(value)
	return s, nil
}

// primarySession is the cookie that keeps the users the primary answered
// on it while session routes: spec.analysis.sessionAffinity's
// primaryCookieName with session's value; empty without a
// primaryCookieName or a session.
func primarySession(canary *v1alpha1.Canary, session string) string {
	affinity := canary.Spec.Analysis.SessionAffinity
	_, value, ok := strings.Cut(session, "=")
	if affinity == nil || affinity.PrimaryCookieName == "" || !ok {
		return ""
	}
	return affinity.PrimaryCookieName + "=" + value
}

// sessionOf returns the session affinity cookie that obj, a live routing
// object, routes by; empty when none.
func sessionOf(obj *unstructured.Unstructured) string {
	return obj.GetAnnotations()[SessionAffinityAnnotation]
}

// setCookie is the Set-Cookie header value that gives a user the session
// affinity cookie session: for spec.analysis.sessionAffinity.maxAge
// seconds, on every path of the host.
func setCookie(canary *v1alpha1.Canary, session string) string {
	return fmt.Sprintf("%s; Max-Age=%d; Path=/", session, canary.Spec.Analysis.SessionAffinity.MaxAgeSeconds())
}

// cookieRegex is the regular expression on the Cookie header of the
// requests that carry the session affinity cookie session, as Flagger
// writes it.
func cookieRegex(session string) string {
	return ".*" + regexp.QuoteMeta(session) + ".*"
}

// withSessionAnnotation returns annotations with the session affinity cookie
// session, when there is one.
func withSessionAnnotation(annotations map[string]string, session string) map[string]string {
	if session == "" {
		return annotations
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[SessionAffinityAnnotation] = session
	return annotations
}
