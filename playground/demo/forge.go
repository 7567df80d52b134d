package demo

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/sluicehq/sluice/playground/forgeemu"
)

// The repository the emulator serves.
const (
	repoOwner = "demo"
	repoName  = "fleet"
)

// CommitStatus is a commit status as the forge's REST API returns it.
type CommitStatus struct {
	// State is pending, success, failure or error.
	State string
	// Description is sluice's words, such as "canary weight 10% — step 2/3".
	Description string
}

// PullRequest is a pull request as the forge's REST API returns it.
type PullRequest struct {
	Number int
	// Title, Body and URL (its web page) are the forge's.
	Title, Body, URL string
	// Head is the branch it merges, Base the branch it merges into.
	Head, Base string
	// Files are the files it changes, with their patches.
	Files []ChangedFile
}

// ChangedFile is a file that a pull request changes.
type ChangedFile struct {
	// Filename is the path in the repository.
	Filename string
	// Status is added, modified or removed.
	Status string
	// Patch is the unified diff of the file, without its header.
	Patch string
	// Additions and Deletions count the changed lines.
	Additions, Deletions int
}

// user acts on the forge as a developer would: pushes branches, opens and
// merges pull requests through the REST API, reads commit statuses.
type user struct {
	forge *forgeemu.Server
	gh    *github.Client
}

// newUser returns a user of the forge with token.
func newUser(forge *forgeemu.Server, token string) (*user, error) {
	gh, err := github.NewClient(&http.Client{Timeout: 30 * time.Second}).WithAuthToken(token).WithEnterpriseURLs(forge.APIURL(), forge.APIURL())
	if err != nil {
		return nil, fmt.Errorf("forge client: %w", err)
	}
	return &user{forge: forge, gh: gh}, nil
}

// push commits files on a new branch that starts at main, and returns the
// commit's SHA.
func (u *user) push(ctx context.Context, branch, message string, files map[string]string) (string, error) {
	return u.forge.Commit(ctx, forgeemu.Change{Branch: branch, From: "main", Message: message, Write: files})
}

// open opens a pull request of branch into main.
func (u *user) open(ctx context.Context, branch, title, body string) (*github.PullRequest, error) {
	pr, _, err := u.gh.PullRequests.Create(ctx, repoOwner, repoName, &github.NewPullRequest{
		Title: &title, Head: &branch, Base: github.String("main"), Body: &body,
	})
	if err != nil {
		return nil, fmt.Errorf("open pull request %q: %w", title, err)
	}
	return pr, nil
}

// merge merges pull request number with a merge commit and returns the
// merge commit's SHA.
func (u *user) merge(ctx context.Context, number int) (string, error) {
	result, _, err := u.gh.PullRequests.Merge(ctx, repoOwner, repoName, number, "", &github.PullRequestOptions{MergeMethod: "merge"})
	if err != nil {
		return "", fmt.Errorf("merge pull request #%d: %w", number, err)
	}
	if !result.GetMerged() || result.GetSHA() == "" {
		return "", fmt.Errorf("merge pull request #%d: not merged: %s", number, result.GetMessage())
	}
	return result.GetSHA(), nil
}

// statuses returns the commit statuses of sha in sluice's context, oldest
// first.
func (u *user) statuses(ctx context.Context, sha string) ([]CommitStatus, error) {
	var all []CommitStatus
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := u.gh.Repositories.ListStatuses(ctx, repoOwner, repoName, sha, opts)
		if err != nil {
			return nil, fmt.Errorf("statuses of %s: %w", short(sha), err)
		}
		for _, st := range page {
			if st.GetContext() == StatusContext {
				all = append(all, CommitStatus{State: st.GetState(), Description: st.GetDescription()})
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	slices.Reverse(all) // the API lists the newest first
	return all, nil
}

// pullRequest reads pull request number and the files it changes.
func (u *user) pullRequest(ctx context.Context, number int) (*PullRequest, error) {
	pr, _, err := u.gh.PullRequests.Get(ctx, repoOwner, repoName, number)
	if err != nil {
		return nil, fmt.Errorf("pull request #%d: %w", number, err)
	}
	files, _, err := u.gh.PullRequests.ListFiles(ctx, repoOwner, repoName, number, &github.ListOptions{PerPage: 100})
	if err != nil {
		return nil, fmt.Errorf("files of pull request #%d: %w", number, err)
	}
	out := &PullRequest{
		Number: pr.GetNumber(), Title: pr.GetTitle(), Body: pr.GetBody(), URL: pr.GetHTMLURL(),
		Head: pr.GetHead().GetRef(), Base: pr.GetBase().GetRef(),
	}
	for _, f := range files {
		out.Files = append(out.Files, ChangedFile{
			Filename: f.GetFilename(), Status: f.GetStatus(), Patch: f.GetPatch(),
			Additions: f.GetAdditions(), Deletions: f.GetDeletions(),
		})
	}
	return out, nil
}

// pullsURL is the REST URL that lists the open pull requests, for people
// to open meanwhile.
func (u *user) pullsURL() string {
	return fmt.Sprintf("%srepos/%s/%s/pulls", u.forge.APIURL(), repoOwner, repoName)
}
