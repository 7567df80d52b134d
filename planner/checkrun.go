package planner

// CheckRunStatus is where the Check Run of a commit is.
type CheckRunStatus string

// The statuses of a Check Run.
const (
	CheckRunInProgress CheckRunStatus = "in_progress"
	CheckRunCompleted  CheckRunStatus = "completed"
)

// CheckRunConclusion is the verdict of a completed Check Run.
type CheckRunConclusion string

// The conclusions of a Check Run.
const (
	// ConclusionSuccess: the revision was promoted.
	ConclusionSuccess CheckRunConclusion = "success"
	// ConclusionFailure: the revision was rolled back (failed checks,
	// analysis errors, the progress deadline, an abort).
	ConclusionFailure CheckRunConclusion = "failure"
	// ConclusionCancelled: a newer commit superseded the rollout before its
	// analysis ended; not a verdict on the commit.
	ConclusionCancelled CheckRunConclusion = "cancelled"
	// ConclusionNeutral: the rollout stopped for another reason than the
	// revision's health (withdrawn from Git, refused); not a verdict.
	ConclusionNeutral CheckRunConclusion = "neutral"
)

// CheckRunReport is what the Check Run of a Canary on a commit shows.
type CheckRunReport struct {
	Status     CheckRunStatus
	Conclusion CheckRunConclusion // empty unless Status is completed
	// Title is one line, e.g. "Promoted detail 2.0" or "Rolled back at
	// canary weight 10%".
	Title string
	// Summary is Markdown: the weights reached, each check's last value,
	// the failure reason, the revert pull request.
	Summary string
}
