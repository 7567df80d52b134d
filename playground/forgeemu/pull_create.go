package forgeemu

import (
	"net/http"
	"strings"
	"time"
)

// createPull serves POST /repos/{owner}/{repo}/pulls. Title, head and base
// are required; head is a branch of this repository, optionally written
// owner:branch; both branches must exist, differ, and head must have
// commits that base lacks. An open pull request from the same head into the
// same base is a 422 ("A pull request already exists for owner:branch.").
// It answers 201 with the pull request. Pull requests from forks and from
// issues answer 501.
func (s *Server) createPull(w http.ResponseWriter, r *http.Request, _ params) *apiError {
	var body struct {
		Title    string `json:"title"`
		Head     string `json:"head"`
		HeadRepo string `json:"head_repo"`
		Base     string `json:"base"`
		Body     string `json:"body"`
		Issue    *int   `json:"issue"`
		Draft    bool   `json:"draft"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Issue != nil {
		return notImplemented("creating a pull request from an issue")
	}
	head, err := s.headBranch(body.Head, body.HeadRepo)
	if err != nil {
		return err
	}
	for _, required := range []struct{ field, value string }{{"title", body.Title}, {"head", head}, {"base", body.Base}} {
		if required.value == "" {
			return validationFailed(fieldError{Resource: "PullRequest", Field: required.field, Code: "missing_field"})
		}
	}

	ctx := r.Context()
	baseSHA, ok, gitErr := s.repo.branchTip(ctx, body.Base)
	if gitErr != nil {
		return internalError(gitErr)
	}
	if !ok {
		return validationFailed(fieldError{Resource: "PullRequest", Field: "base", Code: "invalid"})
	}
	headSHA, ok, gitErr := s.repo.branchTip(ctx, head)
	if gitErr != nil {
		return internalError(gitErr)
	}
	if !ok {
		return validationFailed(fieldError{Resource: "PullRequest", Field: "head", Code: "invalid"})
	}
	contained, gitErr := s.repo.isAncestor(ctx, headSHA, baseSHA)
	if gitErr != nil {
		return internalError(gitErr)
	}
	if head == body.Base || contained {
		return customValidation("PullRequest", "No commits between %s and %s", body.Base, head)
	}
	if err := s.refreshAll(ctx); err != nil {
		return internalError(err)
	}
	if s.openDuplicate(head, body.Base, nil) != nil {
		return customValidation("PullRequest", "A pull request already exists for %s:%s.", s.opts.Owner, head)
	}

	now := time.Now()
	pr := &pullRecord{
		number:      len(s.pulls) + 1,
		title:       body.Title,
		body:        body.Body,
		head:        head,
		base:        body.Base,
		draft:       body.Draft,
		state:       "open",
		headSHA:     headSHA,
		baseSHA:     baseSHA,
		uncontained: [2]string{headSHA, baseSHA},
		created:     now,
		updated:     now,
	}
	s.pulls = append(s.pulls, pr)
	view, gitErr := s.pullJSON(ctx, pr, true)
	if gitErr != nil {
		return internalError(gitErr)
	}
	w.Header().Set("Location", view.URL)
	writeJSON(w, http.StatusCreated, view)
	return nil
}

// headBranch reads the head of a new pull request, "branch" or
// "owner:branch", with its optional head_repo. Another owner or repository
// is a fork, which the emulator does not have.
func (s *Server) headBranch(head, headRepo string) (string, *apiError) {
	if owner, branch, ok := strings.Cut(head, ":"); ok {
		if !strings.EqualFold(owner, s.opts.Owner) {
			return "", notImplemented("a pull request from a fork (%s)", owner)
		}
		head = branch
	}
	if headRepo != "" && !strings.EqualFold(headRepo, s.opts.Repo) && !strings.EqualFold(headRepo, s.fullName()) {
		return "", notImplemented("a pull request from another repository (%s)", headRepo)
	}
	return head, nil
}
