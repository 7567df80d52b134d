package forge

import (
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// CheckRunStatus is where a Check Run is: queued, in_progress or
// completed.
type CheckRunStatus string

// The statuses of a Check Run that sluice writes.
const (
	CheckRunInProgress CheckRunStatus = "in_progress"
	CheckRunCompleted  CheckRunStatus = "completed"
)

// CheckRunConclusion is the verdict of a completed Check Run.
type CheckRunConclusion string

// The conclusions of a Check Run that sluice writes. GitHub has more
// (timed_out, action_required, skipped, stale); sluice does not use them.
const (
	ConclusionSuccess   CheckRunConclusion = "success"
	ConclusionFailure   CheckRunConclusion = "failure"
	ConclusionNeutral   CheckRunConclusion = "neutral"
	ConclusionCancelled CheckRunConclusion = "cancelled"
)

// CheckRun is the Check Run of one Canary on one commit. GitHub lets only
// a GitHub App write Check Runs; a personal access token is answered 403.
type CheckRun struct {
	// SHA is the full name of the commit. Required.
	SHA string
	// Name tells this Check Run from others on the commit, such as
	// "sluice/flagger/detail". Required; there is one Check Run per name
	// and commit (SetCheckRun updates it).
	Name string
	// ExternalID is the Canary, "<namespace>/<name>". Zero means none.
	ExternalID string
	// DetailsURL links to details. Zero means none.
	DetailsURL string
	// Status is in_progress or completed. Required.
	Status CheckRunStatus
	// Conclusion is the verdict; required when Status is completed and
	// refused otherwise.
	Conclusion CheckRunConclusion
	// Title is the one-line headline of the output. Required; GitHub does
	// not document a limit, SetCheckRun cuts it at 255 characters with
	// "…".
	Title string
	// Summary is the output's Markdown body. Required; GitHub keeps at most
	// 65535 characters, a longer one is cut with a note that it was.
	Summary string
}

// Limits of a Check Run's output, in characters.
const (
	// maxCheckRunTitle is sluice's own limit; GitHub documents none.
	maxCheckRunTitle = 255
	// maxCheckRunSummary is GitHub's limit on output.summary.
	maxCheckRunSummary = 65535
)

// summaryCutNote ends a summary that was cut.
const summaryCutNote = "\n\n*The summary was cut to GitHub's 65535 characters.*"

// validate reports the first required field that is missing or a status
// or conclusion sluice does not write.
func (run CheckRun) validate() error {
	switch {
	case run.SHA == "":
		return errors.New("the commit SHA is required")
	case run.Name == "":
		return errors.New("the name is required")
	case run.Status != CheckRunInProgress && run.Status != CheckRunCompleted:
		return fmt.Errorf("status %q: want in_progress or completed", run.Status)
	case run.Status == CheckRunCompleted && run.Conclusion == "":
		return errors.New("a completed check run needs a conclusion")
	case run.Status != CheckRunCompleted && run.Conclusion != "":
		return fmt.Errorf("conclusion %q on a check run that is %s: only a completed one has a conclusion", run.Conclusion, run.Status)
	case run.Conclusion != "" && !slices.Contains([]CheckRunConclusion{ConclusionSuccess, ConclusionFailure, ConclusionNeutral, ConclusionCancelled}, run.Conclusion):
		return fmt.Errorf("unknown conclusion %q", run.Conclusion)
	case run.Title == "":
		return errors.New("the title is required")
	case run.Summary == "":
		return errors.New("the summary is required")
	}
	return nil
}

// truncateTitle cuts a title to maxCheckRunTitle characters, marking the
// cut with "…".
func truncateTitle(s string) string {
	if utf8.RuneCountInString(s) <= maxCheckRunTitle {
		return s
	}
	return string([]rune(s)[:maxCheckRunTitle-1]) + "…"
}

// truncateSummary cuts a summary to GitHub's 65535 characters, the last
// of them a note that it was cut. A cut never splits a character.
func truncateSummary(s string) string {
	if utf8.RuneCountInString(s) <= maxCheckRunSummary {
		return s
	}
	keep := maxCheckRunSummary - utf8.RuneCountInString(summaryCutNote)
	return string([]rune(s)[:keep]) + summaryCutNote
}
