package loadgen

import (
	"encoding/json"
	"net/http"
)

// gates are the manual gates of the load tester, as Flagger's load tester
// serves them, one per Canary ("name.namespace" of the webhook payload):
//
//   - POST /gate/check answers 200 "Approved" while the Canary's gate is
//     open, 403 "Forbidden" while it is closed — closed until opened; a
//     confirm-rollout, confirm-traffic-increase or confirm-promotion
//     webhook pointed at it holds the rollout until someone opens it;
//   - POST /gate/open and /gate/close open and close it (202);
//   - POST /rollback/check answers 200 while the Canary's rollback gate is
//     open, 403 while closed: a rollback webhook pointed at it rolls the
//     analysis back once someone opens it with /rollback/open (202);
//     /rollback/close closes it again;
//   - POST /gate/approve always answers 200, /gate/halt always 403.
//
// The gates live in memory: a restarted load tester has them all closed.
type gates struct {
	open map[string]bool
}

// gateRoutes maps a gate path to what it does: check (answer by the
// gate), open or close the gate named by prefix+"name.namespace".
var gateRoutes = map[string]struct {
	prefix, verb string
}{
	"/gate/check":     {"", "check"},
	"/gate/open":      {"", "open"},
	"/gate/close":     {"", "close"},
	"/rollback/check": {"rollback.", "check"},
	"/rollback/open":  {"rollback.", "open"},
	"/rollback/close": {"rollback.", "close"},
}

// serveGate answers a call to one of the gate paths and reports whether it
// was one; a body that is not a webhook payload naming a Canary answers
// 400.
func (lt *LoadTester) serveGate(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case "/gate/approve":
		http.Error(w, "Approved", http.StatusOK)
		return true
	case "/gate/halt":
		http.Error(w, "Forbidden", http.StatusForbidden)
		return true
	}
	route, ok := gateRoutes[r.URL.Path]
	if !ok {
		return false
	}
	var payload WebhookPayload
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPayload)).Decode(&payload); err != nil {
		http.Error(w, "payload: "+err.Error(), http.StatusBadRequest)
		return true
	}
	if payload.Name == "" || payload.Namespace == "" {
		http.Error(w, "payload: name and namespace name the Canary of the gate", http.StatusBadRequest)
		return true
	}
	key := route.prefix + payload.Name + "." + payload.Namespace
	lt.mu.Lock()
	defer lt.mu.Unlock()
	switch route.verb {
	case "open":
		lt.gates.open[key] = true
		lt.log.Info("Gate opened", "gate", key)
		w.WriteHeader(http.StatusAccepted)
	case "close":
		lt.gates.open[key] = false
		lt.log.Info("Gate closed", "gate", key)
		w.WriteHeader(http.StatusAccepted)
	case "check":
		if lt.gates.open[key] {
			http.Error(w, "Approved", http.StatusOK)
		} else {
			http.Error(w, "Forbidden", http.StatusForbidden)
		}
	}
	return true
}
