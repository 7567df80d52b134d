package forgeemu

import (
	"net/http"
	"time"
)

// createCheckRun serves POST /repos/{owner}/{repo}/check-runs. Only a
// GitHub App may create a Check Run: the personal token is answered 403.
// name and head_sha are required and head_sha must name a commit of the
// repository (422 otherwise); the other fields are validated as
// checkRunBody.apply says. The status defaults to queued and started_at
// to now. It answers 201 with the run.
func (s *Server) createCheckRun(w http.ResponseWriter, r *http.Request, _ params) *apiError {
	if err := s.requireApp(r); err != nil {
		return err
	}
	var body checkRunBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Name == nil || *body.Name == "" {
		return checkRunInvalid("name", "missing_field")
	}
	if body.HeadSHA == nil || *body.HeadSHA == "" {
		return checkRunInvalid("head_sha", "missing_field")
	}
	sha, ok, err := s.repo.commitSHA(r.Context(), *body.HeadSHA)
	if err != nil {
		return internalError(err)
	}
	if !ok {
		return customValidation("CheckRun", "No commit found for SHA: %s", *body.HeadSHA)
	}
	now := time.Now().UTC().Truncate(time.Second)
	run := checkRunRecord{sha: sha, status: "queued", startedAt: now}
	if err := body.apply(&run, now); err != nil {
		return err
	}
	run.id, run.suiteID = s.nextID(), s.checkSuite(sha)
	s.checkRuns = append(s.checkRuns, &run)
	view := s.checkRunJSON(&run)
	w.Header().Set("Location", view.URL)
	writeJSON(w, http.StatusCreated, view)
	return nil
}
