package forge

import "github.com/google/go-github/v60/github"

// PullRequest is a pull request as sluice needs to know it.
type PullRequest struct {
	// Number identifies it in the repository.
	Number int
	// Title and Body are its text.
	Title, Body string
	// Head is the branch it proposes to merge, HeadSHA that branch's tip.
	Head, HeadSHA string
	// Base is the branch it merges into.
	Base string
	// State is "open" or "closed"; a merged pull request is closed.
	State string
	// Merged is true once it was merged.
	Merged bool
	// URL is its web page.
	URL string
}

// NewPullRequest is a pull request to open. All fields but Body are
// required.
type NewPullRequest struct {
	// Title and Body are its text.
	Title, Body string
	// Head is the branch to merge, in the same repository.
	Head string
	// Base is the branch to merge into.
	Base string
}

// fromGitHub converts go-github's pull request. A merge time counts as
// merged because GitHub leaves "merged" out of lists.
func fromGitHub(pr *github.PullRequest) *PullRequest {
	return &PullRequest{
		Number:  pr.GetNumber(),
		Title:   pr.GetTitle(),
		Body:    pr.GetBody(),
		Head:    pr.GetHead().GetRef(),
		HeadSHA: pr.GetHead().GetSHA(),
		Base:    pr.GetBase().GetRef(),
		State:   pr.GetState(),
		Merged:  pr.GetMerged() || pr.MergedAt != nil,
		URL:     pr.GetHTMLURL(),
	}
}
