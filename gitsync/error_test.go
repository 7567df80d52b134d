package gitsync

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want Kind
	}{
		{"a 401 is auth", fmt.Errorf("%w: bad credentials", transport.ErrAuthenticationRequired), KindAuth},
		{"a 403 is auth", transport.ErrAuthorizationFailed, KindAuth},
		{"an unreadable credential is auth", &credentialsError{field: "Auth.Password", err: errors.New("missing")}, KindAuth},
		{"an unknown host key is auth", fmt.Errorf("ssh: handshake failed: %w", &xknownhosts.KeyError{}), KindAuth},
		{"a refused public key is auth", errors.New("ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey]"), KindAuth},
		{"a missing repository is not found", transport.ErrRepositoryNotFound, KindNotFound},
		{"an empty repository is not found", transport.ErrEmptyRemoteRepository, KindNotFound},
		{"a missing branch is not found", fmt.Errorf("branch %q %w", "main", errNotFound), KindNotFound},
		{"a commit upload-pack does not have is not found", errors.New("remote error: upload-pack: not our ref 1234"), KindNotFound},
		{"a cancelled context is transient", context.Canceled, KindTransient},
		{"anything else is transient", errors.New("unexpected EOF"), KindTransient},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorReadsSubjectFirstAndHidesSecrets(t *testing.T) {
	cause := fmt.Errorf("Get %q: %w", "http://u:p%40ss@host/repo/info/refs", transport.ErrAuthenticationRequired)
	err := &Error{Op: "ls-remote", URL: "http://u:***@host/repo", Ref: "main", Kind: KindAuth, Err: redact(cause, []string{"p@ss", ""})}

	want := `http://u:***@host/repo#main: ls-remote: Get "http://u:***@host/repo/info/refs": authentication required`
	if got := err.Error(); got != want {
		t.Errorf("Error() = %s\nwant        %s", got, want)
	}
	if !errors.Is(err, transport.ErrAuthenticationRequired) {
		t.Errorf("the redacted error no longer unwraps to its cause")
	}
}
