package forgeemu

import (
	"context"
	"net/http"
	"slices"
)

// listStatuses serves GET /repos/{owner}/{repo}/commits/{ref}/statuses:
// every status of the commit the ref names, newest first, paginated. The
// ref is a commit SHA, a branch or a tag; one that names nothing is a 422.
func (s *Server) listStatuses(w http.ResponseWriter, r *http.Request, p params) *apiError {
	sha, err := s.resolveRef(r.Context(), p["ref"])
	if err != nil {
		return err
	}
	views := []statusJSON{}
	for _, st := range slices.Backward(s.statuses) {
		if st.sha == sha {
			views = append(views, s.statusJSON(st))
		}
	}
	writeJSON(w, http.StatusOK, paginate(w, r, s.baseURL, views))
	return nil
}

// combinedStatusJSON is GitHub's combined status of a commit.
type combinedStatusJSON struct {
	State      string       `json:"state"`
	Statuses   []statusJSON `json:"statuses"`
	SHA        string       `json:"sha"`
	TotalCount int          `json:"total_count"`
	CommitURL  string       `json:"commit_url"`
	URL        string       `json:"url"`
}

// combinedStatus serves GET /repos/{owner}/{repo}/commits/{ref}/status:
// the latest status of each context, newest first and paginated, and the
// overall state: failure if any of them is error or failure, else pending
// if any is pending or there is none, else success.
func (s *Server) combinedStatus(w http.ResponseWriter, r *http.Request, p params) *apiError {
	sha, err := s.resolveRef(r.Context(), p["ref"])
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var latest []statusJSON
	for _, st := range slices.Backward(s.statuses) {
		if st.sha == sha && !seen[st.context] {
			seen[st.context] = true
			latest = append(latest, s.statusJSON(st))
		}
	}
	commitURL := s.apiBase() + "/repos/" + s.fullName() + "/commits/" + sha
	writeJSON(w, http.StatusOK, combinedStatusJSON{
		State:      combinedState(latest),
		Statuses:   append([]statusJSON{}, paginate(w, r, s.baseURL, latest)...),
		SHA:        sha,
		TotalCount: len(latest),
		CommitURL:  commitURL,
		URL:        commitURL + "/status",
	})
	return nil
}

// resolveRef turns the {ref} of a request into a commit, or a 422 when it
// names none.
func (s *Server) resolveRef(ctx context.Context, ref string) (string, *apiError) {
	sha, ok, err := s.repo.resolve(ctx, ref)
	if err != nil {
		return "", internalError(err)
	}
	if !ok {
		return "", customValidation("Commit", "No commit found for SHA: %s", ref)
	}
	return sha, nil
}
