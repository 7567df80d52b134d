// Package planner decides what happens to each Canary target: observations
// in (the desired revision from Git, the live status, readiness, the time),
// a decision out (what to apply, the new status, the messages). It does no
// I/O and reads no clock, so every rule is a table test.
package planner
