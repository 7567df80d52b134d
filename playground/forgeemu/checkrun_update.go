package forgeemu

import (
	"net/http"
	"time"
)

// updateCheckRun serves PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}.
// Only a GitHub App may update a Check Run (403 for the personal token);
// an unknown id is a 404. Every field is optional and validated as on
// create (checkRunBody.apply); head_sha cannot change and is ignored, as
// GitHub ignores it. Nothing changes when validation fails. It answers 200
// with the run.
func (s *Server) updateCheckRun(w http.ResponseWriter, r *http.Request, p params) *apiError {
	if err := s.requireApp(r); err != nil {
		return err
	}
	var body checkRunBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	run, apiErr := s.findCheckRun(p)
	if apiErr != nil {
		return apiErr
	}
	updated := *run
	if err := body.apply(&updated, time.Now().UTC().Truncate(time.Second)); err != nil {
		return err
	}
	*run = updated
	s.answerCheckRun(w, http.StatusOK, run)
	return nil
}
