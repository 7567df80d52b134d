package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-github/v60/github"
)

// SetCheckRun writes run as the one Check Run of its name on its commit:
// it updates that run (PATCH /repos/{owner}/{repo}/check-runs/{id}) when
// there is one, else creates it (POST /repos/{owner}/{repo}/check-runs).
// The id of a run is remembered (at most 1000 of them, all forgotten when
// full); a run it does not know is looked up with GET
// /repos/{owner}/{repo}/commits/{sha}/check-runs?check_name=...&filter=latest,
// read page by page, with app_id when GitHubOptions.AppID is set (a run of
// another App is never updated, whatever its name). Each try looks up before it creates, so a retry after
// a lost answer, or a restart, never makes a second run; a remembered run
// that is gone (404) is forgotten and created again.
//
// The summary is cut to GitHub's 65535 characters with a last line saying
// so, the title to 255 characters. A run without SHA, Name, Title or
// Summary, with a status other than in_progress or completed, or with a
// conclusion missing, unknown or given while in progress is refused before
// any request. Retried as the package says. Only a GitHub App may write
// Check Runs: with a personal token the *Error has Status 403 and says so.
func (g *GitHub) SetCheckRun(ctx context.Context, run CheckRun) error {
	if err := run.validate(); err != nil {
		return fmt.Errorf("forge: %s/%s: set check run %q on %s: %w", g.owner, g.repo, run.Name, run.SHA, err)
	}
	err := g.call(ctx, "set check run", func(ctx context.Context) error {
		return g.writeCheckRun(ctx, run, time.Now())
	})
	var ghErr *Error
	if errors.As(err, &ghErr) && ghErr.Status == http.StatusForbidden {
		ghErr.Message += " (Check Runs need GitHub App authentication; a personal access token cannot write them)"
	}
	return err
}

// writeCheckRun is one try of SetCheckRun: find the run, update it, or
// create it when there is none.
func (g *GitHub) writeCheckRun(ctx context.Context, run CheckRun, now time.Time) error {
	id, known := g.checkRuns.get(run.SHA, run.Name)
	if !known {
		var err error
		if id, err = g.findCheckRun(ctx, run.SHA, run.Name); err != nil {
			return err
		}
		known = id != 0
	}
	if known {
		_, _, err := g.client.Checks.UpdateCheckRun(ctx, g.owner, g.repo, id, updateCheckRunOptions(run, now))
		if !isNotFound(err) {
			if err == nil {
				g.checkRuns.put(run.SHA, run.Name, id)
			}
			return err
		}
		g.checkRuns.forget(run.SHA, run.Name) // deleted behind sluice's back
	}
	created, _, err := g.client.Checks.CreateCheckRun(ctx, g.owner, g.repo, createCheckRunOptions(run, now))
	if err != nil {
		return err
	}
	g.checkRuns.put(run.SHA, run.Name, created.GetID())
	return nil
}

// findCheckRun returns the id of the newest Check Run of name on sha
// written by this App (any, without GitHubOptions.AppID), or zero when there
// is none.
func (g *GitHub) findCheckRun(ctx context.Context, sha, name string) (int64, error) {
	opts := &github.ListCheckRunsOptions{
		CheckName:   github.String(name),
		Filter:      github.String("latest"),
		ListOptions: github.ListOptions{PerPage: 100},
	}
	if g.appID != 0 {
		opts.AppID = github.Int64(g.appID)
	}
	for {
		result, resp, err := g.client.Checks.ListCheckRunsForRef(ctx, g.owner, g.repo, sha, opts)
		if err != nil {
			return 0, err
		}
		for _, found := range result.CheckRuns {
			// The App is checked here too: a forge that ignored app_id
			// must not make sluice update another App's run.
			if found.GetName() == name && (g.appID == 0 || found.GetApp().GetID() == g.appID) {
				return found.GetID(), nil
			}
		}
		if resp.NextPage == 0 {
			return 0, nil
		}
		opts.Page = resp.NextPage
	}
}

// createCheckRunOptions is the body that creates run, started now.
func createCheckRunOptions(run CheckRun, now time.Time) github.CreateCheckRunOptions {
	update := updateCheckRunOptions(run, now)
	return github.CreateCheckRunOptions{
		Name:        run.Name,
		HeadSHA:     run.SHA,
		ExternalID:  update.ExternalID,
		DetailsURL:  update.DetailsURL,
		Status:      update.Status,
		Conclusion:  update.Conclusion,
		StartedAt:   &github.Timestamp{Time: now},
		CompletedAt: update.CompletedAt,
		Output:      update.Output,
	}
}

// updateCheckRunOptions is the body that makes an existing run read run,
// completed now if it is completed.
func updateCheckRunOptions(run CheckRun, now time.Time) github.UpdateCheckRunOptions {
	opts := github.UpdateCheckRunOptions{
		Name:   run.Name,
		Status: github.String(string(run.Status)),
		Output: &github.CheckRunOutput{
			Title:   github.String(truncateTitle(run.Title)),
			Summary: github.String(truncateSummary(run.Summary)),
		},
	}
	if run.ExternalID != "" {
		opts.ExternalID = github.String(run.ExternalID)
	}
	if run.DetailsURL != "" {
		opts.DetailsURL = github.String(run.DetailsURL)
	}
	if run.Status == CheckRunCompleted {
		opts.Conclusion = github.String(string(run.Conclusion))
		opts.CompletedAt = &github.Timestamp{Time: now}
	}
	return opts
}

// isNotFound reports whether err is a 404 answer.
func isNotFound(err error) bool {
	var errResp *github.ErrorResponse
	return errors.As(err, &errResp) && errResp.Response != nil && errResp.Response.StatusCode == http.StatusNotFound
}
