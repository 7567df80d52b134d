package forge

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestABadTokenIsA401ThatDoesNotShowTheToken(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	const wrong = "ghp_wrongTokenThatMustNotLeak"
	gh := f.client(GitHubOptions{Token: wrong})

	calls := map[string]func() error{
		"set status":        func() error { return gh.SetStatus(f.ctx, Status{SHA: f.head("main"), State: StateSuccess}) },
		"statuses":          func() error { _, err := gh.Statuses(f.ctx, "main"); return err },
		"find pull request": func() error { _, err := gh.FindPullRequest(f.ctx, "x"); return err },
		"open pull request": func() error {
			_, err := gh.OpenPullRequest(f.ctx, NewPullRequest{Title: "t", Head: "h", Base: "main"})
			return err
		},
		"close pull request": func() error { return gh.ClosePullRequest(f.ctx, 1, "c") },
		"pull request":       func() error { _, err := gh.PullRequest(f.ctx, 1); return err },
	}
	for op, call := range calls {
		t.Run(op, func(t *testing.T) {
			err := call()
			var forgeErr *Error
			if !errors.As(err, &forgeErr) || forgeErr.Status != http.StatusUnauthorized || forgeErr.Op != op {
				t.Fatalf("error = %v, want an *Error of %q with status 401", err, op)
			}
			if want := "flagger/workshop: " + op + ": 401 Bad credentials"; err.Error() != want {
				t.Errorf("error = %s, want %s", err, want)
			}
			for e := error(err); e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), wrong) || strings.Contains(fmt.Sprintf("%+v", e), wrong) {
					t.Errorf("the token shows in %T: %v", e, e)
				}
			}
		})
	}
}

func TestErrorRedactsTheTokenFromItsCause(t *testing.T) {
	t.Parallel()
	cause := fmt.Errorf("Get %q: connection refused", "https://x:s3cret@ghe.example.com/api/v3/")
	err := newError("o/r", "statuses", cause, "s3cret")
	if want := `o/r: statuses: Get "https://x:***@ghe.example.com/api/v3/": connection refused`; err.Error() != want {
		t.Errorf("Error() = %s\nwant        %s", err, want)
	}
	if errors.Unwrap(err).Error() != `Get "https://x:***@ghe.example.com/api/v3/": connection refused` {
		t.Errorf("the cause as unwrapped is not redacted: %v", errors.Unwrap(err))
	}
	if !errors.Is(err, cause) {
		t.Errorf("the error does not unwrap to its cause")
	}
}

func TestErrorReadsGitHubsMessageAndDetails(t *testing.T) {
	t.Parallel()
	request := &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Host: "api.github.com", Path: "/repos/o/r"}}
	answer := func(status int) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{}, Request: request}
	}
	cases := []struct {
		name          string
		err           error
		wantStatus    int
		wantMessage   string
		wantTemporary bool
	}{
		{"a validation failure with a message", &github.ErrorResponse{Response: answer(422), Message: "Validation Failed", Errors: []github.Error{{Resource: "PullRequest", Code: "custom", Message: "A pull request already exists for o:x."}}},
			422, "Validation Failed: A pull request already exists for o:x.", false},
		{"a validation failure without one", &github.ErrorResponse{Response: answer(422), Message: "Validation Failed", Errors: []github.Error{{Resource: "PullRequest", Field: "head", Code: "invalid"}}},
			422, "Validation Failed: PullRequest head invalid", false},
		{"a plain 404", &github.ErrorResponse{Response: answer(404), Message: "Not Found"}, 404, "Not Found", false},
		{"a server error", &github.ErrorResponse{Response: answer(502), Message: "Server Error"}, 502, "Server Error", true},
		{"a 429", &github.ErrorResponse{Response: answer(429), Message: "slow down"}, 429, "slow down", true},
		{"a primary rate limit", &github.RateLimitError{Response: answer(403), Message: "API rate limit exceeded"}, 403, "API rate limit exceeded", true},
		{"a secondary rate limit", &github.AbuseRateLimitError{Response: answer(403), Message: "You have exceeded a secondary rate limit"}, 403, "You have exceeded a secondary rate limit", true},
		{"no answer", errors.New("dial tcp: connection refused"), 0, "", true},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			err := newError("o/r", "op", tt.err, "token")
			if err.Status != tt.wantStatus || err.Message != tt.wantMessage || err.Temporary() != tt.wantTemporary {
				t.Errorf("status %d, message %q, temporary %t; want %d, %q, %t", err.Status, err.Message, err.Temporary(), tt.wantStatus, tt.wantMessage, tt.wantTemporary)
			}
		})
	}
}
