package forgeemu

import (
	"context"
	"strconv"
	"time"
)

// pullRecord is a pull request as the emulator keeps it. Its branches live
// in the repository; headSHA and baseSHA are their tips as last seen, which
// a closed pull request keeps.
type pullRecord struct {
	number         int
	title, body    string
	head, base     string
	draft          bool
	state          string // "open" or "closed"
	merged         bool
	mergeCommitSHA string
	headSHA        string
	baseSHA        string
	created        time.Time
	updated        time.Time
	closed         time.Time
	mergedAt       time.Time
	// uncontained are the head and base tips last seen with head having
	// commits base lacks, so that refresh need not ask git again.
	uncontained [2]string
}

// pull finds a pull request by number, or answers 404.
func (s *Server) pull(number int) (*pullRecord, *apiError) {
	if number < 1 || number > len(s.pulls) {
		return nil, notFound()
	}
	return s.pulls[number-1], nil
}

// loadPull finds the pull request the path's {number} names and brings
// it up to date with refresh; a bad or unknown number answers 404.
func (s *Server) loadPull(ctx context.Context, p params) (*pullRecord, *apiError) {
	number, apiErr := p.number()
	if apiErr != nil {
		return nil, apiErr
	}
	pr, apiErr := s.pull(number)
	if apiErr != nil {
		return nil, apiErr
	}
	if err := s.refresh(ctx, pr); err != nil {
		return nil, internalError(err)
	}
	return pr, nil
}

// refresh brings an open pull request up to date with its branches, as
// GitHub does on its own: the tips are read again; a deleted head branch
// closes it; a head that the base branch now contains (merged by a push)
// marks it merged.
func (s *Server) refresh(ctx context.Context, pr *pullRecord) error {
	if pr.state != "open" {
		return nil
	}
	tips, err := s.repo.branches(ctx)
	if err != nil {
		return err
	}
	return s.refreshWith(ctx, pr, tips)
}

// refreshAll refreshes every open pull request with one read of the
// branches.
func (s *Server) refreshAll(ctx context.Context) error {
	tips, err := s.repo.branches(ctx)
	if err != nil {
		return err
	}
	for _, pr := range s.pulls {
		if err := s.refreshWith(ctx, pr, tips); err != nil {
			return err
		}
	}
	return nil
}

// refreshWith is refresh with the branch tips read already.
func (s *Server) refreshWith(ctx context.Context, pr *pullRecord, tips map[string]string) error {
	if pr.state != "open" {
		return nil
	}
	headSHA, headOK := tips[pr.head]
	baseSHA, baseOK := tips[pr.base]
	if baseOK {
		pr.baseSHA = baseSHA
	}
	if !headOK {
		s.close(pr, time.Now())
		return nil
	}
	pr.headSHA = headSHA
	if !baseOK || pr.uncontained == [2]string{headSHA, baseSHA} {
		return nil
	}
	contained, err := s.repo.isAncestor(ctx, headSHA, baseSHA)
	if err != nil {
		return err
	}
	if !contained {
		pr.uncontained = [2]string{headSHA, baseSHA}
		return nil
	}
	now := time.Now()
	pr.merged, pr.mergedAt = true, now
	s.close(pr, now)
	return nil
}

// close marks a pull request closed at now.
func (s *Server) close(pr *pullRecord, now time.Time) {
	pr.state, pr.closed, pr.updated = "closed", now, now
}

// openDuplicate is the open pull request from head into base other than
// except, or nil.
func (s *Server) openDuplicate(head, base string, except *pullRecord) *pullRecord {
	for _, pr := range s.pulls {
		if pr != except && pr.state == "open" && pr.head == head && pr.base == base {
			return pr
		}
	}
	return nil
}

// pullJSON is GitHub's pull request object. The fields GitHub leaves out
// of lists (merged, mergeable, comments) are pointers left nil there.
type pullJSON struct {
	URL            string     `json:"url"`
	ID             int64      `json:"id"`
	NodeID         string     `json:"node_id"`
	HTMLURL        string     `json:"html_url"`
	DiffURL        string     `json:"diff_url"`
	PatchURL       string     `json:"patch_url"`
	IssueURL       string     `json:"issue_url"`
	CommentsURL    string     `json:"comments_url"`
	StatusesURL    string     `json:"statuses_url"`
	Number         int        `json:"number"`
	State          string     `json:"state"`
	Locked         bool       `json:"locked"`
	Title          string     `json:"title"`
	Body           *string    `json:"body"`
	User           userJSON   `json:"user"`
	CreatedAt      string     `json:"created_at"`
	UpdatedAt      string     `json:"updated_at"`
	ClosedAt       *string    `json:"closed_at"`
	MergedAt       *string    `json:"merged_at"`
	MergeCommitSHA *string    `json:"merge_commit_sha"`
	Draft          bool       `json:"draft"`
	Head           branchJSON `json:"head"`
	Base           branchJSON `json:"base"`
	Merged         *bool      `json:"merged,omitempty"`
	Mergeable      *bool      `json:"mergeable,omitempty"`
	MergedBy       *userJSON  `json:"merged_by,omitempty"`
	Comments       *int       `json:"comments,omitempty"`
}

// branchJSON is one side of a pull request.
type branchJSON struct {
	Label string   `json:"label"`
	Ref   string   `json:"ref"`
	SHA   string   `json:"sha"`
	User  userJSON `json:"user"`
	Repo  repoJSON `json:"repo"`
}

// repoJSON is GitHub's repository object, reduced to what identifies it.
type repoJSON struct {
	ID            int64    `json:"id"`
	Name          string   `json:"name"`
	FullName      string   `json:"full_name"`
	Owner         userJSON `json:"owner"`
	Private       bool     `json:"private"`
	HTMLURL       string   `json:"html_url"`
	URL           string   `json:"url"`
	CloneURL      string   `json:"clone_url"`
	DefaultBranch string   `json:"default_branch"`
}

// pullJSON renders a pull request. full adds what GitHub only answers for
// a single pull request; mergeable is then computed with a trial merge
// when the pull request is open.
func (s *Server) pullJSON(ctx context.Context, pr *pullRecord, full bool) (pullJSON, error) {
	apiURL := s.apiBase() + "/repos/" + s.fullName()
	number := strconv.Itoa(pr.number)
	view := pullJSON{
		URL:            apiURL + "/pulls/" + number,
		ID:             int64(pr.number),
		NodeID:         "PR_" + number,
		HTMLURL:        s.htmlBase() + "/pull/" + number,
		DiffURL:        s.htmlBase() + "/pull/" + number + ".diff",
		PatchURL:       s.htmlBase() + "/pull/" + number + ".patch",
		IssueURL:       apiURL + "/issues/" + number,
		CommentsURL:    apiURL + "/issues/" + number + "/comments",
		StatusesURL:    apiURL + "/statuses/" + pr.headSHA,
		Number:         pr.number,
		State:          pr.state,
		Title:          pr.title,
		Body:           nullable(pr.body),
		User:           s.owner(),
		CreatedAt:      timestamp(pr.created),
		UpdatedAt:      timestamp(pr.updated),
		ClosedAt:       optionalTimestamp(pr.closed),
		MergedAt:       optionalTimestamp(pr.mergedAt),
		MergeCommitSHA: nullable(pr.mergeCommitSHA),
		Draft:          pr.draft,
		Head:           s.branchJSON(pr.head, pr.headSHA),
		Base:           s.branchJSON(pr.base, pr.baseSHA),
	}
	if !full {
		return view, nil
	}
	merged, comments := pr.merged, s.commentCount(pr.number)
	view.Merged, view.Comments = &merged, &comments
	if merged {
		owner := s.owner()
		view.MergedBy = &owner
	}
	if pr.state == "open" {
		_, clean, err := s.repo.mergeTree(ctx, pr.baseSHA, pr.headSHA)
		if err != nil {
			return pullJSON{}, err
		}
		view.Mergeable = &clean
	}
	return view, nil
}

// branchJSON renders one side of a pull request.
func (s *Server) branchJSON(ref, sha string) branchJSON {
	return branchJSON{
		Label: s.opts.Owner + ":" + ref,
		Ref:   ref,
		SHA:   sha,
		User:  s.owner(),
		Repo: repoJSON{
			ID:            1,
			Name:          s.opts.Repo,
			FullName:      s.fullName(),
			Owner:         s.owner(),
			Private:       true,
			HTMLURL:       s.htmlBase(),
			URL:           s.apiBase() + "/repos/" + s.fullName(),
			CloneURL:      s.GitURL(),
			DefaultBranch: s.defaultBranch,
		},
	}
}
