package forgeemu

import (
	"strconv"
	"time"
)

// statusStates are the states GitHub accepts for a commit status.
var statusStates = []string{"error", "failure", "pending", "success"}

// maxDescription is GitHub's limit on a status description, in characters.
const maxDescription = 140

// statusRecord is a commit status as the emulator keeps it.
type statusRecord struct {
	id          int64
	sha         string
	state       string
	description string
	targetURL   string
	context     string
	created     time.Time
}

// userJSON is GitHub's simple user. Every object the emulator creates
// belongs to the repository owner, the user the token stands for.
type userJSON struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
	Type  string `json:"type"`
}

// owner is the user the token stands for.
func (s *Server) owner() userJSON {
	return userJSON{Login: s.opts.Owner, ID: 1, Type: "User"}
}

// statusJSON is GitHub's commit status object.
type statusJSON struct {
	ID          int64    `json:"id"`
	NodeID      string   `json:"node_id"`
	URL         string   `json:"url"`
	State       string   `json:"state"`
	Description *string  `json:"description"`
	TargetURL   *string  `json:"target_url"`
	Context     string   `json:"context"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
	Creator     userJSON `json:"creator"`
}

// statusJSON renders a status.
func (s *Server) statusJSON(st *statusRecord) statusJSON {
	return statusJSON{
		ID:          st.id,
		NodeID:      "SC_" + strconv.FormatInt(st.id, 10),
		URL:         s.apiBase() + "/repos/" + s.fullName() + "/statuses/" + st.sha,
		State:       st.state,
		Description: nullable(st.description),
		TargetURL:   nullable(st.targetURL),
		Context:     st.context,
		CreatedAt:   timestamp(st.created),
		UpdatedAt:   timestamp(st.created),
		Creator:     s.owner(),
	}
}

// nextID hands out the ids of statuses and comments.
func (s *Server) nextID() int64 {
	s.lastID++
	return s.lastID
}

// combinedState is GitHub's rule for the state of a set of statuses.
func combinedState(statuses []statusJSON) string {
	state := "success"
	if len(statuses) == 0 {
		state = "pending"
	}
	for _, st := range statuses {
		switch st.State {
		case "error", "failure":
			return "failure"
		case "pending":
			state = "pending"
		}
	}
	return state
}
