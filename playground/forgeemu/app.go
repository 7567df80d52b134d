package forgeemu

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// App is a GitHub App installed on the emulated repository's owner. The
// emulator verifies the JWTs it signs and mints installation tokens that
// expire, so that a client's refresh is tested.
type App struct {
	// ID is the App id, the "iss" its JWTs must carry. Required.
	ID int64
	// InstallationID is the one installation tokens are minted for.
	// Required.
	InstallationID int64
	// PublicKey verifies the JWTs' RS256 signatures. Required.
	PublicKey *rsa.PublicKey
	// TokenTTL is the lifetime of an installation token. Zero means one
	// hour, as on GitHub; tests set a few seconds.
	TokenTTL time.Duration
}

// appTokenPrefix starts every installation token, as "ghs_" does on GitHub.
const appTokenPrefix = "ghs_"

// accessTokensPath is the endpoint that exchanges a JWT for a token.
func accessTokensPath(path string) (installation string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/app/installations/")
	if !ok {
		return "", false
	}
	installation, ok = strings.CutSuffix(rest, "/access_tokens")
	return installation, ok && installation != "" && !strings.Contains(installation, "/")
}

// serveAccessToken answers POST /app/installations/{id}/access_tokens:
// 401 for a JWT that is missing, malformed, badly signed, expired or of
// another App; 404 for another installation; else 201 with a new token.
func (s *Server) serveAccessToken(w http.ResponseWriter, r *http.Request, installation string) {
	app := s.opts.App
	if app == nil {
		writeError(w, notFound())
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Message: "Method Not Allowed"})
		return
	}
	scheme, jwt, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") {
		writeError(w, &apiError{Status: http.StatusUnauthorized, Message: "A JSON web token could not be decoded"})
		return
	}
	if msg := verifyAppJWT(jwt, app, time.Now()); msg != "" {
		writeError(w, &apiError{Status: http.StatusUnauthorized, Message: msg})
		return
	}
	if installation != strconv.FormatInt(app.InstallationID, 10) {
		writeError(w, notFound())
		return
	}
	ttl := app.TokenTTL
	if ttl == 0 {
		ttl = time.Hour
	}
	random := make([]byte, 18)
	_, _ = rand.Read(random)
	token := appTokenPrefix + hex.EncodeToString(random)
	expires := time.Now().Add(ttl)
	s.appMu.Lock()
	if s.appTokens == nil {
		s.appTokens = map[string]time.Time{}
	}
	for t, e := range s.appTokens { // forget expired tokens: memory stays bounded
		if time.Now().After(e) {
			delete(s.appTokens, t)
		}
	}
	s.appTokens[token] = expires
	s.appMinted++
	s.appMu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":       token,
		"expires_at":  expires.UTC().Format(time.RFC3339Nano),
		"permissions": map[string]string{"checks": "write", "contents": "write", "pull_requests": "write", "statuses": "write"},
	})
}

// verifyAppJWT checks the JWT as GitHub does and returns GitHub's message
// for the first fault, or "" when it is valid.
func verifyAppJWT(jwt string, app *App, now time.Time) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "A JSON web token could not be decoded"
	}
	var header struct{ Alg string }
	var claims struct {
		Iss json.RawMessage
		Iat int64
		Exp int64
	}
	rawHeader, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	rawClaims, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	signature, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(rawHeader, &header) != nil || json.Unmarshal(rawClaims, &claims) != nil {
		return "A JSON web token could not be decoded"
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if header.Alg != "RS256" || rsa.VerifyPKCS1v15(app.PublicKey, crypto.SHA256, digest[:], signature) != nil {
		return "A JSON web token could not be decoded" // GitHub's answer to a key of another App
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	if iss != strconv.FormatInt(app.ID, 10) {
		return "Integration not found"
	}
	switch {
	case claims.Exp == 0 || now.Unix() >= claims.Exp:
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case claims.Exp-claims.Iat > 600:
		return "'Expiration time' claim ('exp') is too far in the future"
	case claims.Iat > now.Unix()+60:
		return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	}
	return ""
}

// validAppToken reports whether token is an installation token minted and
// not yet expired.
func (s *Server) validAppToken(token string) bool {
	if !strings.HasPrefix(token, appTokenPrefix) {
		return false
	}
	s.appMu.Lock()
	defer s.appMu.Unlock()
	for t, expires := range s.appTokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
			return time.Now().Before(expires)
		}
	}
	return false
}

// AppTokensMinted returns how many installation tokens the emulator has
// minted since New.
func (s *Server) AppTokensMinted() int {
	s.appMu.Lock()
	defer s.appMu.Unlock()
	return s.appMinted
}
