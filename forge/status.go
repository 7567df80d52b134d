package forge

import "unicode/utf8"

// State is the state of a commit status.
type State string

// The states GitHub accepts. Its combined status counts error as failure.
const (
	StatePending State = "pending"
	StateSuccess State = "success"
	StateFailure State = "failure"
	StateError   State = "error"
)

// valid reports whether s is one of the four states.
func (s State) valid() bool {
	switch s {
	case StatePending, StateSuccess, StateFailure, StateError:
		return true
	}
	return false
}

// Status is a commit status: the verdict of one context on one commit.
type Status struct {
	// SHA is the full name of the commit. Required to set a status.
	SHA string
	// Context tells this status from those of other checks, such as
	// "sluice/flagger/detail". Zero means GitHub's "default".
	Context string
	// State is the verdict. Required.
	State State
	// Description says why, in one line. GitHub keeps at most 140
	// characters; a longer one is cut to 139 and "…".
	Description string
	// TargetURL links to details. Zero means none.
	TargetURL string
}

// maxDescription is GitHub's limit on a status description, in characters.
const maxDescription = 140

// truncateDescription cuts s to GitHub's limit, marking the cut with "…".
func truncateDescription(s string) string {
	if utf8.RuneCountInString(s) <= maxDescription {
		return s
	}
	runes := []rune(s)
	return string(runes[:maxDescription-1]) + "…"
}
