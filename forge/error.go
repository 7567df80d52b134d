package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Error is the error of every GitHub method once retries are over. Its
// message never contains the token.
type Error struct {
	// Repository is owner/repo.
	Repository string
	// Op is the method that failed: "set status", "statuses", "set check
	// run", "find pull request", "open pull request", "close pull request"
	// or "pull request".
	Op string
	// Status is the HTTP status of the last answer: 404 for an unknown
	// pull request, 422 for a request GitHub refused, 401 for a bad
	// token, 403 for a Check Run written without a GitHub App. Zero when there was no answer (network, timeout, cancelled
	// context).
	Status int
	// Message is GitHub's message with the details of its errors list,
	// such as "Validation Failed: A pull request already exists for
	// acme:x.". Empty when Status is zero.
	Message string
	// Err is the cause. Its message is redacted like Error's; it unwraps
	// to go-github's error for errors.As.
	Err error
}

// Error reads "<owner/repo>: <op>: <status> <message>", or the cause
// instead of status and message when there was no answer. When the
// context ended the retries, it says so after the last answer.
func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s: %s: %v", e.Repository, e.Op, e.Err)
	}
	msg := fmt.Sprintf("%s: %s: %d %s", e.Repository, e.Op, e.Status, e.Message)
	for _, stop := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(e.Err, stop) {
			msg += " (retries stopped: " + stop.Error() + ")"
		}
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the same call may succeed later: there was no
// answer, or the answer was a rate limit or a server error.
func (e *Error) Temporary() bool {
	return e.Status == 0 || e.Status == http.StatusTooManyRequests || e.Status >= 500 || isRateLimit(e.Err)
}

// newError builds the Error of op from go-github's error, with every
// occurrence of the secrets removed.
func newError(repository, op string, err error, secrets ...string) *Error {
	e := &Error{Repository: repository, Op: op, Err: redact(err, secrets...)}
	var errResp *github.ErrorResponse
	var rateLimit *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	switch {
	case errors.As(err, &errResp) && errResp.Response != nil:
		e.Status, e.Message = errResp.Response.StatusCode, describe(errResp)
	case errors.As(err, &rateLimit) && rateLimit.Response != nil:
		e.Status, e.Message = rateLimit.Response.StatusCode, rateLimit.Message
	case errors.As(err, &abuse) && abuse.Response != nil:
		e.Status, e.Message = abuse.Response.StatusCode, abuse.Message
	}
	e.Message = redactString(e.Message, secrets...)
	return e
}

// describe is GitHub's message followed by the details of its errors list.
func describe(errResp *github.ErrorResponse) string {
	var details []string
	for _, detail := range errResp.Errors {
		switch {
		case detail.Message != "":
			details = append(details, detail.Message)
		default:
			details = append(details, strings.TrimSpace(fmt.Sprintf("%s %s %s", detail.Resource, detail.Field, detail.Code)))
		}
	}
	if len(details) == 0 {
		return errResp.Message
	}
	return errResp.Message + ": " + strings.Join(details, "; ")
}

// isRateLimit reports whether err is one of GitHub's rate limits.
func isRateLimit(err error) bool {
	var rateLimit *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	return errors.As(err, &rateLimit) || errors.As(err, &abuse)
}

// redactedError carries a cause whose message had the secret removed.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// redact returns err with every occurrence of secret in its message
// replaced by "***".
func redact(err error, secrets ...string) error {
	return &redactedError{msg: redactString(err.Error(), secrets...), cause: err}
}

// redactString replaces every occurrence of each secret in s by "***".
func redactString(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}
