package forgeemu

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestErrorsHaveGitHubsShape(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cases := []struct {
		name       string
		body       string
		wantStatus int
		want       map[string]any
	}{
		{"malformed JSON is a 400", `{"title":`, http.StatusBadRequest, map[string]any{
			"message": "Problems parsing JSON", "documentation_url": documentationURL,
		}},
		{"a validation failure lists its errors", `{"head":"main","base":"main"}`, http.StatusUnprocessableEntity, map[string]any{
			"message":           "Validation Failed",
			"errors":            []any{map[string]any{"resource": "PullRequest", "field": "title", "code": "missing_field"}},
			"documentation_url": documentationURL,
		}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawRequest(t, http.MethodPost, srv.APIURL()+"repos/acme/shop/pulls", "Bearer "+testToken, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %s", got)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}
