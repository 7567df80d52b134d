package forge

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testAppKey is one RSA key for the tests of this file (generating one
// takes a while).
var testAppKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key
})

func TestSignAppJWTIsRS256WithIssIatAndExp(t *testing.T) {
	t.Parallel()
	key := testAppKey()
	now := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	jwt, err := SignAppJWT(key, 42, now)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts, want 3", len(parts))
	}
	decode := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("%q is not base64url without padding: %v", s, err)
		}
		return b
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], decode(parts[2])); err != nil {
		t.Fatalf("signature does not verify with the public key: %v", err)
	}
	var header, claims map[string]any
	if err := json.Unmarshal(decode(parts[0]), &header); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(decode(parts[1]), &claims); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"alg": "RS256", "typ": "JWT"}, header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	want := map[string]any{"iss": "42", "iat": float64(now.Unix() - 60), "exp": float64(now.Add(9 * time.Minute).Unix())}
	if diff := cmp.Diff(want, claims); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat > 600 {
		t.Errorf("exp - iat = %v s, GitHub accepts at most 600", exp-iat)
	}
}

func TestParseAppPrivateKeyReadsPKCS1AndPKCS8(t *testing.T) {
	t.Parallel()
	key := testAppKey()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"PKCS#1 as GitHub generates it", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), ""},
		{"PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), ""},
		{"not PEM", []byte("ghp_aToken"), "no PEM block"},
		{"a certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("x")}), `"CERTIFICATE"`},
		{"garbage inside the block", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("secretgarbage")}), "malformed"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAppPrivateKey(tt.data)
			if tt.wantErr == "" {
				if err != nil || !got.Equal(key) {
					t.Fatalf("ParseAppPrivateKey = %v, want the key", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "secretgarbage") {
				t.Errorf("error = %v, want one with %q that quotes nothing", err, tt.wantErr)
			}
		})
	}
}

// fakeTokenServer answers access_tokens requests for installation 7 with
// tokens "token-1", "token-2"… that expire ttl after the fake clock's now.
type fakeTokenServer struct {
	mu     sync.Mutex
	now    time.Time
	minted int
	status int // non-zero: answer this status instead
}

func (f *fakeTokenServer) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTokenServer) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fakeTokenServer) start(t *testing.T, ttl time.Duration) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/api/v3/app/installations/7/access_tokens" || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
			http.Error(w, `{"message":"unexpected request"}`, http.StatusBadRequest)
			return
		}
		if f.status != 0 {
			w.WriteHeader(f.status)
			_, _ = w.Write([]byte(`{"message":"A JSON web token could not be decoded"}`))
			return
		}
		f.minted++
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, `{"token":"token-%d","expires_at":%q}`, f.minted, f.now.Add(ttl).Format(time.RFC3339))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAppTokenSourceRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	fake := &fakeTokenServer{now: time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)}
	srv := fake.start(t, time.Hour)
	source, err := NewAppTokenSource(AppOptions{APIURL: srv.URL + "/api/v3", AppID: 42, InstallationID: 7, PrivateKey: testAppKey(), Now: fake.clock})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		advance time.Duration
		want    string
	}{
		{"the first call exchanges a JWT", 0, "token-1"},
		{"the token is reused while far from expiry", 30 * time.Minute, "token-1"},
		{"still reused 5 min 1 s before expiry", 24*time.Minute + 59*time.Second, "token-1"},
		{"replaced 5 min before expiry", time.Second, "token-2"},
		{"the new one is reused", time.Minute, "token-2"},
	}
	for _, step := range steps {
		fake.advance(step.advance)
		got, err := source.Token()
		if err != nil || got != step.want {
			t.Fatalf("%s: Token() = %q, %v; want %q", step.name, got, err, step.want)
		}
	}
	if want := fake.clock().Add(59 * time.Minute); !source.Expires().Equal(want) {
		t.Errorf("Expires() = %v, want %v", source.Expires(), want)
	}
}

func TestAppTokenSourceRefreshesAShortLivedTokenAtHalfItsLife(t *testing.T) {
	t.Parallel()
	fake := &fakeTokenServer{now: time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)}
	srv := fake.start(t, 4*time.Second)
	source, err := NewAppTokenSource(AppOptions{APIURL: srv.URL + "/api/v3/", AppID: 42, InstallationID: 7, PrivateKey: testAppKey(), Now: fake.clock})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"token-1", "token-1", "token-2", "token-2", "token-3"} {
		got, err := source.Token()
		if err != nil || got != want {
			t.Fatalf("Token() = %q, %v; want %q", got, err, want)
		}
		fake.advance(time.Second)
	}
}

func TestAppTokenSourceRefusalIsATypedErrorWithoutTheJWT(t *testing.T) {
	t.Parallel()
	fake := &fakeTokenServer{now: time.Now(), status: http.StatusUnauthorized}
	srv := fake.start(t, time.Hour)
	source, err := NewAppTokenSource(AppOptions{APIURL: srv.URL + "/api/v3", AppID: 42, InstallationID: 7, PrivateKey: testAppKey(), Now: fake.clock})
	if err != nil {
		t.Fatal(err)
	}
	_, err = source.Token()
	var appErr *AppError
	if !errors.As(err, &appErr) || appErr.Status != http.StatusUnauthorized {
		t.Fatalf("Token() error = %v, want an *AppError with status 401", err)
	}
	for _, want := range []string{"github app 42", "installation 7", "401", "A JSON web token could not be decoded"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "eyJ") { // every JWT starts so
		t.Errorf("error %q holds a JWT", err)
	}
	// A refused exchange is tried again: the next call succeeds once the
	// forge accepts.
	fake.mu.Lock()
	fake.status = 0
	fake.mu.Unlock()
	if got, err := source.Token(); err != nil || got != "token-1" {
		t.Errorf("Token() after the refusal = %q, %v; want token-1", got, err)
	}
}
