package gitsync

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
)

// Options configures a [Repository].
type Options struct {
	// URL is the remote: https://, http://, ssh://, an scp-like address
	// (git@host:org/repo.git), file:// or a local path. Required. A
	// password in the URL (https://user:token@host/repo.git) is used as
	// basic auth and redacted from every error; prefer Auth.Password,
	// which keeps it out of the configuration.
	URL string
	// Branch is the branch that [Repository.Poll] watches, as a short name
	// such as "main". Required.
	Branch string
	// Dir holds the checkouts of Poll and Checkout, one subdirectory per
	// commit named by its full SHA, plus temporary ".tmp-*" directories
	// while one is being built or PushRevert works. Required; created if
	// missing. It must belong to this Repository alone: Poll removes the
	// SHA-named and ".tmp-*" entries it no longer keeps, left-overs of an
	// earlier process included. Other files in it are never touched.
	Dir string
	// Auth says where credentials come from. The zero value is anonymous.
	Auth Auth
}

// Checkout is one commit checked out on disk.
type Checkout struct {
	// Commit is the full SHA of the commit.
	Commit string
	// Dir is the working tree, Options.Dir/<Commit>. It holds a .git
	// directory with the fetched objects and the remote named "origin".
	// Callers read it and must not write to it.
	Dir string
	// Ref is the full name of the remote reference that was checked out,
	// such as "refs/heads/main" or "refs/tags/v1.2.0"; empty when a commit
	// was asked for by its SHA.
	Ref string
}

// Stats counts the remote operations of a Repository since New. Tests and
// benchmarks use it to tell an ls-remote from a fetch.
type Stats struct {
	// ListRemotes is the number of reference listings (ls-remote), failed
	// ones included.
	ListRemotes int64
	// Fetches is the number of fetches started, failed ones included.
	Fetches int64
	// Checkouts is the number of working trees written.
	Checkouts int64
	// Pushes is the number of pushes started by [Repository.PushRevert],
	// failed ones included.
	Pushes int64
}

// Repository watches one branch of one remote and keeps checkouts of it
// under Options.Dir. It is safe for concurrent use; Poll, Checkout and
// PushRevert calls are serialized.
//
// Poll keeps two checkouts: the current one and the one before it, so a
// checkout returned by Poll stays readable until the second Poll after it
// that moves. Checkouts returned by [Repository.Checkout] are never removed
// by the Repository.
type Repository struct {
	remote remote
	branch string
	dir    string
	auth   Auth

	mu       sync.Mutex
	current  Checkout
	previous Checkout
	pinned   map[string]Checkout // by Dir, from Checkout
	drafts   map[string]bool     // scratch directories of open RevertDrafts

	listRemotes atomic.Int64
	fetches     atomic.Int64
	checkouts   atomic.Int64
	pushes      atomic.Int64
}

// New checks the options and creates Options.Dir. It does not contact the
// remote. Errors are plain (not [*Error]): they are configuration mistakes.
func New(opts Options) (*Repository, error) {
	remote, err := parseRemote(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("gitsync: %w", err)
	}
	if opts.Branch == "" {
		return nil, fmt.Errorf("gitsync: Branch: required")
	}
	if err := plumbing.NewBranchReferenceName(opts.Branch).Validate(); err != nil {
		return nil, fmt.Errorf("gitsync: Branch %q: %w", opts.Branch, err)
	}
	if opts.Dir == "" {
		return nil, fmt.Errorf("gitsync: Dir: required")
	}
	if err := opts.Auth.validate(remote); err != nil {
		return nil, fmt.Errorf("gitsync: %w", err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("gitsync: Dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("gitsync: Dir: %w", err)
	}
	return &Repository{
		remote: remote,
		branch: opts.Branch,
		dir:    dir,
		auth:   opts.Auth,
		pinned: map[string]Checkout{},
		drafts: map[string]bool{},
	}, nil
}

// Stats returns the counters. It does not wait for a running operation.
func (r *Repository) Stats() Stats {
	return Stats{
		ListRemotes: r.listRemotes.Load(),
		Fetches:     r.fetches.Load(),
		Checkouts:   r.checkouts.Load(),
		Pushes:      r.pushes.Load(),
	}
}

// URL returns the remote URL with any password redacted, for logs.
func (r *Repository) URL() string { return r.remote.display }

// fail wraps a cause into an *Error of the Kind classify gives it, with the
// secrets redacted from its message.
func (r *Repository) fail(op, ref string, cause error, creds credentials) *Error {
	return &Error{
		Op:   op,
		URL:  r.remote.display,
		Ref:  ref,
		Kind: classify(cause),
		Err:  redact(cause, creds.secrets),
	}
}
