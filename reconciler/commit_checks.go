package reconciler

import "fmt"

// CommitChecks is how sluice writes a Canary's verdicts on commits.
type CommitChecks string

// The ways of Options.CommitChecks.
const (
	// CommitChecksStatuses writes commit statuses, which any token can.
	CommitChecksStatuses CommitChecks = "statuses"
	// CommitChecksRuns writes Check Runs, which only a GitHub App can:
	// they carry a summary (weights reached, each check's last value, the
	// failure's reason, the revert pull request) and can say "cancelled"
	// for a superseded commit.
	CommitChecksRuns CommitChecks = "check-runs"
	// CommitChecksBoth writes both.
	CommitChecksBoth CommitChecks = "both"
)

// ParseCommitChecks reads the value of --commit-checks; empty is
// statuses.
func ParseCommitChecks(s string) (CommitChecks, error) {
	switch c := CommitChecks(s); c {
	case "":
		return CommitChecksStatuses, nil
	case CommitChecksStatuses, CommitChecksRuns, CommitChecksBoth:
		return c, nil
	}
	return "", fmt.Errorf("%q: want %s, %s or %s", s, CommitChecksStatuses, CommitChecksRuns, CommitChecksBoth)
}

// statuses reports whether commit statuses are written.
func (c CommitChecks) statuses() bool { return c != CommitChecksRuns }

// checkRuns reports whether Check Runs are written.
func (c CommitChecks) checkRuns() bool { return c == CommitChecksRuns || c == CommitChecksBoth }
