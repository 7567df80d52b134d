package gitsync

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// Kind classifies a failed remote operation by what the caller should do
// about it.
type Kind int

const (
	// KindTransient is a failure that may go away by itself: the network,
	// a timeout, a cancelled context, a server error, a truncated or corrupt
	// pack, the local disk. Retry with [Backoff]. It is the zero Kind.
	KindTransient Kind = iota
	// KindAuth means the remote refused the credentials, none were given
	// where some are needed, they could not be read, or the SSH host key is
	// not trusted. Retrying will not help until the configuration changes.
	KindAuth
	// KindNotFound means the repository, branch, tag or commit does not
	// exist on the remote.
	KindNotFound
)

// String returns "transient", "auth" or "not found".
func (k Kind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindAuth:
		return "auth"
	case KindNotFound:
		return "not found"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is the error of every remote operation of a [Repository]. Its
// message never contains a password, token or key passphrase.
type Error struct {
	// Op is the step that failed: "auth" (reading credentials),
	// "ls-remote", "fetch" or "checkout" (writing the working tree); for
	// [Repository.PushRevert] also "revert" (writing the commit locally)
	// and "push".
	Op string
	// URL is the remote, with any password replaced by [RedactURL].
	URL string
	// Ref is the branch, tag or commit that was asked for.
	Ref string
	// Kind says whether a retry can help.
	Kind Kind
	// Err is the cause. Its message is redacted like Error's; it unwraps to
	// the original error for errors.Is and errors.As, whose own message is
	// not redacted and must not be logged on its own.
	Err error
}

// Error reads "<url>#<ref>: <op>: <cause>".
func (e *Error) Error() string {
	return fmt.Sprintf("%s#%s: %s: %v", e.URL, e.Ref, e.Op, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether retrying the same operation may succeed, that is
// whether Kind is [KindTransient].
func (e *Error) Temporary() bool { return e.Kind == KindTransient }

// errNotFound marks a branch, tag or commit that the remote does not have.
var errNotFound = errors.New("not found")

// classify tells the Kind of a cause coming from go-git or from this package.
func classify(err error) Kind {
	var keyErr *xknownhosts.KeyError
	var credsErr *credentialsError
	switch {
	case errors.As(err, &credsErr),
		errors.Is(err, transport.ErrAuthenticationRequired),
		errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrInvalidAuthMethod),
		errors.As(err, &keyErr),
		// x/crypto/ssh has no typed error for a refused public key.
		strings.Contains(err.Error(), "ssh: unable to authenticate"):
		return KindAuth
	case errors.Is(err, errNotFound),
		// git upload-pack's answer to a want it does not have.
		strings.Contains(err.Error(), "not our ref"),
		errors.Is(err, transport.ErrRepositoryNotFound),
		errors.Is(err, transport.ErrEmptyRemoteRepository):
		return KindNotFound
	}
	return KindTransient
}

// redactedError carries a cause whose message had the secrets removed.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// redact returns err with every secret, raw or URL-escaped, replaced by "***"
// in its message, and surrounding white space (servers end their messages
// with a newline) trimmed.
func redact(err error, secrets []string) error {
	msg := err.Error()
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		for _, form := range []string{secret, url.PathEscape(secret), url.QueryEscape(secret)} {
			msg = strings.ReplaceAll(msg, form, "***")
		}
	}
	return &redactedError{msg: strings.TrimSpace(msg), cause: err}
}
