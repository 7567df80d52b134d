package forgeemu

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// commentRecord is a comment on a pull request, as the emulator keeps it.
type commentRecord struct {
	id      int64
	issue   int
	body    string
	created time.Time
}

// commentJSON is GitHub's issue comment.
type commentJSON struct {
	ID                int64    `json:"id"`
	NodeID            string   `json:"node_id"`
	URL               string   `json:"url"`
	HTMLURL           string   `json:"html_url"`
	IssueURL          string   `json:"issue_url"`
	Body              string   `json:"body"`
	User              userJSON `json:"user"`
	CreatedAt         string   `json:"created_at"`
	UpdatedAt         string   `json:"updated_at"`
	AuthorAssociation string   `json:"author_association"`
}

// commentJSON renders a comment.
func (s *Server) commentJSON(c *commentRecord) commentJSON {
	issueURL := s.apiBase() + "/repos/" + s.fullName() + "/issues/" + strconv.Itoa(c.issue)
	return commentJSON{
		ID:                c.id,
		NodeID:            "IC_" + strconv.FormatInt(c.id, 10),
		URL:               s.apiBase() + "/repos/" + s.fullName() + "/issues/comments/" + strconv.FormatInt(c.id, 10),
		HTMLURL:           fmt.Sprintf("%s/pull/%d#issuecomment-%d", s.htmlBase(), c.issue, c.id),
		IssueURL:          issueURL,
		Body:              c.body,
		User:              s.owner(),
		CreatedAt:         timestamp(c.created),
		UpdatedAt:         timestamp(c.created),
		AuthorAssociation: "OWNER",
	}
}

// commentCount is the number of comments on an issue.
func (s *Server) commentCount(issue int) int {
	n := 0
	for _, c := range s.comments {
		if c.issue == issue {
			n++
		}
	}
	return n
}

// createComment serves POST /repos/{owner}/{repo}/issues/{number}/comments.
// The number must be a pull request's (the emulator has no other issues)
// and the body is required. It answers 201 with the comment.
func (s *Server) createComment(w http.ResponseWriter, r *http.Request, p params) *apiError {
	var body struct {
		Body string `json:"body"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	number, apiErr := p.number()
	if apiErr != nil {
		return apiErr
	}
	if _, apiErr := s.pull(number); apiErr != nil {
		return apiErr
	}
	if body.Body == "" {
		return validationFailed(fieldError{Resource: "IssueComment", Field: "body", Code: "missing_field"})
	}
	c := &commentRecord{id: s.nextID(), issue: number, body: body.Body, created: time.Now()}
	s.comments = append(s.comments, c)
	view := s.commentJSON(c)
	w.Header().Set("Location", view.URL)
	writeJSON(w, http.StatusCreated, view)
	return nil
}

// listComments serves GET /repos/{owner}/{repo}/issues/{number}/comments:
// the comments of a pull request, oldest first, paginated; since (an
// ISO 8601 time) keeps those updated at or after it.
func (s *Server) listComments(w http.ResponseWriter, r *http.Request, p params) *apiError {
	number, apiErr := p.number()
	if apiErr != nil {
		return apiErr
	}
	if _, apiErr := s.pull(number); apiErr != nil {
		return apiErr
	}
	var since time.Time
	if raw := r.URL.Query().Get("since"); raw != "" {
		var err error
		if since, err = time.Parse(time.RFC3339, raw); err != nil {
			return validationFailed(fieldError{Resource: "IssueComment", Field: "since", Code: "invalid"})
		}
	}
	views := []commentJSON{}
	for _, c := range s.comments {
		if c.issue == number && !c.created.Truncate(time.Second).Before(since) {
			views = append(views, s.commentJSON(c))
		}
	}
	writeJSON(w, http.StatusOK, paginate(w, r, s.baseURL, views))
	return nil
}
