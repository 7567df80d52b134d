package alerts

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tokenAddress is a webhook address with a token in its path and query, as
// Slack's, Discord's and Google Chat's are.
const tokenAddress = "https://hooks.example.com/services/T000/B000/s3cr3tPATHtoken42?key=qu3ryS3CRETvalue"

func TestValidate(t *testing.T) {
	valid := Provider{Name: "on-call", Namespace: "flagger", Type: TypeSlack, Address: tokenAddress}
	with := func(change func(*Provider)) Provider {
		p := valid
		change(&p)
		return p
	}
	tests := []struct {
		name     string
		provider Provider
		wantErr  string // empty: valid
	}{
		{name: "a slack provider with an https address is valid", provider: valid},
		{name: "an http address is valid", provider: with(func(p *Provider) { p.Address = "http://chat.internal:8080/hooks/abc" })},
		{name: "every known type is valid", provider: with(func(p *Provider) { p.Type = TypeGChat })},
		{name: "the generic type is valid", provider: with(func(p *Provider) { p.Type = TypeGeneric })},
		{name: "an http proxy is valid", provider: with(func(p *Provider) { p.Proxy = "http://proxy.internal:3128" })},
		{name: "a bare host:port proxy is valid, read as http", provider: with(func(p *Provider) { p.Proxy = "proxy.internal:3128" })},
		{name: "a socks5 proxy is valid", provider: with(func(p *Provider) { p.Proxy = "socks5://proxy.internal:1080" })},
		{
			name:     "an unknown type is refused, naming the known ones",
			provider: with(func(p *Provider) { p.Type = "pagerduty" }),
			wantErr:  `alert provider flagger/on-call: unknown type "pagerduty": want one of discord, gchat, generic, msteams, rocket, slack`,
		},
		{
			name:     "a type is case-sensitive, as in Flagger's CRD",
			provider: with(func(p *Provider) { p.Type = "Slack" }),
			wantErr:  `alert provider flagger/on-call: unknown type "Slack"`,
		},
		{
			name:     "an empty type is refused",
			provider: with(func(p *Provider) { p.Type = "" }),
			wantErr:  `alert provider flagger/on-call: unknown type ""`,
		},
		{
			name:     "an empty address is refused, saying where it comes from",
			provider: with(func(p *Provider) { p.Address = "" }),
			wantErr:  "slack provider flagger/on-call: address is empty: set spec.address, or the key address of the Secret of spec.secretRef",
		},
		{
			name:     "an address with a trailing newline from a Secret is refused with a hint",
			provider: with(func(p *Provider) { p.Address = tokenAddress + "\n" }),
			wantErr:  "slack provider flagger/on-call: address has leading or trailing white space (a newline at the end of the Secret's value?)",
		},
		{
			name:     "an address that is no URL is refused",
			provider: with(func(p *Provider) { p.Address = "https://hooks.example.com/%zzs3cr3tPATHtoken42" }),
			wantErr:  "slack provider flagger/on-call: address is not a valid URL",
		},
		{
			name:     "an ftp address is refused",
			provider: with(func(p *Provider) { p.Address = "ftp://hooks.example.com/s3cr3tPATHtoken42" }),
			wantErr:  "slack provider flagger/on-call: address is not an http or https URL",
		},
		{
			name:     "a token alone, mistaken for the address, is refused",
			provider: with(func(p *Provider) { p.Address = "s3cr3tPATHtoken42:xyz" }),
			wantErr:  "slack provider flagger/on-call: address is not an http or https URL",
		},
		{
			name:     "an address without host is refused",
			provider: with(func(p *Provider) { p.Address = "https:///services/s3cr3tPATHtoken42" }),
			wantErr:  "slack provider flagger/on-call: address has no host",
		},
		{
			name:     "a proxy of another scheme is refused",
			provider: with(func(p *Provider) { p.Proxy = "ftp://pr0xyUSER:pr0xyPASSWORD@proxy.internal" }),
			wantErr:  "slack provider flagger/on-call: proxy is not a URL of scheme http, https, socks5, socks5h",
		},
		{
			name:     "a proxy that is no URL is refused",
			provider: with(func(p *Provider) { p.Proxy = "http://pr0xyUSER:pr0xyPASSWORD@proxy internal" }),
			wantErr:  "slack provider flagger/on-call: proxy is not a valid URL",
		},
		{
			name:     "a proxy with a trailing newline is refused with a hint",
			provider: with(func(p *Provider) { p.Proxy = "http://proxy.internal:3128\n" }),
			wantErr:  "slack provider flagger/on-call: proxy has leading or trailing white space",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.provider.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want an error starting %q", err, tt.wantErr)
			}
			assertNoSecret(t, err.Error(), tt.provider)
		})
	}
}

func TestProviderPrintsWithoutItsSecrets(t *testing.T) {
	p := Provider{
		Name: "on-call", Namespace: "flagger", Type: TypeSlack, Address: tokenAddress,
		Channel: "on-call-alerts", Username: "sluice", Proxy: "http://pr0xyUSER:pr0xyPASSWORD@proxy.internal:3128",
	}
	tests := []struct {
		name string
		text string
		want string
	}{
		{name: "String names type, namespace and name", text: p.String(), want: "slack provider flagger/on-call"},
		{name: "%v is String", text: fmt.Sprintf("%v", p), want: "slack provider flagger/on-call"},
		{name: "%+v is String", text: fmt.Sprintf("%+v", p), want: "slack provider flagger/on-call"},
		{name: "%#v is String", text: fmt.Sprintf("%#v", p), want: "slack provider flagger/on-call"},
		{name: "a pointer prints as String too", text: fmt.Sprintf("%v", &p), want: "slack provider flagger/on-call"},
		{name: "an unknown type is an alert provider", text: Provider{Name: "x", Namespace: "y", Type: "bogus"}.String(), want: "alert provider y/x"},
		{name: "without namespace, the name alone", text: Provider{Name: "x", Type: TypeDiscord}.String(), want: "discord provider x"},
		{name: "without any name, the type alone", text: Provider{Type: TypeGChat}.String(), want: "gchat provider"},
		{name: "JSON leaves the secrets out", text: mustJSON(t, p), want: `{"name":"on-call","namespace":"flagger","type":"slack","channel":"on-call-alerts","username":"sluice"}`},
		{name: "JSON of a struct holding a Provider leaves them out too", text: mustJSON(t, struct{ P Provider }{p}), want: `{"P":{"name":"on-call","namespace":"flagger","type":"slack","channel":"on-call-alerts","username":"sluice"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.text); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			assertNoSecret(t, tt.text, p)
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// secretParts are the parts of tokenAddress and of the test proxies that
// must never be shown.
var secretParts = []string{"s3cr3tPATHtoken42", "qu3ryS3CRETvalue", "pr0xyPASSWORD", "/services/T000/B000"}

// assertNoSecret fails when text holds p's address, proxy, or a part of
// them that is a secret.
func assertNoSecret(t *testing.T, text string, p Provider) {
	t.Helper()
	for _, secret := range append([]string{p.Address, p.Proxy}, secretParts...) {
		if secret != "" && strings.Contains(text, secret) {
			t.Errorf("%q shows the secret %q", text, secret)
		}
	}
}

func TestSecretsListsTheAddressAndItsParts(t *testing.T) {
	p := Provider{Address: "https://user:addrPASSWORD@hooks.example.com/a/s3cr3tPATHtoken42?key=qu3ryS3CRETvalue&n=1", Proxy: "pr0xyUSER:pr0xyPASSWORD@proxy.internal:3128"}
	got := p.secrets()
	for _, want := range []string{p.Address, p.Proxy, "addrPASSWORD", "/a/s3cr3tPATHtoken42", "s3cr3tPATHtoken42", "qu3ryS3CRETvalue", "key=qu3ryS3CRETvalue&n=1", "pr0xyPASSWORD", "pr0xyUSER:pr0xyPASSWORD"} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("secrets() = %q, want it to hold %q", got, want)
		}
	}
	for _, short := range []string{"a", "1", "n"} {
		for _, s := range got {
			if s == short {
				t.Errorf("secrets() holds %q: too short to be a secret, it would garble every message", short)
			}
		}
	}
	for i := 1; i < len(got); i++ {
		if len(got[i]) > len(got[i-1]) {
			t.Fatalf("secrets() = %q: not longest first, a part would leave the rest of a longer secret visible", got)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		text    string
		want    Severity
		wantErr bool
	}{
		{text: "info", want: SeverityInfo},
		{text: "warn", want: SeverityWarn},
		{text: "error", want: SeverityError},
		{text: "", want: SeverityInfo},
		{text: "warning", wantErr: true},
		{text: "ERROR", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.text), func(t *testing.T) {
			got, err := ParseSeverity(tt.text)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSeverity(%q) error = %v, want error %v", tt.text, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseSeverity(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestSeverityAdmits(t *testing.T) {
	tests := []struct {
		name            string
		alert, severity Severity
		want            bool
	}{
		{name: "an info alert receives info", alert: SeverityInfo, severity: SeverityInfo, want: true},
		{name: "an info alert receives errors", alert: SeverityInfo, severity: SeverityError, want: true},
		{name: "an alert without severity is info", alert: "", severity: SeverityWarn, want: true},
		{name: "a message without severity is info", alert: SeverityInfo, severity: "", want: true},
		{name: "a warn alert receives warn", alert: SeverityWarn, severity: SeverityWarn, want: true},
		{name: "a warn alert receives errors", alert: SeverityWarn, severity: SeverityError, want: true},
		{name: "a warn alert does not receive info", alert: SeverityWarn, severity: SeverityInfo, want: false},
		{name: "an error alert receives errors", alert: SeverityError, severity: SeverityError, want: true},
		{name: "an error alert does not receive warn", alert: SeverityError, severity: SeverityWarn, want: false},
		{name: "an unknown alert severity receives nothing", alert: "critical", severity: SeverityError, want: false},
		{name: "an unknown message severity is received by nothing", alert: SeverityInfo, severity: "critical", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.alert.Admits(tt.severity); got != tt.want {
				t.Errorf("Severity(%q).Admits(%q) = %v, want %v", tt.alert, tt.severity, got, tt.want)
			}
		})
	}
}
