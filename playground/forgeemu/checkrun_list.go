package forgeemu

import (
	"net/http"
	"slices"
	"strconv"
)

// checkRunListJSON is GitHub's answer to a list of Check Runs.
type checkRunListJSON struct {
	TotalCount int            `json:"total_count"`
	CheckRuns  []checkRunJSON `json:"check_runs"`
}

// listCheckRuns serves GET /repos/{owner}/{repo}/commits/{ref}/check-runs:
// the Check Runs of the commit the ref names (a SHA, a branch or a tag; 422
// when it names none), newest first and paginated, total_count counting
// every page. Query: check_name keeps the runs of that name; filter=latest
// (the default) keeps the newest run of each name, filter=all every run;
// status (queued, in_progress, completed) then keeps the runs in that
// status; app_id keeps the runs of that App. An unknown filter or status
// is a 422. Any valid token may read.
func (s *Server) listCheckRuns(w http.ResponseWriter, r *http.Request, p params) *apiError {
	sha, err := s.resolveRef(r.Context(), p["ref"])
	if err != nil {
		return err
	}
	query := r.URL.Query()
	filter := query.Get("filter")
	if filter == "" {
		filter = "latest"
	}
	if filter != "latest" && filter != "all" {
		return validationFailed(fieldError{Resource: "CheckRun", Field: "filter", Code: "invalid"})
	}
	status := query.Get("status")
	if status != "" && !slices.Contains(checkRunStatuses, status) {
		return validationFailed(fieldError{Resource: "CheckRun", Field: "status", Code: "invalid"})
	}
	appOnly := query.Has("app_id") && (s.opts.App == nil || query.Get("app_id") != strconv.FormatInt(s.opts.App.ID, 10))

	seen := map[string]bool{}
	views := []checkRunJSON{}
	for _, run := range slices.Backward(s.checkRuns) {
		switch {
		case run.sha != sha, query.Has("check_name") && run.name != query.Get("check_name"):
			continue
		case filter == "latest" && seen[run.name]:
			continue
		}
		seen[run.name] = true
		if status != "" && run.status != status || appOnly {
			continue
		}
		views = append(views, s.checkRunJSON(run))
	}
	writeJSON(w, http.StatusOK, checkRunListJSON{
		TotalCount: len(views),
		CheckRuns:  append([]checkRunJSON{}, paginate(w, r, s.baseURL, views)...),
	})
	return nil
}
