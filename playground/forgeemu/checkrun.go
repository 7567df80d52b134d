package forgeemu

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// checkRunStatuses are the statuses GitHub accepts for a Check Run.
var checkRunStatuses = []string{"queued", "in_progress", "completed"}

// checkRunConclusions are the conclusions GitHub accepts for a Check Run.
var checkRunConclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"}

// maxCheckRunOutput is GitHub's limit on a Check Run's output summary and
// text, in characters.
const maxCheckRunOutput = 65535

// checkRunRecord is a Check Run as the emulator keeps it.
type checkRunRecord struct {
	id          int64
	suiteID     int64
	sha         string
	name        string
	externalID  string
	detailsURL  string
	status      string
	conclusion  string
	startedAt   time.Time
	completedAt time.Time
	title       string
	summary     string
	text        string
}

// checkRunBody is the request body of a create or an update; a nil field
// was not sent.
type checkRunBody struct {
	Name        *string `json:"name"`
	HeadSHA     *string `json:"head_sha"`
	DetailsURL  *string `json:"details_url"`
	ExternalID  *string `json:"external_id"`
	Status      *string `json:"status"`
	Conclusion  *string `json:"conclusion"`
	StartedAt   *string `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	Output      *struct {
		Title   *string `json:"title"`
		Summary *string `json:"summary"`
		Text    *string `json:"text"`
	} `json:"output"`
}

// apply validates body as GitHub does and writes its fields into run. A
// conclusion makes the run completed; a status other than completed
// without a conclusion clears the verdict; completed without any
// conclusion is a 422; completed_at defaults to now. Run is left
// half-changed on error, so callers apply to a copy.
func (body *checkRunBody) apply(run *checkRunRecord, now time.Time) *apiError {
	if body.Name != nil {
		if *body.Name == "" {
			return checkRunInvalid("name", "missing_field")
		}
		run.name = *body.Name
	}
	if body.DetailsURL != nil {
		run.detailsURL = *body.DetailsURL
	}
	if body.ExternalID != nil {
		run.externalID = *body.ExternalID
	}
	if body.Status != nil {
		if !slices.Contains(checkRunStatuses, *body.Status) {
			return checkRunInvalid("status", "invalid")
		}
		run.status = *body.Status
		if run.status != "completed" {
			run.conclusion, run.completedAt = "", time.Time{}
		}
	}
	if body.Conclusion != nil {
		if !slices.Contains(checkRunConclusions, *body.Conclusion) {
			return checkRunInvalid("conclusion", "invalid")
		}
		run.status, run.conclusion = "completed", *body.Conclusion
	}
	for _, field := range []struct {
		name  string
		value *string
		into  *time.Time
	}{{"started_at", body.StartedAt, &run.startedAt}, {"completed_at", body.CompletedAt, &run.completedAt}} {
		if field.value == nil {
			continue
		}
		t, err := time.Parse(time.RFC3339, *field.value)
		if err != nil {
			return checkRunInvalid(field.name, "invalid")
		}
		*field.into = t
	}
	if err := body.applyOutput(run); err != nil {
		return err
	}
	if run.status == "completed" && run.conclusion == "" {
		return checkRunInvalid("conclusion", "missing_field")
	}
	if run.status == "completed" && run.completedAt.IsZero() {
		run.completedAt = now
	}
	return nil
}

// applyOutput writes the output: title and summary are required when
// output is sent, summary and text hold at most 65535 characters.
func (body *checkRunBody) applyOutput(run *checkRunRecord) *apiError {
	out := body.Output
	if out == nil {
		return nil
	}
	if out.Title == nil || *out.Title == "" {
		return checkRunInvalid("output.title", "missing_field")
	}
	if out.Summary == nil || *out.Summary == "" {
		return checkRunInvalid("output.summary", "missing_field")
	}
	var text string
	if out.Text != nil {
		text = *out.Text
	}
	for _, field := range []struct{ name, value string }{{"output.summary", *out.Summary}, {"output.text", text}} {
		if utf8.RuneCountInString(field.value) > maxCheckRunOutput {
			return validationFailed(fieldError{Resource: "CheckRun", Field: field.name, Code: "custom",
				Message: fmt.Sprintf("%s is too long (maximum is %d characters)", field.name, maxCheckRunOutput)})
		}
	}
	run.title, run.summary, run.text = *out.Title, *out.Summary, text
	return nil
}

// checkRunInvalid is the 422 for one field of a Check Run.
func checkRunInvalid(field, code string) *apiError {
	return validationFailed(fieldError{Resource: "CheckRun", Field: field, Code: code})
}

// checkRunJSON is GitHub's check run object.
type checkRunJSON struct {
	ID           int64              `json:"id"`
	HeadSHA      string             `json:"head_sha"`
	NodeID       string             `json:"node_id"`
	ExternalID   string             `json:"external_id"`
	URL          string             `json:"url"`
	HTMLURL      string             `json:"html_url"`
	DetailsURL   *string            `json:"details_url"`
	Status       string             `json:"status"`
	Conclusion   *string            `json:"conclusion"`
	StartedAt    *string            `json:"started_at"`
	CompletedAt  *string            `json:"completed_at"`
	Output       checkRunOutputJSON `json:"output"`
	Name         string             `json:"name"`
	CheckSuite   struct{ ID int64 } `json:"check_suite"`
	App          *appJSON           `json:"app"`
	PullRequests []struct{}         `json:"pull_requests"`
}

// checkRunOutputJSON is the output of GitHub's check run object.
type checkRunOutputJSON struct {
	Title            *string `json:"title"`
	Summary          *string `json:"summary"`
	Text             *string `json:"text"`
	AnnotationsCount int     `json:"annotations_count"`
	AnnotationsURL   string  `json:"annotations_url"`
}

// appJSON is GitHub's object of the App that wrote a Check Run.
type appJSON struct {
	ID     int64  `json:"id"`
	Slug   string `json:"slug"`
	NodeID string `json:"node_id"`
	Name   string `json:"name"`
}

// checkRunJSON renders a Check Run.
func (s *Server) checkRunJSON(run *checkRunRecord) checkRunJSON {
	url := s.apiBase() + "/repos/" + s.fullName() + "/check-runs/" + strconv.FormatInt(run.id, 10)
	view := checkRunJSON{
		ID:          run.id,
		HeadSHA:     run.sha,
		NodeID:      "CR_" + strconv.FormatInt(run.id, 10),
		ExternalID:  run.externalID,
		URL:         url,
		HTMLURL:     s.htmlBase() + "/runs/" + strconv.FormatInt(run.id, 10),
		DetailsURL:  nullable(run.detailsURL),
		Status:      run.status,
		Conclusion:  nullable(run.conclusion),
		StartedAt:   optionalTimestamp(run.startedAt),
		CompletedAt: optionalTimestamp(run.completedAt),
		Output: checkRunOutputJSON{
			Title:          nullable(run.title),
			Summary:        nullable(run.summary),
			Text:           nullable(run.text),
			AnnotationsURL: url + "/annotations",
		},
		Name:         run.name,
		PullRequests: []struct{}{},
	}
	view.CheckSuite.ID = run.suiteID
	if app := s.opts.App; app != nil {
		id := strconv.FormatInt(app.ID, 10)
		view.App = &appJSON{ID: app.ID, Slug: "forgeemu-app-" + id, NodeID: "A_" + id, Name: "forgeemu App " + id}
	}
	return view
}

// checkSuite is the id of the commit's one check suite, made on first use.
func (s *Server) checkSuite(sha string) int64 {
	if s.checkSuites == nil {
		s.checkSuites = map[string]int64{}
	}
	if _, ok := s.checkSuites[sha]; !ok {
		s.checkSuites[sha] = s.nextID()
	}
	return s.checkSuites[sha]
}

// findCheckRun is the Check Run the {check_run_id} wildcard names, or a
// 404.
func (s *Server) findCheckRun(p params) (*checkRunRecord, *apiError) {
	id, err := strconv.ParseInt(p["check_run_id"], 10, 64)
	if err != nil {
		return nil, notFound()
	}
	for _, run := range s.checkRuns {
		if run.id == id {
			return run, nil
		}
	}
	return nil, notFound()
}

// CheckRunView is a snapshot of a Check Run, for tests. An empty string
// or a zero time is a field that is not set.
type CheckRunView struct {
	// ID is the run's id in URLs; HeadSHA the full name of its commit.
	ID      int64
	HeadSHA string
	// Name, ExternalID and DetailsURL are as last written.
	Name, ExternalID, DetailsURL string
	// Status is queued, in_progress or completed; Conclusion is set when
	// it is completed.
	Status, Conclusion string
	// Title and Summary are the output's.
	Title, Summary string
	// StartedAt and CompletedAt are to the second, as GitHub keeps them.
	StartedAt, CompletedAt time.Time
}

// CheckRuns returns a copy of every Check Run, oldest first. Zero fields
// were not set (Conclusion before completion, CompletedAt likewise).
func (s *Server) CheckRuns() []CheckRunView {
	s.mu.Lock()
	defer s.mu.Unlock()
	views := make([]CheckRunView, 0, len(s.checkRuns))
	for _, run := range s.checkRuns {
		views = append(views, CheckRunView{
			ID: run.id, Name: run.name, HeadSHA: run.sha, ExternalID: run.externalID,
			DetailsURL: run.detailsURL, Status: run.status, Conclusion: run.conclusion,
			Title: run.title, Summary: run.summary, StartedAt: run.startedAt, CompletedAt: run.completedAt,
		})
	}
	return views
}

// answerCheckRun writes the Check Run with status.
func (s *Server) answerCheckRun(w http.ResponseWriter, status int, run *checkRunRecord) {
	writeJSON(w, status, s.checkRunJSON(run))
}
