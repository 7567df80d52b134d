package forge

import (
	"context"

	"github.com/google/go-github/v60/github"
)

// ClosePullRequest comments on pull request number, then closes it without
// merging. It is idempotent: a closed (or merged) pull request is left
// alone, without comment and without error, and a comment with the same
// body already on the pull request is not posted again, so a retry or a
// restart never doubles it. An empty comment posts none. It reads GET
// /repos/{owner}/{repo}/pulls/{number} and, when commenting, GET then POST
// /repos/{owner}/{repo}/issues/{number}/comments, and closes with PATCH
// /repos/{owner}/{repo}/pulls/{number}. An unknown number is an *Error
// with Status 404.
func (g *GitHub) ClosePullRequest(ctx context.Context, number int, comment string) error {
	return g.call(ctx, "close pull request", func(ctx context.Context) error {
		pr, _, err := g.client.PullRequests.Get(ctx, g.owner, g.repo, number)
		if err != nil || pr.GetState() != "open" {
			return err
		}
		if comment != "" {
			posted, err := g.hasComment(ctx, number, comment)
			if err != nil {
				return err
			}
			if !posted {
				if _, _, err := g.client.Issues.CreateComment(ctx, g.owner, g.repo, number, &github.IssueComment{Body: github.String(comment)}); err != nil {
					return err
				}
			}
		}
		_, _, err = g.client.PullRequests.Edit(ctx, g.owner, g.repo, number, &github.PullRequest{State: github.String("closed")})
		return err
	})
}

// hasComment reports whether the pull request has a comment with body.
func (g *GitHub) hasComment(ctx context.Context, number int, body string) (bool, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		comments, resp, err := g.client.Issues.ListComments(ctx, g.owner, g.repo, number, opts)
		if err != nil {
			return false, err
		}
		for _, c := range comments {
			if c.GetBody() == body {
				return true, nil
			}
		}
		if resp.NextPage == 0 {
			return false, nil
		}
		opts.Page = resp.NextPage
	}
}
