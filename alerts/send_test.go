package alerts

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tokenPath is the path of a webhook address, holding its token as
// Slack's and Discord's do.
const tokenPath = "/services/T000/B000/s3cr3tPATHtoken42"

// received is what a test receiver got.
type received struct {
	method, path, contentType string
	body                      []byte
}

// receiver is a webhook that records what it receives and answers status.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, received{method: req.Method, path: req.URL.Path, contentType: req.Header.Get("Content-Type"), body: body})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.requests...)
}

// The shapes each service documents for its incoming webhooks, written
// from the documentation, not from payload.go: a wrong field name leaves a
// zero value that the comparison shows.
type (
	slackDoc struct {
		Channel     string `json:"channel"`
		Username    string `json:"username"`
		Attachments []struct {
			Fallback string `json:"fallback"`
			Color    string `json:"color"`
			Title    string `json:"title"`
			Text     string `json:"text"`
			Fields   []struct {
				Title string `json:"title"`
				Value string `json:"value"`
				Short bool   `json:"short"`
			} `json:"fields"`
		} `json:"attachments"`
	}
	teamsDoc struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Type    string `json:"type"`
				Version string `json:"version"`
				Body    []struct {
					Type  string `json:"type"`
					Text  string `json:"text"`
					Color string `json:"color"`
					Facts []struct {
						Title string `json:"title"`
						Value string `json:"value"`
					} `json:"facts"`
				} `json:"body"`
			} `json:"content"`
		} `json:"attachments"`
	}
	discordDoc struct {
		Username string `json:"username"`
		Embeds   []struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			Color       int    `json:"color"`
			Fields      []struct {
				Name   string `json:"name"`
				Value  string `json:"value"`
				Inline bool   `json:"inline"`
			} `json:"fields"`
		} `json:"embeds"`
		AllowedMentions struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	gchatDoc struct {
		FallbackText string `json:"fallbackText"`
		CardsV2      []struct {
			CardID string `json:"cardId"`
			Card   struct {
				Header struct {
					Title    string `json:"title"`
					Subtitle string `json:"subtitle"`
				} `json:"header"`
				Sections []struct {
					Widgets []struct {
						TextParagraph *struct {
							Text string `json:"text"`
						} `json:"textParagraph"`
						DecoratedText *struct {
							TopLabel string `json:"topLabel"`
							Text     string `json:"text"`
						} `json:"decoratedText"`
					} `json:"widgets"`
				} `json:"sections"`
			} `json:"card"`
		} `json:"cardsV2"`
	}
	genericDoc struct {
		Canary   string            `json:"canary"`
		Severity string            `json:"severity"`
		Phase    string            `json:"phase"`
		Message  string            `json:"message"`
		Fields   map[string]string `json:"fields"`
	}
)

// decodeAs decodes a body into the documented shape T.
func decodeAs[T any](body []byte) (any, error) {
	var doc T
	err := json.Unmarshal(body, &doc)
	return doc, err
}

// mustDecode decodes JSON written in a test into T.
func mustDecode[T any](t *testing.T, text string) T {
	t.Helper()
	var doc T
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSendPostsTheShapeEachServiceDocuments(t *testing.T) {
	slackWant := `{"channel": "on-call-alerts", "username": "sluice", "attachments": [{
		"fallback": "detail.flagger: Canary failed! Scaling down detail.flagger", "color": "#a30200",
		"title": "detail.flagger", "text": "Canary failed! Scaling down detail.flagger",
		"fields": [{"title": "Phase", "value": "Failed", "short": true}, {"title": "revision", "value": "2c1f9a0", "short": true}, {"title": "target", "value": "Deployment/detail", "short": true}]}]}`
	tests := []struct {
		name         string
		providerType string
		decode       func([]byte) (any, error)
		want         func(t *testing.T) any
	}{
		{
			name:         "slack gets an attachment coloured red, with channel and username",
			providerType: TypeSlack,
			decode:       decodeAs[slackDoc],
			want:         func(t *testing.T) any { return mustDecode[slackDoc](t, slackWant) },
		},
		{
			name:         "rocket gets the Slack-compatible shape",
			providerType: TypeRocket,
			decode:       decodeAs[slackDoc],
			want:         func(t *testing.T) any { return mustDecode[slackDoc](t, slackWant) },
		},
		{
			name:         "msteams gets an Adaptive Card in a message, the title coloured Attention",
			providerType: TypeMSTeams,
			decode:       decodeAs[teamsDoc],
			want: func(t *testing.T) any {
				return mustDecode[teamsDoc](t, `{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
					"content": {"type": "AdaptiveCard", "version": "1.4", "body": [
						{"type": "TextBlock", "text": "detail.flagger", "color": "Attention"},
						{"type": "TextBlock", "text": "Canary failed! Scaling down detail.flagger"},
						{"type": "FactSet", "facts": [{"title": "Phase", "value": "Failed"}, {"title": "revision", "value": "2c1f9a0"}, {"title": "target", "value": "Deployment/detail"}]}]}}]}`)
			},
		},
		{
			name:         "discord gets an embed with an integer colour, the username and mentions off",
			providerType: TypeDiscord,
			decode:       decodeAs[discordDoc],
			want: func(t *testing.T) any {
				return mustDecode[discordDoc](t, `{"username": "sluice", "embeds": [{"title": "detail.flagger",
					"description": "Canary failed! Scaling down detail.flagger", "color": 10682880,
					"fields": [{"name": "Phase", "value": "Failed", "inline": true}, {"name": "revision", "value": "2c1f9a0", "inline": true}, {"name": "target", "value": "Deployment/detail", "inline": true}]}],
					"allowed_mentions": {"parse": []}}`)
			},
		},
		{
			name:         "gchat gets a card with the phase as subtitle and the severity in red",
			providerType: TypeGChat,
			decode:       decodeAs[gchatDoc],
			want: func(t *testing.T) any {
				return mustDecode[gchatDoc](t, `{"fallbackText": "detail.flagger: Canary failed! Scaling down detail.flagger",
					"cardsV2": [{"cardId": "sluice-alert", "card": {"header": {"title": "detail.flagger", "subtitle": "Failed"},
					"sections": [{"widgets": [
						{"textParagraph": {"text": "<font color=\"#a30200\"><b>error</b></font> Canary failed! Scaling down detail.flagger"}},
						{"decoratedText": {"topLabel": "revision", "text": "2c1f9a0"}},
						{"decoratedText": {"topLabel": "target", "text": "Deployment/detail"}}]}]}}]}`)
			},
		},
		{
			name:         "generic gets sluice's documented body",
			providerType: TypeGeneric,
			decode:       decodeAs[genericDoc],
			want: func(t *testing.T) any {
				return mustDecode[genericDoc](t, `{"canary": "detail.flagger", "severity": "error", "phase": "Failed",
					"message": "Canary failed! Scaling down detail.flagger", "fields": {"revision": "2c1f9a0", "target": "Deployment/detail"}}`)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook := newReceiver(t, http.StatusOK)
			p := onCall(tt.providerType)
			p.Address = hook.URL + tokenPath
			if err := NewSender(SenderOptions{}).Send(context.Background(), p, failedCanary); err != nil {
				t.Fatalf("Send() = %v", err)
			}
			got := hook.got()
			if len(got) != 1 {
				t.Fatalf("the webhook received %d requests, want 1", len(got))
			}
			request := got[0]
			// The address is used as given: Discord's native body goes to
			// the webhook URL itself, not to its /slack variant.
			if diff := cmp.Diff(received{method: http.MethodPost, path: tokenPath, contentType: "application/json"}, received{method: request.method, path: request.path, contentType: request.contentType}, cmp.AllowUnexported(received{})); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			doc, err := tt.decode(request.body)
			if err != nil {
				t.Fatalf("the body is not the documented JSON: %v\n%s", err, request.body)
			}
			if diff := cmp.Diff(tt.want(t), doc); diff != "" {
				t.Errorf("body (-want +got):\n%s\nbody: %s", diff, request.body)
			}
		})
	}
}

func TestSendReportsAnAnswerOutside2xx(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusNotFound, http.StatusTooManyRequests, http.StatusInternalServerError} {
		t.Run(http.StatusText(status)+" is a StatusError naming the provider and the status, not the address nor the answer", func(t *testing.T) {
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				_, _ = io.WriteString(w, "invalid_token for "+r.URL.String()) // services quote the request
			}))
			defer hook.Close()
			p := onCall(TypeSlack)
			p.Address = hook.URL + tokenPath + "?key=qu3ryS3CRETvalue"
			err := NewSender(SenderOptions{}).Send(context.Background(), p, failedCanary)
			var statusErr *StatusError
			if !errors.As(err, &statusErr) {
				t.Fatalf("Send() = %v, want a *StatusError", err)
			}
			if diff := cmp.Diff(&StatusError{Provider: "slack provider flagger/on-call", StatusCode: status}, statusErr); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if want := fmt.Sprintf("slack provider flagger/on-call: answered %d %s", status, http.StatusText(status)); err.Error() != want {
				t.Errorf("Send() = %q, want %q", err, want)
			}
			if strings.Contains(err.Error(), "invalid_token") {
				t.Errorf("Send() = %q quotes the answer", err)
			}
			assertNoSecret(t, err.Error(), p)
		})
	}
}

func TestSendSucceedsOnEvery2xx(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusAccepted, http.StatusNoContent} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			hook := newReceiver(t, status)
			p := onCall(TypeMSTeams)
			p.Address = hook.URL + tokenPath
			if err := NewSender(SenderOptions{}).Send(context.Background(), p, failedCanary); err != nil {
				t.Errorf("Send() = %v, want nil", err)
			}
		})
	}
}

// slowHandler answers only after 10s or when the client has gone. It reads
// the body first: the server notices a closed connection only then.
func slowHandler(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func TestSendGivesUpAtTheTimeout(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(slowHandler))
	defer hook.Close()
	p := onCall(TypeSlack)
	p.Address = hook.URL + tokenPath
	start := time.Now()
	err := NewSender(SenderOptions{Timeout: 200 * time.Millisecond}).Send(context.Background(), p, failedCanary)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Send() took %s with a timeout of 200ms", elapsed)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send() = %v, want a deadline error", err)
	}
	if want := "slack provider flagger/on-call: no answer within 200ms"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Send() = %q, want it to start with %q", err, want)
	}
	assertNoSecret(t, err.Error(), p)
}

func TestSendStopsWhenTheContextEnds(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(slowHandler))
	defer hook.Close()
	p := onCall(TypeSlack)
	p.Address = hook.URL + tokenPath
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err := NewSender(SenderOptions{}).Send(ctx, p, failedCanary)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "slack provider flagger/on-call: canceled") {
		t.Fatalf("Send() = %v, want a cancellation naming the provider", err)
	}
}

func TestNewSenderDefaultsTheTimeoutTo10s(t *testing.T) {
	if got := NewSender(SenderOptions{}).timeout; got != 10*time.Second {
		t.Errorf("timeout = %s, want 10s", got)
	}
}

// proxy is an HTTP proxy that answers every request itself, recording
// the absolute URL asked for and the proxy credentials.
type proxy struct {
	*httptest.Server
	mu            sync.Mutex
	urls          []string
	authorization string
}

func newProxy(t *testing.T) *proxy {
	t.Helper()
	p := &proxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.urls = append(p.urls, r.URL.String())
		p.authorization = r.Header.Get("Proxy-Authorization")
		p.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(p.Close)
	return p
}

func TestSendGoesThroughTheProviderProxy(t *testing.T) {
	tests := []struct {
		name              string
		proxyAddress      func(proxyURL string) string
		wantAuthorization string
	}{
		{name: "an http proxy URL", proxyAddress: func(u string) string { return u }},
		{name: "a bare host:port, read as http", proxyAddress: func(u string) string { return strings.TrimPrefix(u, "http://") }},
		{
			name:              "a proxy URL with credentials sends them to the proxy",
			proxyAddress:      func(u string) string { return strings.Replace(u, "http://", "http://sluice:pr0xyPASSWORD@", 1) },
			wantAuthorization: "Basic " + base64.StdEncoding.EncodeToString([]byte("sluice:pr0xyPASSWORD")),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook := newReceiver(t, http.StatusOK)
			via := newProxy(t)
			p := onCall(TypeDiscord)
			p.Address = hook.URL + tokenPath
			p.Proxy = tt.proxyAddress(via.URL)
			if err := NewSender(SenderOptions{}).Send(context.Background(), p, failedCanary); err != nil {
				t.Fatalf("Send() = %v", err)
			}
			if diff := cmp.Diff([]string{p.Address}, via.urls); diff != "" {
				t.Errorf("the proxy was asked for (-want +got):\n%s", diff)
			}
			if via.authorization != tt.wantAuthorization {
				t.Errorf("Proxy-Authorization = %q, want %q", via.authorization, tt.wantAuthorization)
			}
			if n := len(hook.got()); n != 0 {
				t.Errorf("the webhook was reached directly %d times", n)
			}
		})
	}
}

func TestSendWithoutAProxyIgnoresTheEnvironment(t *testing.T) {
	// Checked on the transport: net/http reads the environment once per
	// process, so setting it in a test proves nothing.
	sender := NewSender(SenderOptions{})
	direct, ok := sender.transport("").(*http.Transport)
	if !ok || direct.Proxy != nil {
		t.Fatalf("the transport without proxy is %#v, want an *http.Transport with no Proxy function", sender.transport(""))
	}
	proxied := sender.transport("proxy.internal:3128").(*http.Transport)
	req := httptest.NewRequest(http.MethodPost, tokenAddress, nil)
	got, err := proxied.Proxy(req)
	if err != nil || got == nil || got.String() != "http://proxy.internal:3128" {
		t.Errorf("Proxy(request) = %v, %v; want http://proxy.internal:3128", got, err)
	}
}

func TestSendDialsThroughTheCallersDialContext(t *testing.T) {
	hook := newReceiver(t, http.StatusOK)
	refused := errors.New("address policy: 127.0.0.1 refused")
	var dialed []string
	sender := NewSender(SenderOptions{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		return nil, refused
	}})
	p := onCall(TypeSlack)
	p.Address = hook.URL + tokenPath
	err := sender.Send(context.Background(), p, failedCanary)
	if !errors.Is(err, refused) || !strings.HasPrefix(err.Error(), "slack provider flagger/on-call: post: ") {
		t.Fatalf("Send() = %v, want the dialer's error wrapped, naming the provider", err)
	}
	if diff := cmp.Diff([]string{strings.TrimPrefix(hook.URL, "http://")}, dialed); diff != "" {
		t.Errorf("dialed (-want +got):\n%s", diff)
	}
	if len(hook.got()) != 0 {
		t.Errorf("the webhook was reached despite the dialer's refusal")
	}
}

func TestSendFollowsRedirectsOnlyWithinTheWebhooksHost(t *testing.T) {
	elsewhere := newReceiver(t, http.StatusOK)
	var hits atomic.Int32
	var delivered atomic.Value
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, tokenPath, http.StatusTemporaryRedirect)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusTemporaryRedirect)
		case "/away":
			http.Redirect(w, r, elsewhere.URL+"/stolen", http.StatusFound)
		case tokenPath:
			body, _ := io.ReadAll(r.Body)
			delivered.Store(r.Method + " " + string(body))
		}
	}))
	defer hook.Close()
	send := func(path string) error {
		p := onCall(TypeGeneric)
		p.Address = hook.URL + path
		return NewSender(SenderOptions{}).Send(context.Background(), p, failedCanary)
	}

	t.Run("a 307 to the same host is followed with the body", func(t *testing.T) {
		if err := send("/moved"); err != nil {
			t.Fatalf("Send() = %v", err)
		}
		got, _ := delivered.Load().(string)
		if !strings.HasPrefix(got, `POST {"canary":"detail.flagger"`) {
			t.Errorf("the redirect target got %q, want the POST with its body", got)
		}
	})
	t.Run("a redirect to another host is not followed", func(t *testing.T) {
		err := send("/away")
		var statusErr *StatusError
		if !errors.As(err, &statusErr) || statusErr.StatusCode != http.StatusFound {
			t.Fatalf("Send() = %v, want a StatusError 302", err)
		}
		if !strings.Contains(err.Error(), "not followed") {
			t.Errorf("Send() = %q, want it to say the redirect was not followed", err)
		}
		if n := len(elsewhere.got()); n != 0 {
			t.Errorf("the other host received %d requests", n)
		}
	})
	t.Run("a redirect loop stops after three redirects", func(t *testing.T) {
		hits.Store(0)
		err := send("/loop")
		var statusErr *StatusError
		if !errors.As(err, &statusErr) || statusErr.StatusCode != http.StatusTemporaryRedirect {
			t.Fatalf("Send() = %v, want a StatusError 307", err)
		}
		if got := hits.Load(); got != 1+maxRedirects {
			t.Errorf("the webhook was asked %d times, want %d", got, 1+maxRedirects)
		}
	})
	t.Run("a redirect from https to http on the same host is not followed", func(t *testing.T) {
		from, _ := http.NewRequest(http.MethodPost, "https://hooks.example.com"+tokenPath, nil)
		to, _ := http.NewRequest(http.MethodPost, "http://hooks.example.com"+tokenPath, nil)
		if err := sameHostRedirects(to, []*http.Request{from}); !errors.Is(err, http.ErrUseLastResponse) {
			t.Errorf("sameHostRedirects() = %v, want http.ErrUseLastResponse", err)
		}
	})
}

func TestSendReadsNoMoreThan4KiBOfTheAnswer(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusBadGateway} {
		t.Run("an endless "+http.StatusText(status)+" answer does not hold Send", func(t *testing.T) {
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				chunk := []byte(strings.Repeat("x", 32<<10))
				for r.Context().Err() == nil {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			}))
			defer hook.Close()
			p := onCall(TypeSlack)
			p.Address = hook.URL + tokenPath
			start := time.Now()
			err := NewSender(SenderOptions{Timeout: 20 * time.Second}).Send(context.Background(), p, failedCanary)
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("Send() took %s: it read on past 4 KiB", elapsed)
			}
			var statusErr *StatusError
			if status == http.StatusOK && err != nil || status != http.StatusOK && !errors.As(err, &statusErr) {
				t.Errorf("Send() = %v", err)
			}
		})
	}
}

// malformedReceiver answers every request with the request's own target
// as a malformed status line: the transport's error then quotes the path
// and query, which hold the token.
func malformedReceiver(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listener.Close() })
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(conn).ReadString('\n')
			fields := strings.Fields(line)
			if len(fields) > 1 {
				_, _ = io.WriteString(conn, fields[1]+"\r\n\r\n")
			}
			conn.Close()
		}
	}()
	return "http://" + listener.Addr().String()
}

// closedAddress is an address where nothing listens.
func closedAddress(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close()
	return address
}

func TestSendNeverShowsTheAddressOrProxy(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(slowHandler))
	defer slow.Close()
	elsewhere := newReceiver(t, http.StatusOK)
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	defer redirecting.Close()
	echoing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, r.URL.String())
	}))
	defer echoing.Close()
	const secretSuffix = tokenPath + "?key=qu3ryS3CRETvalue"
	tests := []struct {
		name  string
		base  string
		proxy string
		typ   string
	}{
		{name: "a webhook that cannot be reached", base: "http://" + closedAddress(t)},
		{name: "a proxy that cannot be reached", base: "http://hooks.example.com", proxy: "http://sluice:pr0xyPASSWORD@" + closedAddress(t)},
		{name: "a webhook that answers too late", base: slow.URL},
		{name: "a webhook that redirects elsewhere", base: redirecting.URL},
		{name: "a webhook whose answer quotes the URL", base: echoing.URL},
		{name: "a webhook whose malformed answer the transport quotes", base: malformedReceiver(t)},
		{name: "a provider of unknown type", base: "https://hooks.example.com", typ: "bogus"},
		{name: "an address of another scheme", base: "ftp://hooks.example.com"},
		{name: "an address that is no URL", base: "http://hooks example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := onCall(TypeSlack)
			if tt.typ != "" {
				p.Type = tt.typ
			}
			p.Address = tt.base + secretSuffix
			p.Proxy = tt.proxy
			err := NewSender(SenderOptions{Timeout: 300 * time.Millisecond}).Send(context.Background(), p, failedCanary)
			if err == nil {
				t.Fatal("Send() = nil, want an error")
			}
			if !strings.HasPrefix(err.Error(), p.String()+": ") {
				t.Errorf("Send() = %q, want it to start with %q", err, p.String())
			}
			assertNoSecret(t, err.Error(), p)
			assertNoSecret(t, p.String(), p)
		})
	}
}

func TestSendRefusesBeforeSending(t *testing.T) {
	hook := newReceiver(t, http.StatusOK)
	tests := []struct {
		name    string
		change  func(*Provider, *Message)
		wantErr string
	}{
		{name: "an unknown type", change: func(p *Provider, _ *Message) { p.Type = "hipchat" }, wantErr: `alert provider flagger/on-call: unknown type "hipchat"`},
		{name: "an address of another scheme", change: func(p *Provider, _ *Message) { p.Address = "ftp" + strings.TrimPrefix(p.Address, "http") }, wantErr: "slack provider flagger/on-call: address is not an http or https URL"},
		{name: "an invalid proxy", change: func(p *Provider, _ *Message) { p.Proxy = "ftp://proxy.internal" }, wantErr: "slack provider flagger/on-call: proxy is not a URL of scheme"},
		{name: "an unknown severity", change: func(_ *Provider, m *Message) { m.Severity = "fatal" }, wantErr: `slack provider flagger/on-call: severity "fatal"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, m := onCall(TypeSlack), failedCanary
			p.Address = hook.URL + tokenPath
			tt.change(&p, &m)
			err := NewSender(SenderOptions{}).Send(context.Background(), p, m)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("Send() = %v, want an error starting %q", err, tt.wantErr)
			}
			if n := len(hook.got()); n != 0 {
				t.Errorf("the webhook received %d requests", n)
			}
		})
	}
}

func TestSendIsSafeForConcurrentUse(t *testing.T) {
	hook := newReceiver(t, http.StatusOK)
	via := newProxy(t)
	sender := NewSender(SenderOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			p := onCall(allTypes[i%len(allTypes)])
			p.Address = hook.URL + tokenPath
			if i%2 == 1 {
				p.Proxy = via.URL
			}
			errs <- sender.Send(context.Background(), p, failedCanary)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	via.mu.Lock()
	proxied := len(via.urls)
	via.mu.Unlock()
	if direct := len(hook.got()); direct != 16 || proxied != 16 {
		t.Errorf("the webhook got %d requests and the proxy %d, want 16 each", direct, proxied)
	}
	if n := len(sender.transports); n != 2 {
		t.Errorf("the sender built %d transports, want one per proxy (2)", n)
	}
}

func TestSendUsesTheGivenRoundTripper(t *testing.T) {
	var got *http.Request
	sender := NewSender(SenderOptions{RoundTripper: roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		got = r
		return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
	})})
	p := onCall(TypeSlack)
	if err := sender.Send(context.Background(), p, failedCanary); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	want, _ := url.Parse(tokenAddress)
	if got == nil || got.URL.String() != want.String() {
		t.Errorf("the round tripper got %v, want a request to the address", got)
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
