package forge

import (
	"context"
	"strings"

	"github.com/google/go-github/v60/github"
)

// FindPullRequest returns the open pull request whose head is the branch
// head of this repository (the most recently opened one if there are
// several, into different bases), or nil when there is none. It reads GET
// /repos/{owner}/{repo}/pulls?state=open&head={owner}:{head}.
func (g *GitHub) FindPullRequest(ctx context.Context, head string) (*PullRequest, error) {
	var found *PullRequest
	err := g.call(ctx, "find pull request", func(ctx context.Context) error {
		var err error
		found, err = g.findOpen(ctx, head, "")
		return err
	})
	return found, err
}

// findOpen is one try at finding the newest open pull request from head
// into base (any base when empty). The answers are checked again here, so
// that a forge ignoring a filter cannot make it return another pull
// request.
func (g *GitHub) findOpen(ctx context.Context, head, base string) (*PullRequest, error) {
	opts := &github.PullRequestListOptions{
		State:       "open",
		Head:        g.owner + ":" + head,
		Base:        base,
		ListOptions: github.ListOptions{PerPage: 100},
	}
	for {
		pulls, resp, err := g.client.PullRequests.List(ctx, g.owner, g.repo, opts)
		if err != nil {
			return nil, err
		}
		for _, pr := range pulls {
			if pr.GetState() == "open" && pr.GetHead().GetRef() == head && g.ownRepository(pr.GetHead().GetRepo()) &&
				(base == "" || pr.GetBase().GetRef() == base) {
				return fromGitHub(pr), nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// ownRepository reports whether repo is this repository; an answer that
// does not say counts as this one.
func (g *GitHub) ownRepository(repo *github.Repository) bool {
	return repo.GetFullName() == "" || strings.EqualFold(repo.GetFullName(), g.owner+"/"+g.repo)
}
