package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// errNotListedYet is a create refused as a duplicate whose twin the list
// does not show yet; another try will find it.
var errNotListedYet = errors.New("the forge says the pull request exists but does not list it yet")

// OpenPullRequest opens the pull request pr describes, or returns the open
// pull request from the same head into the same base if there is one
// already, unchanged. It is idempotent: each try looks for that pull
// request first (GET /repos/{owner}/{repo}/pulls?state=open&head=...&base=...)
// and only then creates one (POST /repos/{owner}/{repo}/pulls), so that a
// retry after a lost answer, or a restart, never opens a second one. A
// create refused with "A pull request already exists" returns the existing
// one as well. Title, Head and Base are required; Head is a bare branch
// name, not owner:branch.
func (g *GitHub) OpenPullRequest(ctx context.Context, pr NewPullRequest) (*PullRequest, error) {
	if pr.Title == "" || pr.Head == "" || pr.Base == "" {
		return nil, fmt.Errorf("forge: %s/%s: open pull request: title, head and base are required", g.owner, g.repo)
	}
	if strings.Contains(pr.Head, ":") {
		return nil, fmt.Errorf("forge: %s/%s: open pull request: head %q must be a branch of the repository, without owner", g.owner, g.repo, pr.Head)
	}
	var opened *PullRequest
	err := g.call(ctx, "open pull request", func(ctx context.Context) error {
		existing, err := g.findOpen(ctx, pr.Head, pr.Base)
		if err != nil || existing != nil {
			opened = existing
			return err
		}
		created, _, err := g.client.PullRequests.Create(ctx, g.owner, g.repo, &github.NewPullRequest{
			Title: github.String(pr.Title),
			Head:  github.String(pr.Head),
			Base:  github.String(pr.Base),
			Body:  github.String(pr.Body),
		})
		if err == nil {
			opened = fromGitHub(created)
			return nil
		}
		if !alreadyExists(err) {
			return err
		}
		// Opened meanwhile by another try or another sluice.
		if opened, err = g.findOpen(ctx, pr.Head, pr.Base); err != nil || opened != nil {
			return err
		}
		return errNotListedYet
	})
	return opened, err
}

// alreadyExists reports whether err is GitHub's 422 for a duplicate pull
// request.
func alreadyExists(err error) bool {
	var errResp *github.ErrorResponse
	if !errors.As(err, &errResp) || errResp.Response == nil || errResp.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, detail := range errResp.Errors {
		if strings.Contains(detail.Message, "already exists") {
			return true
		}
	}
	return strings.Contains(errResp.Message, "already exists")
}
