package forge

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// SetStatus records st on its commit with POST
// /repos/{owner}/{repo}/statuses/{sha}. The description is cut to GitHub's
// 140 characters. Retried as the package says; a retry after a lost answer
// may record the same status twice, which changes nothing GitHub shows.
// A missing SHA or an unknown State is refused before any request.
func (g *GitHub) SetStatus(ctx context.Context, st Status) error {
	if st.SHA == "" {
		return fmt.Errorf("forge: %s/%s: set status: the commit SHA is required", g.owner, g.repo)
	}
	if !st.State.valid() {
		return fmt.Errorf("forge: %s/%s: set status on %s: unknown state %q", g.owner, g.repo, st.SHA, st.State)
	}
	status := &github.RepoStatus{
		State:       github.String(string(st.State)),
		Description: github.String(truncateDescription(st.Description)),
	}
	if st.Context != "" {
		status.Context = github.String(st.Context)
	}
	if st.TargetURL != "" {
		status.TargetURL = github.String(st.TargetURL)
	}
	return g.call(ctx, "set status", func(ctx context.Context) error {
		_, _, err := g.client.Repositories.CreateStatus(ctx, g.owner, g.repo, st.SHA, status)
		return err
	})
}
