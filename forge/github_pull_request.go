package forge

import "context"

// PullRequest reads pull request number with GET
// /repos/{owner}/{repo}/pulls/{number}. An unknown number is an *Error
// with Status 404.
func (g *GitHub) PullRequest(ctx context.Context, number int) (*PullRequest, error) {
	var found *PullRequest
	err := g.call(ctx, "pull request", func(ctx context.Context) error {
		pr, _, err := g.client.PullRequests.Get(ctx, g.owner, g.repo, number)
		if err == nil {
			found = fromGitHub(pr)
		}
		return err
	})
	return found, err
}
