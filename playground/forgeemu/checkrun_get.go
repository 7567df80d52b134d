package forgeemu

import "net/http"

// getCheckRun serves GET /repos/{owner}/{repo}/check-runs/{check_run_id}:
// 200 with the run, 404 for an unknown id. Any valid token may read, as on
// GitHub for a repository the token can read.
func (s *Server) getCheckRun(w http.ResponseWriter, _ *http.Request, p params) *apiError {
	run, err := s.findCheckRun(p)
	if err != nil {
		return err
	}
	s.answerCheckRun(w, http.StatusOK, run)
	return nil
}
