package forge

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
	// Title is the one-line headline of the output. Required.
	Title string
	// Summary is the output's Markdown body. Required; GitHub keeps at most
	// 65535 characters, a longer one is cut with a note that it was.
	Summary string
}
