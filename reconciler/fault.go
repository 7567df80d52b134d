package reconciler

// The points where Options.Fault is called, between each act and the
// persist that follows it.
const (
	// faultBeforeIntent: a promotion or a rollback is decided, nothing of
	// it saved nor done.
	faultBeforeIntent = "rollout: before saving a promotion or rollback"
	// faultAfterIntent: its status is saved, nothing done yet.
	faultAfterIntent = "rollout: after saving a promotion or rollback, before acting"
	// faultAfterActs: a step's actions are done, its status not saved.
	faultAfterActs = "rollout: after the actions, before saving the status"
	// faultAfterApply: a sync applied the rendering, before persisting
	// the Canaries' statuses.
	faultAfterApply = "sync: after applying, before saving the statuses"
	// faultAfterPush: a revert branch is pushed, its pull request not
	// opened.
	faultAfterPush = "write-back: after pushing the revert branch, before opening its pull request"
	// faultAfterOpen: the revert pull request is opened, its number not
	// saved.
	faultAfterOpen = "write-back: after opening the revert pull request, before saving it"
)

// FaultPoints lists every point where Options.Fault is called.
func FaultPoints() []string {
	return []string{faultBeforeIntent, faultAfterIntent, faultAfterActs, faultAfterApply, faultAfterPush, faultAfterOpen}
}

// fault calls Options.Fault at point; nil without one.
func (r *Reconciler) fault(point string) error {
	if r.opts.Fault == nil {
		return nil
	}
	return r.opts.Fault(point)
}
