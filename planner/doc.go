// Package planner decides what happens to each Canary target: observations
// in (the desired revision from Git, the live status, readiness, route
// weights, check results, the time), a decision out (what to apply, the new
// status, the messages, the commit statuses). It does no I/O and reads no
// clock, so every rule is a table test.
//
// DecideSync decides what syncing a commit does: the first install of a
// primary, or a new revision left pending. DecideRollout is the rollout
// state machine that takes a pending revision through the canary analysis
// to promotion or rollback.
package planner
