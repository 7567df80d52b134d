package forgeemu

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWhatIsNotImplementedFailsLoudly(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cases := []struct {
		name        string
		method      string
		path        string
		wantStatus  int
		wantAllow   string
		wantMessage string
	}{
		{"an unknown path is not found", http.MethodGet, "repos/acme/shop/widgets", http.StatusNotFound, "", "Not Found"},
		{"another repository is not found", http.MethodGet, "repos/acme/other/pulls", http.StatusNotFound, "", "Not Found"},
		{"a trailing slash is not found", http.MethodGet, "repos/acme/shop/pulls/", http.StatusNotFound, "", "Not Found"},
		{"a pull request number that is not a number is not found", http.MethodGet, "repos/acme/shop/pulls/abc", http.StatusNotFound, "", "Not Found"},
		{"deleting a pull request is not allowed", http.MethodDelete, "repos/acme/shop/pulls/1", http.StatusMethodNotAllowed, "GET, PATCH", "forgeemu: DELETE is not implemented here; this path serves GET, PATCH"},
		{"deleting statuses is not allowed", http.MethodDelete, "repos/acme/shop/commits/main/statuses", http.StatusMethodNotAllowed, "GET", "forgeemu: DELETE is not implemented here; this path serves GET"},
		{"getting the repository is not implemented", http.MethodGet, "repos/acme/shop", http.StatusNotImplemented, "", "forgeemu: GET /repos/{owner}/{repo} is not implemented"},
		{"listing issues is not implemented", http.MethodGet, "repos/acme/shop/issues", http.StatusNotImplemented, "", "forgeemu: GET /repos/{owner}/{repo}/issues is not implemented"},
		{"the authenticated user is not implemented", http.MethodGet, "user", http.StatusNotImplemented, "", "forgeemu: GET /user is not implemented"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawRequest(t, tt.method, srv.APIURL()+tt.path, "Bearer "+testToken, "")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			var got map[string]string
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("the body is not JSON: %s", body)
			}
			want := map[string]string{"message": tt.wantMessage, "documentation_url": documentationURL}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		pattern string
		path    string
		want    params
	}{
		{"literals match themselves", "/repos/{owner}/{repo}/pulls", "/repos/o/r/pulls", params{"owner": "o", "repo": "r"}},
		{"a wildcard takes one segment", "/repos/{owner}/{repo}/pulls/{number}", "/repos/o/r/pulls/7", params{"owner": "o", "repo": "r", "number": "7"}},
		{"a wildcard does not take two", "/repos/{owner}/{repo}/pulls/{number}", "/repos/o/r/pulls/7/x", nil},
		{"a multi-segment wildcard takes a branch with slashes", "/repos/{owner}/{repo}/commits/{ref...}/status", "/repos/o/r/commits/sluice/revert-x/status", params{"owner": "o", "repo": "r", "ref": "sluice/revert-x"}},
		{"a multi-segment wildcard takes as much as it can", "/repos/{owner}/{repo}/commits/{ref...}/status", "/repos/o/r/commits/a/status/status", params{"owner": "o", "repo": "r", "ref": "a/status"}},
		{"a multi-segment wildcard needs one segment", "/repos/{owner}/{repo}/commits/{ref...}/status", "/repos/o/r/commits/status", nil},
		{"a missing literal does not match", "/repos/{owner}/{repo}/pulls", "/repos/o/r", nil},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			segments, ok := splitPath(tt.path)
			if !ok {
				t.Fatalf("splitPath(%s) failed", tt.path)
			}
			got := params{}
			if !match(strings.Split(strings.TrimPrefix(tt.pattern, "/"), "/"), segments, got) {
				got = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("match (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitPathUnescapesSegmentsOnce(t *testing.T) {
	t.Parallel()
	got, ok := splitPath("/repos/o/r/commits/feature%2Fx/status")
	if !ok {
		t.Fatal("splitPath failed")
	}
	if diff := cmp.Diff([]string{"repos", "o", "r", "commits", "feature/x", "status"}, got); diff != "" {
		t.Errorf("segments (-want +got):\n%s", diff)
	}
}
