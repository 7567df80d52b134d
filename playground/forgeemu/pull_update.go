package forgeemu

import (
	"net/http"
	"time"
)

// updatePull serves PATCH /repos/{owner}/{repo}/pulls/{number}: title,
// body, state (open or closed) and base can change. Closing a closed pull
// request changes nothing. Reopening is refused (422) for a merged pull
// request, when the head branch is gone, when head has nothing base lacks,
// and when another open pull request has the same head and base. The base
// of a closed pull request cannot change. It answers 200 with the pull
// request.
func (s *Server) updatePull(w http.ResponseWriter, r *http.Request, p params) *apiError {
	var body struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
		Base  *string `json:"base"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	pr, apiErr := s.loadPull(r.Context(), p)
	if apiErr != nil {
		return apiErr
	}
	if body.Title != nil && *body.Title == "" {
		return validationFailed(fieldError{Resource: "PullRequest", Field: "title", Code: "missing_field"})
	}
	state := pr.state
	if body.State != nil {
		state = *body.State
	}
	if state != "open" && state != "closed" {
		return validationFailed(fieldError{Resource: "PullRequest", Field: "state", Code: "invalid"})
	}
	base := pr.base
	if body.Base != nil && *body.Base != pr.base {
		if state == "closed" {
			return customValidation("PullRequest", "Cannot change the base branch of a closed pull request.")
		}
		base = *body.Base
	}
	if err := s.checkReopen(r, pr, state, base); err != nil {
		return err
	}

	now := time.Now()
	if body.Title != nil {
		pr.title = *body.Title
	}
	if body.Body != nil {
		pr.body = *body.Body
	}
	pr.base, pr.updated = base, now
	switch {
	case state == "closed" && pr.state == "open":
		s.close(pr, now)
	case state == "open":
		pr.state, pr.closed = "open", time.Time{}
		if err := s.refresh(r.Context(), pr); err != nil {
			return internalError(err)
		}
	}
	view, err := s.pullJSON(r.Context(), pr, true)
	if err != nil {
		return internalError(err)
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

// checkReopen refuses to leave pr open on base when GitHub would: it was
// merged, its head branch is gone, base is missing or already has every
// commit of head, or another open pull request has the same branches.
func (s *Server) checkReopen(r *http.Request, pr *pullRecord, state, base string) *apiError {
	if state != "open" || pr.state == "open" && base == pr.base {
		return nil
	}
	if pr.merged {
		return customValidation("PullRequest", "state cannot be changed. The pull request has been merged.")
	}
	ctx := r.Context()
	headSHA, ok, err := s.repo.branchTip(ctx, pr.head)
	if err != nil {
		return internalError(err)
	}
	if !ok {
		return customValidation("PullRequest", "state cannot be changed. The %s branch has been deleted.", pr.head)
	}
	baseSHA, ok, err := s.repo.branchTip(ctx, base)
	if err != nil {
		return internalError(err)
	}
	if !ok {
		return validationFailed(fieldError{Resource: "PullRequest", Field: "base", Code: "invalid"})
	}
	contained, err := s.repo.isAncestor(ctx, headSHA, baseSHA)
	if err != nil {
		return internalError(err)
	}
	if contained {
		return customValidation("PullRequest", "No commits between %s and %s", base, pr.head)
	}
	if s.openDuplicate(pr.head, base, pr) != nil {
		return customValidation("PullRequest", "A pull request already exists for %s:%s.", s.opts.Owner, pr.head)
	}
	return nil
}
