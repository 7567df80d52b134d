package forgeemu

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// handler serves one endpoint. It writes a successful answer itself; an
// error it returns is written as GitHub's error body.
type handler func(s *Server, w http.ResponseWriter, r *http.Request, p params) *apiError

// params are the path wildcards of a matched route.
type params map[string]string

// number is the {number} wildcard; one that is not a positive number names
// nothing, so it is a 404.
func (p params) number() (int, *apiError) {
	n, err := strconv.Atoi(p["number"])
	if err != nil || n < 1 {
		return 0, notFound()
	}
	return n, nil
}

// route is one endpoint. A pattern segment {name} matches one path segment
// and {name...} one or more. A nil handle is an endpoint GitHub has and the
// emulator does not: it answers 501.
type route struct {
	method  string
	pattern string
	handle  handler
}

// routes is the REST API. Every pattern starts with /repos/{owner}/{repo},
// or is a GitHub endpoint outside the repository that answers 501.
var routes = []route{
	{http.MethodPost, "/repos/{owner}/{repo}/statuses/{sha}", (*Server).createStatus},
	{http.MethodGet, "/repos/{owner}/{repo}/commits/{ref...}/statuses", (*Server).listStatuses},
	{http.MethodGet, "/repos/{owner}/{repo}/commits/{ref...}/status", (*Server).combinedStatus},
	{http.MethodPost, "/repos/{owner}/{repo}/pulls", (*Server).createPull},
	{http.MethodGet, "/repos/{owner}/{repo}/pulls", (*Server).listPulls},
	{http.MethodGet, "/repos/{owner}/{repo}/pulls/{number}", (*Server).getPull},
	{http.MethodPatch, "/repos/{owner}/{repo}/pulls/{number}", (*Server).updatePull},
	{http.MethodGet, "/repos/{owner}/{repo}/pulls/{number}/merge", (*Server).isMerged},
	{http.MethodPut, "/repos/{owner}/{repo}/pulls/{number}/merge", (*Server).mergePull},
	{http.MethodGet, "/repos/{owner}/{repo}/pulls/{number}/files", (*Server).listFiles},
	{http.MethodGet, "/repos/{owner}/{repo}/issues/{number}/comments", (*Server).listComments},
	{http.MethodPost, "/repos/{owner}/{repo}/issues/{number}/comments", (*Server).createComment},
	{http.MethodPost, "/repos/{owner}/{repo}/hooks", (*Server).createHook},
	{http.MethodGet, "/repos/{owner}/{repo}/commits/{ref...}/check-runs", (*Server).listCheckRuns},
	{http.MethodPost, "/repos/{owner}/{repo}/check-runs", (*Server).createCheckRun},
	{http.MethodGet, "/repos/{owner}/{repo}/check-runs/{check_run_id}", (*Server).getCheckRun},
	{http.MethodPatch, "/repos/{owner}/{repo}/check-runs/{check_run_id}", (*Server).updateCheckRun},
	{http.MethodGet, "/repos/{owner}/{repo}/hooks", nil},

	// GitHub endpoints close to the ones above that the emulator does not
	// serve: a clear 501 instead of a 404 that reads like a wrong URL.
	{http.MethodGet, "/repos/{owner}/{repo}", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/commits", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/commits/{ref...}", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", nil},
	{http.MethodPost, "/repos/{owner}/{repo}/check-runs/{check_run_id}/rerequest", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/commits/{ref...}/check-suites", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/compare/{basehead...}", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/branches", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/branches/{branch...}", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/git/ref/{ref...}", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/git/matching-refs/{ref...}", nil},
	{http.MethodPost, "/repos/{owner}/{repo}/git/refs", nil},
	{http.MethodPatch, "/repos/{owner}/{repo}/git/refs/{ref...}", nil},
	{http.MethodDelete, "/repos/{owner}/{repo}/git/refs/{ref...}", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/contents/{path...}", nil},
	{http.MethodPut, "/repos/{owner}/{repo}/contents/{path...}", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/pulls/{number}/commits", nil},
	{http.MethodPut, "/repos/{owner}/{repo}/pulls/{number}/update-branch", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/pulls/{number}/reviews", nil},
	{http.MethodPost, "/repos/{owner}/{repo}/pulls/{number}/reviews", nil},
	{http.MethodPost, "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/issues", nil},
	{http.MethodPost, "/repos/{owner}/{repo}/issues", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/issues/{number}", nil},
	{http.MethodPatch, "/repos/{owner}/{repo}/issues/{number}", nil},
	{http.MethodPost, "/repos/{owner}/{repo}/issues/{number}/labels", nil},
	{http.MethodGet, "/repos/{owner}/{repo}/issues/comments/{id}", nil},
	{http.MethodPatch, "/repos/{owner}/{repo}/issues/comments/{id}", nil},
	{http.MethodDelete, "/repos/{owner}/{repo}/issues/comments/{id}", nil},
	{http.MethodGet, "/user", nil},
	{http.MethodGet, "/rate_limit", nil},
}

// serveAPI answers a REST request.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if err := s.dispatch(w, r, apiPath(r.URL.EscapedPath())); err != nil {
		writeError(w, err)
	}
}

// dispatch finds the route of the request by its escaped path, /api/v3
// removed: 404 when no pattern matches the
// path or the repository is not the emulated one, 405 when patterns match
// but none for this method, 501 when the matching route is not implemented.
// Handlers run one at a time.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, path string) *apiError {
	segments, ok := splitPath(path)
	if !ok {
		return notFound()
	}
	var allowed []string
	for _, rt := range routes {
		p := params{}
		if !match(strings.Split(strings.TrimPrefix(rt.pattern, "/"), "/"), segments, p) {
			continue
		}
		if owner, ok := p["owner"]; ok && !s.isRepository(owner, p["repo"]) {
			return notFound()
		}
		if rt.method != r.Method {
			allowed = append(allowed, rt.method)
			continue
		}
		if rt.handle == nil {
			return notImplemented("%s %s", rt.method, rt.pattern)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return rt.handle(s, w, r, p)
	}
	if len(allowed) == 0 {
		return notFound()
	}
	slices.Sort(allowed)
	allowed = slices.Compact(allowed)
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	return &apiError{Status: http.StatusMethodNotAllowed, Message: "forgeemu: " + r.Method + " is not implemented here; this path serves " + strings.Join(allowed, ", ")}
}

// isRepository reports whether owner/repo names the emulated repository;
// GitHub compares names without regard to case.
func (s *Server) isRepository(owner, repo string) bool {
	return strings.EqualFold(owner, s.opts.Owner) && strings.EqualFold(repo, s.opts.Repo)
}

// splitPath cuts an absolute path into its unescaped segments. A path
// with an empty segment (a trailing or doubled slash) matches no route.
func splitPath(path string) ([]string, bool) {
	segments := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, segment := range segments {
		if segment == "" {
			return nil, false
		}
		unescaped, err := url.PathUnescape(segment)
		if err != nil {
			return nil, false
		}
		segments[i] = unescaped
	}
	return segments, true
}

// match reports whether the path segments fit the pattern and fills p with
// the wildcards. A {name...} wildcard takes as many segments as it can.
func match(pattern, segments []string, p params) bool {
	if len(pattern) == 0 {
		return len(segments) == 0
	}
	head := pattern[0]
	if !strings.HasPrefix(head, "{") {
		return len(segments) > 0 && segments[0] == head && match(pattern[1:], segments[1:], p)
	}
	name := strings.Trim(head, "{}")
	if multi, ok := strings.CutSuffix(name, "..."); ok {
		for n := len(segments) - len(pattern) + 1; n >= 1; n-- {
			if match(pattern[1:], segments[n:], p) {
				p[multi] = strings.Join(segments[:n], "/")
				return true
			}
		}
		return false
	}
	if len(segments) == 0 || !match(pattern[1:], segments[1:], p) {
		return false
	}
	p[name] = segments[0]
	return true
}
