package forge

import (
	"bytes"
	"context"
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
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AppOptions configures [NewAppTokenSource].
type AppOptions struct {
	// APIURL is the REST base, as in [GitHubOptions]: zero is
	// DefaultAPIURL; GitHub Enterprise is https://<host>/api/v3/.
	APIURL string
	// AppID is the GitHub App's id, the "iss" of its JWTs. Required.
	AppID int64
	// InstallationID is the installation of the App on the repository's
	// owner whose tokens are requested. Required.
	InstallationID int64
	// PrivateKey is the App's RSA private key. Required.
	PrivateKey *rsa.PrivateKey
	// RefreshBefore is how long before its expiry a token is replaced.
	// Zero means 5 minutes. It is capped at half the token's lifetime, so
	// a short-lived token is still used a while before it is replaced.
	RefreshBefore time.Duration
	// Timeout bounds one token exchange. Zero means 30 seconds.
	Timeout time.Duration
	// HTTPClient makes the exchanges. Nil means a client with no
	// credentials of its own.
	HTTPClient *http.Client
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// AppTokenSource hands out installation tokens of a GitHub App, exchanging
// a signed JWT for a new one when the last is near its expiry. It is safe
// for concurrent use; concurrent callers share one exchange.
type AppTokenSource struct {
	opts AppOptions
	url  string

	mu      sync.Mutex
	token   string
	expires time.Time
	renewAt time.Time
}

// AppError is an exchange of a JWT for an installation token that GitHub
// refused (Status is its HTTP status, e.g. 401 for a key that does not
// belong to the App) or that could not be made (Status 0). It never holds
// the JWT or a token.
type AppError struct {
	AppID, InstallationID int64
	Status                int
	Err                   error
}

func (e *AppError) Error() string {
	return fmt.Sprintf("github app %d: installation %d: access token: %v", e.AppID, e.InstallationID, e.Err)
}

func (e *AppError) Unwrap() error { return e.Err }

// ParseAppPrivateKey reads the PEM private key GitHub generates for an App
// (PKCS#1 "RSA PRIVATE KEY", or PKCS#8 "PRIVATE KEY" holding an RSA key).
// Its errors never quote the key.
func ParseAppPrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("malformed PKCS#1 RSA private key")
		}
		return key, nil
	case "PRIVATE KEY":
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("malformed PKCS#8 private key")
		}
		key, ok := parsed.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the PKCS#8 key is a %T, want an RSA key", parsed)
		}
		return key, nil
	}
	return nil, fmt.Errorf("PEM block %q, want RSA PRIVATE KEY or PRIVATE KEY", block.Type)
}

// appJWTLifetime is how long a JWT is valid; GitHub accepts at most 10
// minutes, and iat is set 60 s in the past against clock drift.
const (
	appJWTLifetime = 9 * time.Minute
	appJWTBackdate = 60 * time.Second
)

// SignAppJWT returns the RS256 JWT that authenticates as the App: iss is
// the App id, iat 60 s before now, exp 9 minutes after now.
func SignAppJWT(key *rsa.PrivateKey, appID int64, now time.Time) (string, error) {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(struct {
		IssuedAt  int64  `json:"iat"`
		ExpiresAt int64  `json:"exp"`
		Issuer    string `json:"iss"`
	}{now.Add(-appJWTBackdate).Unix(), now.Add(appJWTLifetime).Unix(), strconv.FormatInt(appID, 10)})
	if err != nil {
		return "", err
	}
	signed := header + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signed))
	signature, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign the app JWT: %w", err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(signature), nil
}

// NewAppTokenSource checks opts; it makes no request.
func NewAppTokenSource(opts AppOptions) (*AppTokenSource, error) {
	switch {
	case opts.AppID <= 0:
		return nil, errors.New("forge: AppOptions.AppID is required")
	case opts.InstallationID <= 0:
		return nil, errors.New("forge: AppOptions.InstallationID is required")
	case opts.PrivateKey == nil:
		return nil, errors.New("forge: AppOptions.PrivateKey is required")
	}
	base, err := parseAPIURL(opts.APIURL)
	if err != nil {
		return nil, err
	}
	if opts.RefreshBefore == 0 {
		opts.RefreshBefore = 5 * time.Minute
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	url := base.String() + "app/installations/" + strconv.FormatInt(opts.InstallationID, 10) + "/access_tokens"
	return &AppTokenSource{opts: opts, url: url}, nil
}

// Token returns an installation token valid for a while yet, exchanging a
// new JWT for a new token once the last one is within RefreshBefore of its
// expiry. A failed exchange is an [*AppError] and is tried again at the
// next call; the last token is not used once it has expired.
func (s *AppTokenSource) Token() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if s.token != "" && now.Before(s.renewAt) {
		return s.token, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	defer cancel()
	token, expires, err := s.exchange(ctx, now)
	if err != nil {
		return "", err
	}
	margin := min(s.opts.RefreshBefore, expires.Sub(now)/2)
	s.token, s.expires, s.renewAt = token, expires, expires.Add(-margin)
	return token, nil
}

// Expires returns the expiry of the token Token last returned; zero before
// the first.
func (s *AppTokenSource) Expires() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expires
}

// exchange signs a JWT and trades it for an installation token.
func (s *AppTokenSource) exchange(ctx context.Context, now time.Time) (string, time.Time, error) {
	fail := func(status int, err error) (string, time.Time, error) {
		return "", time.Time{}, &AppError{AppID: s.opts.AppID, InstallationID: s.opts.InstallationID, Status: status, Err: err}
	}
	jwt, err := SignAppJWT(s.opts.PrivateKey, s.opts.AppID, now)
	if err != nil {
		return fail(0, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, nil)
	if err != nil {
		return fail(0, err)
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return fail(0, errors.New(strings.ReplaceAll(err.Error(), jwt, "[redacted]")))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fail(0, err)
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		var answer struct{ Message string }
		_ = json.Unmarshal(body, &answer)
		return fail(resp.StatusCode, fmt.Errorf("POST %s: %d %s", s.url, resp.StatusCode, answer.Message))
	}
	var answer struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&answer); err != nil || answer.Token == "" || answer.ExpiresAt.IsZero() {
		return fail(resp.StatusCode, fmt.Errorf("POST %s: the answer has no token and expires_at", s.url))
	}
	return answer.Token, answer.ExpiresAt, nil
}
