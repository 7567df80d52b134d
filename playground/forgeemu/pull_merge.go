package forgeemu

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// mergePull serves PUT /repos/{owner}/{repo}/pulls/{number}/merge with the
// merge method "merge" (the default): a real merge commit of head into
// base, whose parents are the base tip then the head tip, written on the
// base branch with a compare-and-swap update. The message is commit_title
// (default "Merge pull request #N from owner/head"), a blank line and
// commit_message (default the pull request's title). It answers 200
// {sha, merged, message}; 405 when the pull request is closed, already
// merged or conflicts; 409 when sha is not the head tip or the base branch
// moved during the merge; 501 for the squash and rebase methods.
func (s *Server) mergePull(w http.ResponseWriter, r *http.Request, p params) *apiError {
	var body struct {
		CommitTitle   string  `json:"commit_title"`
		CommitMessage *string `json:"commit_message"`
		SHA           string  `json:"sha"`
		MergeMethod   string  `json:"merge_method"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	switch body.MergeMethod {
	case "", "merge":
	case "squash", "rebase":
		return notImplemented("merge_method %s", body.MergeMethod)
	default:
		return validationFailed(fieldError{Resource: "PullRequest", Field: "merge_method", Code: "invalid"})
	}
	ctx := r.Context()
	pr, apiErr := s.loadPull(ctx, p)
	if apiErr != nil {
		return apiErr
	}
	switch {
	case pr.merged:
		return &apiError{Status: http.StatusMethodNotAllowed, Message: "Pull Request has already been merged"}
	case pr.state != "open":
		return &apiError{Status: http.StatusMethodNotAllowed, Message: "Pull Request is not open"}
	case body.SHA != "" && body.SHA != pr.headSHA:
		return &apiError{Status: http.StatusConflict, Message: "Head branch was modified. Review and try the merge again."}
	}

	tree, clean, err := s.repo.mergeTree(ctx, pr.baseSHA, pr.headSHA)
	if err != nil {
		return internalError(err)
	}
	if !clean {
		return &apiError{Status: http.StatusMethodNotAllowed, Message: "Pull Request is not mergeable"}
	}
	title := body.CommitTitle
	if title == "" {
		title = fmt.Sprintf("Merge pull request #%d from %s/%s", pr.number, s.opts.Owner, pr.head)
	}
	message := pr.title
	if body.CommitMessage != nil {
		message = *body.CommitMessage
	}
	if message != "" {
		title += "\n\n" + message
	}
	commit, err := s.repo.commitTree(ctx, tree, title+"\n", pr.baseSHA, pr.headSHA)
	if err != nil {
		return internalError(err)
	}
	err = s.repo.updateRef(ctx, "refs/heads/"+pr.base, commit, pr.baseSHA)
	if errors.Is(err, errRefMoved) {
		return &apiError{Status: http.StatusConflict, Message: "Base branch was modified. Review and try the merge again."}
	}
	if err != nil {
		return internalError(err)
	}

	now := time.Now()
	pr.merged, pr.mergedAt, pr.mergeCommitSHA = true, now, commit
	s.close(pr, now)
	writeJSON(w, http.StatusOK, struct {
		SHA     string `json:"sha"`
		Merged  bool   `json:"merged"`
		Message string `json:"message"`
	}{commit, true, "Pull Request successfully merged"})
	return nil
}

// isMerged serves GET /repos/{owner}/{repo}/pulls/{number}/merge: 204 when
// the pull request was merged, 404 otherwise.
func (s *Server) isMerged(w http.ResponseWriter, r *http.Request, p params) *apiError {
	pr, apiErr := s.loadPull(r.Context(), p)
	if apiErr != nil {
		return apiErr
	}
	if !pr.merged {
		return notFound()
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
