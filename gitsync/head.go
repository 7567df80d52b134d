package gitsync

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

// Head returns the full SHA the watched branch points to on the remote. It
// costs one ls-remote and fetches nothing. Errors are [*Error]; a branch the
// remote does not have is [KindNotFound].
func (r *Repository) Head(ctx context.Context) (string, error) {
	creds, err := r.credentials()
	if err != nil {
		return "", r.fail("auth", r.branch, err, creds)
	}
	adv, err := r.listRemote(ctx, creds)
	if err != nil {
		return "", r.fail("ls-remote", r.branch, err, creds)
	}
	head, err := adv.branchHead(r.branch)
	if err != nil {
		return "", r.fail("ls-remote", r.branch, err, creds)
	}
	return head.String(), nil
}

// advertisement is what an ls-remote learns about the remote.
type advertisement struct {
	// refs maps each reference name to the object it points to.
	refs map[plumbing.ReferenceName]plumbing.Hash
	// peeled maps each annotated tag to the commit it points to.
	peeled map[plumbing.ReferenceName]plumbing.Hash
	// shallow tells whether the server can send a history of depth 1.
	shallow bool
	// exactSHA tells whether the server lets a client ask for a commit by
	// its SHA rather than by a reference name.
	exactSHA bool
}

// branchHead returns the commit the branch points to.
func (a advertisement) branchHead(branch string) (plumbing.Hash, error) {
	head, ok := a.refs[plumbing.NewBranchReferenceName(branch)]
	if !ok {
		return plumbing.ZeroHash, fmt.Errorf("branch %q %w", branch, errNotFound)
	}
	return head, nil
}

// listRemote reads the references and capabilities the remote advertises:
// one round trip, the same as go-git's Remote.List, which does not return
// the capabilities that decide between a shallow and a full fetch.
func (r *Repository) listRemote(ctx context.Context, creds credentials) (adv advertisement, err error) {
	r.listRemotes.Add(1)
	endpoint, err := transport.NewEndpoint(r.remote.url)
	if err != nil {
		return adv, err
	}
	tr, err := client.NewClient(endpoint)
	if err != nil {
		return adv, err
	}
	session, err := tr.NewUploadPackSession(endpoint, creds.method)
	if err != nil {
		return adv, err
	}
	defer func() {
		if closeErr := session.Close(); err == nil && closeErr != nil {
			err = closeErr
		}
	}()
	advertised, err := session.AdvertisedReferencesContext(ctx)
	if err != nil {
		return adv, err
	}
	adv = advertisement{
		refs:    make(map[plumbing.ReferenceName]plumbing.Hash, len(advertised.References)),
		peeled:  make(map[plumbing.ReferenceName]plumbing.Hash, len(advertised.Peeled)),
		shallow: advertised.Capabilities.Supports(capability.Shallow),
		exactSHA: advertised.Capabilities.Supports(capability.AllowReachableSHA1InWant) ||
			advertised.Capabilities.Supports(capability.AllowTipSHA1InWant),
	}
	for name, hash := range advertised.References {
		adv.refs[plumbing.ReferenceName(name)] = hash
	}
	for name, hash := range advertised.Peeled {
		adv.peeled[plumbing.ReferenceName(name)] = hash
	}
	return adv, nil
}
