// Package gitsync watches one branch of one Git repository and keeps a
// checkout of its head on disk.
//
// A [Repository] is made with [New] from [Options]. Each [Repository.Poll]
// first asks the remote for its references (the ls-remote of Git, one round
// trip); when the branch head has not moved since the last successful poll,
// nothing is fetched and the previous [Checkout] is returned unchanged. When
// it moved, the branch is fetched with depth 1 into a fresh repository of its
// own and that commit is checked out into Options.Dir/<full sha>. The
// directory appears only once it is complete (it is built under a temporary
// name and renamed), so a caller never sees half a checkout.
//
// Remotes are reached with go-git over https, http, ssh, file:// and plain
// local paths (git:// works too, without authentication). The file transport
// runs the git-upload-pack program (git-receive-pack to push), which must be
// on PATH or in `git --exec-path`.
//
// [Repository.PushRevert] writes back: it pushes a branch with one commit
// that reverts a failed change to some files on top of the watched branch,
// built with go-git alone, and reports a [*ConflictError] rather than
// guess when the branch changed the same lines since.
//
// Failures are returned as [*Error], classified by [Kind] so that the caller
// can decide whether to retry (with [Backoff]) or to report a configuration
// problem. No error message ever contains a password or token: credentials
// embedded in the URL and those read through [Auth] are redacted.
package gitsync
