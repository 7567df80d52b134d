package forgeemu

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// apiAuthorized checks the REST credentials as GitHub does: the header
// "Authorization: Bearer <token>" or "Authorization: token <token>". A
// missing header and a wrong token both answer 401.
func (s *Server) apiAuthorized(r *http.Request) *apiError {
	header := r.Header.Get("Authorization")
	if header == "" {
		return &apiError{Status: http.StatusUnauthorized, Message: "Requires authentication"}
	}
	scheme, token, _ := strings.Cut(header, " ")
	switch strings.ToLower(scheme) {
	case "bearer", "token":
		if s.validToken(strings.TrimSpace(token)) {
			return nil
		}
	}
	return &apiError{Status: http.StatusUnauthorized, Message: "Bad credentials"}
}

// gitAuthorized checks Git's HTTP basic credentials: any user name, the
// token as password. It returns the user name to run git http-backend as;
// an empty one becomes "x-access-token", the name GitHub documents.
func (s *Server) gitAuthorized(r *http.Request) (user string, ok bool) {
	user, password, ok := r.BasicAuth()
	if !ok || !s.validToken(password) {
		return "", false
	}
	if user == "" {
		user = "x-access-token"
	}
	return user, true
}

// validToken compares in constant time, so that timing tells nothing about
// the token.
func (s *Server) validToken(token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(*s.token.Load())) == 1 || s.validAppToken(token)
}

// SetToken replaces the one credential the emulator accepts, as a user
// rotating a personal access token on GitHub does: from then on the old
// token answers 401.
func (s *Server) SetToken(token string) {
	s.token.Store(&token)
}

// appAuthenticated reports whether the request, which apiAuthorized has
// accepted, carries an installation token of Options.App rather than the
// personal token.
func (s *Server) appAuthenticated(r *http.Request) bool {
	_, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return s.validAppToken(strings.TrimSpace(token))
}

// requireApp is GitHub's 403 for a write that only a GitHub App may make,
// such as creating a Check Run, when the token is not an App's.
func (s *Server) requireApp(r *http.Request) *apiError {
	if s.appAuthenticated(r) {
		return nil
	}
	return &apiError{Status: http.StatusForbidden, Message: "You must authenticate via a GitHub App."}
}
