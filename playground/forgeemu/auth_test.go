package forgeemu

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRESTWantsTheTokenInTheAuthorizationHeader(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cases := []struct {
		name          string
		authorization string
		wantStatus    int
		wantMessage   string
	}{
		{"a bearer token is accepted", "Bearer " + testToken, http.StatusOK, ""},
		{"the token scheme is accepted", "token " + testToken, http.StatusOK, ""},
		{"no header needs authentication", "", http.StatusUnauthorized, "Requires authentication"},
		{"a wrong token is bad credentials", "Bearer wrong", http.StatusUnauthorized, "Bad credentials"},
		{"basic authentication is bad credentials", "Basic eDp5", http.StatusUnauthorized, "Bad credentials"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawRequest(t, http.MethodGet, srv.APIURL()+"repos/acme/shop/pulls", tt.authorization, "")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantMessage == "" {
				return
			}
			var got map[string]string
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"message": tt.wantMessage, "documentation_url": documentationURL}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGoGitHubWithABadTokenGets401(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	_, _, err := newClient(t, srv, "not-the-token").PullRequests.List(context.Background(), testOwner, testRepo, nil)
	wantStatus(t, err, http.StatusUnauthorized)
	if !strings.Contains(err.Error(), "Bad credentials") {
		t.Errorf("error = %v, want Bad credentials", err)
	}
}
