package forge

import (
	"context"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Statuses returns the latest status of each context on the commit ref
// names (a SHA, a branch or a tag), sorted by context, from GET
// /repos/{owner}/{repo}/commits/{ref}/status read page by page. SHA is the
// commit ref resolved to. A commit without statuses gives none.
func (g *GitHub) Statuses(ctx context.Context, ref string) ([]Status, error) {
	var statuses []Status
	opts := &github.ListOptions{PerPage: 100}
	for {
		var combined *github.CombinedStatus
		var resp *github.Response
		err := g.call(ctx, "statuses", func(ctx context.Context) error {
			var err error
			combined, resp, err = g.client.Repositories.GetCombinedStatus(ctx, g.owner, g.repo, ref, opts)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, st := range combined.Statuses {
			statuses = append(statuses, Status{
				SHA:         combined.GetSHA(),
				Context:     st.GetContext(),
				State:       State(st.GetState()),
				Description: st.GetDescription(),
				TargetURL:   st.GetTargetURL(),
			})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	slices.SortFunc(statuses, func(a, b Status) int { return strings.Compare(a.Context, b.Context) })
	return statuses, nil
}
