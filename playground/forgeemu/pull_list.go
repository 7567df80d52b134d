package forgeemu

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

// listPulls serves GET /repos/{owner}/{repo}/pulls, paginated. Query:
// state open (default), closed or all; head as owner:branch (stricter than
// GitHub, which ignores a head without an owner); base; sort created
// (default) or updated, direction desc (default for created) or asc
// (default for updated). The other sort orders GitHub has answer 501.
func (s *Server) listPulls(w http.ResponseWriter, r *http.Request, _ params) *apiError {
	query := r.URL.Query()
	state := cmp.Or(query.Get("state"), "open")
	if !slices.Contains([]string{"open", "closed", "all"}, state) {
		return validationFailed(fieldError{Resource: "PullRequest", Field: "state", Code: "invalid"})
	}
	headOwner, head := "", ""
	if query.Has("head") {
		var ok bool
		if headOwner, head, ok = strings.Cut(query.Get("head"), ":"); !ok || headOwner == "" || head == "" {
			return customValidation("PullRequest", "forgeemu: head must read owner:branch, not %q", query.Get("head"))
		}
	}
	sortBy := cmp.Or(query.Get("sort"), "created")
	switch sortBy {
	case "created", "updated":
	case "popularity", "long-running":
		return notImplemented("sort=%s", sortBy)
	default:
		return validationFailed(fieldError{Resource: "PullRequest", Field: "sort", Code: "invalid"})
	}
	direction := query.Get("direction")
	if direction == "" {
		direction = map[string]string{"created": "desc", "updated": "asc"}[sortBy]
	}
	if direction != "asc" && direction != "desc" {
		return validationFailed(fieldError{Resource: "PullRequest", Field: "direction", Code: "invalid"})
	}
	if err := s.refreshAll(r.Context()); err != nil {
		return internalError(err)
	}

	var found []*pullRecord
	for _, pr := range s.pulls {
		if (state == "all" || pr.state == state) &&
			(head == "" || strings.EqualFold(headOwner, s.opts.Owner) && pr.head == head) &&
			(!query.Has("base") || pr.base == query.Get("base")) {
			found = append(found, pr)
		}
	}
	slices.SortStableFunc(found, func(a, b *pullRecord) int {
		order := a.number - b.number
		if sortBy == "updated" {
			order = a.updated.Compare(b.updated)
		}
		if direction == "desc" {
			return -order
		}
		return order
	})

	views := []pullJSON{}
	for _, pr := range paginate(w, r, s.baseURL, found) {
		view, err := s.pullJSON(r.Context(), pr, false)
		if err != nil {
			return internalError(err)
		}
		views = append(views, view)
	}
	writeJSON(w, http.StatusOK, views)
	return nil
}

// getPull serves GET /repos/{owner}/{repo}/pulls/{number} as JSON; the
// diff and patch media types answer 501.
func (s *Server) getPull(w http.ResponseWriter, r *http.Request, p params) *apiError {
	if accept := r.Header.Get("Accept"); strings.Contains(accept, ".diff") || strings.Contains(accept, ".patch") {
		return notImplemented("the media type %s", accept)
	}
	pr, apiErr := s.loadPull(r.Context(), p)
	if apiErr != nil {
		return apiErr
	}
	view, err := s.pullJSON(r.Context(), pr, true)
	if err != nil {
		return internalError(err)
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}
