package alerts

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// The provider types, as an AlertProvider's spec.type names them. The first
// five are Flagger's; TypeGeneric is sluice's own, for any receiver that
// reads JSON (see the package documentation for its body).
const (
	TypeSlack   = "slack"
	TypeMSTeams = "msteams"
	TypeDiscord = "discord"
	TypeRocket  = "rocket"
	TypeGChat   = "gchat"
	TypeGeneric = "generic"
)

// Provider is an AlertProvider resolved for sending: the values of its
// secretRef already read. Filling it in is the caller's job, Flagger's
// rules included: the Secret's key address overrides spec.address and its
// key proxy overrides spec.proxy; Flagger also sends "general" for an
// empty channel and "flagger" for an empty username, which this package
// does not do (empty means the webhook's own).
//
// Address and Proxy are secrets: a webhook URL carries its token. No
// error, String, GoString or JSON encoding of a Provider contains them.
type Provider struct {
	// Name and Namespace of the AlertProvider; they only name it in
	// messages.
	Name, Namespace string
	// Type is one of the Type constants; any other is refused.
	Type string
	// Address is the incoming-webhook URL, http or https, used as given
	// (for discord too: see the package documentation).
	Address string
	// Channel overrides the webhook's channel for slack and rocket. The
	// other services bind a webhook to its channel and ignore it. Empty
	// means the webhook's own channel.
	Channel string
	// Username overrides the sender's name shown for slack, rocket and
	// discord; ignored by the others. Empty means the webhook's own.
	Username string
	// Proxy is the URL of the proxy to send through: http, https, socks5
	// or socks5h; a bare host:port means http://host:port, as in Flagger's
	// examples. Empty means a direct connection: the environment
	// (HTTPS_PROXY) is not consulted.
	Proxy string
}

// builders maps every known type to the function building its payload; an
// unknown type is refused, never given a default.
var builders = map[string]func(Provider, Message) any{
	TypeSlack:   slackPayload,
	TypeMSTeams: teamsPayload,
	TypeDiscord: discordPayload,
	TypeRocket:  rocketPayload,
	TypeGChat:   gchatPayload,
	TypeGeneric: genericPayload,
}

// knownTypes lists the known types in order, for messages.
func knownTypes() string {
	return strings.Join(slices.Sorted(maps.Keys(builders)), ", ")
}

// Validate refuses a Provider that Send could not use: an unknown type
// (the error lists the known ones), an address that is missing, not an
// http(s) URL or has no host, and a proxy that is not a URL of a proxy
// scheme. No error quotes the address or the proxy.
func (p Provider) Validate() error {
	if err := p.validateType(); err != nil {
		return err
	}
	if _, err := parseAddress(p.Address); err != nil {
		return fmt.Errorf("%s: address %w", p, err)
	}
	if p.Proxy == "" {
		return nil
	}
	if _, err := parseProxy(p.Proxy); err != nil {
		return fmt.Errorf("%s: proxy %w", p, err)
	}
	return nil
}

// validateType refuses an unknown type.
func (p Provider) validateType() error {
	if _, known := builders[p.Type]; !known {
		return fmt.Errorf("%s: unknown type %q: want one of %s", p, p.Type, knownTypes())
	}
	return nil
}

// String names the provider for messages: "slack provider flagger/on-call",
// or "alert provider flagger/on-call" when the type is unknown. It never
// contains the address or the proxy.
func (p Provider) String() string {
	kind := "alert"
	if _, known := builders[p.Type]; known {
		kind = p.Type
	}
	name := p.Name
	if p.Namespace != "" {
		name = p.Namespace + "/" + p.Name
	}
	if name == "" {
		return kind + " provider"
	}
	return kind + " provider " + name
}

// GoString is String, so that %#v does not print the secrets.
func (p Provider) GoString() string { return p.String() }

// MarshalJSON encodes the provider without Address and Proxy, so that a
// logger that encodes values as JSON cannot leak them.
func (p Provider) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name      string `json:"name,omitempty"`
		Namespace string `json:"namespace,omitempty"`
		Type      string `json:"type"`
		Channel   string `json:"channel,omitempty"`
		Username  string `json:"username,omitempty"`
	}{p.Name, p.Namespace, p.Type, p.Channel, p.Username})
}

// parseAddress parses a webhook address. Its errors complete "address ..."
// and never quote it; url.Parse's error is not wrapped because it does.
func parseAddress(address string) (*url.URL, error) {
	if address == "" {
		return nil, errors.New("is empty: set spec.address, or the key address of the Secret of spec.secretRef")
	}
	if strings.TrimSpace(address) != address {
		return nil, errors.New("has leading or trailing white space (a newline at the end of the Secret's value?)")
	}
	u, err := url.Parse(address)
	switch {
	case err != nil:
		return nil, errors.New("is not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("is not an http or https URL")
	case u.Host == "":
		return nil, errors.New("has no host")
	}
	return u, nil
}

// proxySchemes are the proxy schemes that net/http's transport supports.
var proxySchemes = []string{"http", "https", "socks5", "socks5h"}

// parseProxy parses a proxy URL, reading one without "://" (a bare
// host:port) as http, as Go does for HTTPS_PROXY. Its errors complete
// "proxy ..." and never quote it.
func parseProxy(proxy string) (*url.URL, error) {
	if strings.TrimSpace(proxy) != proxy {
		return nil, errors.New("has leading or trailing white space (a newline at the end of the Secret's value?)")
	}
	if !strings.Contains(proxy, "://") {
		proxy = "http://" + proxy
	}
	u, err := url.Parse(proxy)
	switch {
	case err != nil:
		return nil, errors.New("is not a valid URL")
	case !slices.Contains(proxySchemes, u.Scheme):
		return nil, fmt.Errorf("is not a URL of scheme %s", strings.Join(proxySchemes, ", "))
	case u.Host == "":
		return nil, errors.New("has no host")
	}
	return u, nil
}

// minSecretPart is the length from which a part of a URL (a path segment,
// a query value) is redacted on its own: a shorter one is no token, and
// hiding every "api" would garble the text.
const minSecretPart = 8

// secrets lists what must not appear in an error: the address and the
// proxy whole, and their paths, queries, path segments, query values and
// passwords, in case a message quotes only a part. Longest first, so that
// a part does not leave the rest of a longer secret visible.
func (p Provider) secrets() []string {
	var secrets []string
	add := func(s string, minLen int) {
		if len(s) >= minLen {
			secrets = append(secrets, s)
		}
	}
	for i, raw := range []string{p.Address, p.Proxy} {
		add(raw, 1)
		u, err := url.Parse(raw)
		if i == 1 {
			u, err = parseProxy(raw)
		}
		if raw == "" || err != nil {
			continue
		}
		for _, part := range []string{u.EscapedPath(), u.Path, u.RawQuery, u.User.String()} {
			add(part, 2)
		}
		if password, ok := u.User.Password(); ok {
			add(password, 1)
		}
		for segment := range strings.SplitSeq(u.Path, "/") {
			add(segment, minSecretPart)
		}
		for _, values := range u.Query() {
			for _, value := range values {
				add(value, minSecretPart)
			}
		}
	}
	slices.SortFunc(secrets, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	return slices.Compact(secrets)
}

// Severity is how grave an alert is: info, warn or error, as a Canary's
// analysis.alerts[].severity writes it.
type Severity string

// The severities, from the least grave.
const (
	SeverityInfo  Severity = "info"
	SeverityWarn  Severity = "warn"
	SeverityError Severity = "error"
)

// ParseSeverity reads a severity. Empty means SeverityInfo, as in Flagger;
// anything but info, warn and error is an error.
func ParseSeverity(text string) (Severity, error) {
	switch s := Severity(text); s {
	case "":
		return SeverityInfo, nil
	case SeverityInfo, SeverityWarn, SeverityError:
		return s, nil
	}
	return "", fmt.Errorf("severity %q: want info, warn or error", text)
}

// Admits reports whether an alert of severity s is sent a message of
// severity m: an info alert receives every message, a warn alert warn and
// error ones, an error alert only error ones. An empty severity is info;
// an unknown one admits and is admitted by nothing.
func (s Severity) Admits(m Severity) bool {
	threshold, err := ParseSeverity(string(s))
	if err != nil {
		return false
	}
	severity, err := ParseSeverity(string(m))
	if err != nil {
		return false
	}
	return severity.rank() >= threshold.rank()
}

// rank orders the known severities.
func (s Severity) rank() int {
	return slices.Index([]Severity{SeverityInfo, SeverityWarn, SeverityError}, s)
}

// Message is one alert about a Canary.
type Message struct {
	// Canary is the Canary as "name.namespace", the way Flagger writes it
	// in alerts: "detail.flagger".
	Canary string
	// Severity sets the colour; empty means SeverityInfo.
	Severity Severity
	// Text is the event's message, e.g. "Canary failed! Scaling down
	// detail.flagger".
	Text string
	// Phase is the Canary's phase, e.g. Progressing, Failed, Succeeded.
	// Empty leaves it out (except from the generic body, where it is "").
	Phase string
	// Fields are extra facts (revision, commit, target), shown in the
	// order of their keys.
	Fields map[string]string
}
