package forgeemu

import (
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// createStatus serves POST /repos/{owner}/{repo}/statuses/{sha}: the sha
// must name a commit of the repository (a branch name is refused, as
// GitHub documents), the state must be error, failure, pending or success,
// the description at most 140 characters; the context defaults to
// "default". It answers 201 with the status.
func (s *Server) createStatus(w http.ResponseWriter, r *http.Request, p params) *apiError {
	var body struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	sha, ok, err := s.repo.commitSHA(r.Context(), p["sha"])
	if err != nil {
		return internalError(err)
	}
	if !ok {
		return customValidation("Status", "No commit found for SHA: %s", p["sha"])
	}
	if !slices.Contains(statusStates, body.State) {
		return validationFailed(fieldError{Resource: "Status", Field: "state", Code: "custom", Message: "state is not included in the list"})
	}
	if utf8.RuneCountInString(body.Description) > maxDescription {
		return validationFailed(fieldError{Resource: "Status", Field: "description", Code: "custom", Message: "description is too long (maximum is 140 characters)"})
	}
	if body.Context == "" {
		body.Context = "default"
	}
	st := &statusRecord{
		id:          s.nextID(),
		sha:         sha,
		state:       body.State,
		description: body.Description,
		targetURL:   body.TargetURL,
		context:     body.Context,
		created:     time.Now(),
	}
	s.statuses = append(s.statuses, st)
	view := s.statusJSON(st)
	w.Header().Set("Location", view.URL)
	writeJSON(w, http.StatusCreated, view)
	return nil
}
