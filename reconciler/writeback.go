package reconciler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/forge"
	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

// Forge is where sluice writes its verdicts back: commit statuses or
// Check Runs, and revert pull requests. forge.GitHub implements it; each
// call retries what is worth retrying before it fails.
type Forge interface {
	SetStatus(ctx context.Context, st forge.Status) error
	SetCheckRun(ctx context.Context, run forge.CheckRun) error
	OpenPullRequest(ctx context.Context, pr forge.NewPullRequest) (*forge.PullRequest, error)
	PullRequest(ctx context.Context, number int) (*forge.PullRequest, error)
	ClosePullRequest(ctx context.Context, number int, comment string) error
}

// reverter is a Source that can prepare and push a revert branch, as
// gitsync.Repository can.
type reverter interface {
	PrepareRevert(ctx context.Context, req gitsync.RevertRequest) (*gitsync.RevertDraft, error)
	Branch() string
}

// StatusContext is the commit status context of a Canary:
// sluice/<namespace>/<name>.
func StatusContext(namespace, name string) string { return "sluice/" + namespace + "/" + name }

// deliver writes a Canary's undelivered commit statuses, then its fresh
// ones, in order, and returns those the forge did not take: the caller
// persists them in the status, so that they are written, still in order,
// at the next step or sync, even after a restart. A pending status for a
// commit whose final status (success, failure, error) was written is
// dropped: a status never goes backwards. Each goes out as a commit
// status, a Check Run or both (Options.CommitChecks); a Check Run shows
// status, the Canary's status as this step leaves it. Without a forge it
// returns nil.
func (r *Reconciler) deliver(ctx context.Context, canary *v1alpha1.Canary, status v1alpha1.CanaryStatus, undelivered []v1alpha1.CommitStatusRecord, fresh []planner.CommitStatus) []v1alpha1.CommitStatusRecord {
	if r.opts.Forge == nil {
		return nil
	}
	queue := slices.Clone(undelivered)
	for _, st := range fresh {
		queue = append(queue, statusRecord(st))
	}
	statusContext := StatusContext(canary.Namespace, canary.Name)
	for len(queue) > 0 && r.forgeGate.open(r.opts.Now()) {
		st := queue[0]
		key := statusContext + "@" + st.Commit
		if !planner.Deliverable(planner.CommitState(st.State), r.final(key)) {
			queue = queue[1:]
			continue
		}
		err := r.writeCommitCheck(ctx, canary, status, st)
		r.observeForge(err)
		if err != nil {
			r.opts.Log.Error(fmt.Sprintf("Commit status %s on %s not written, kept for the next sync", statusContext, short(st.Commit)),
				"error", err.Error(), "state", st.State, "undelivered", len(queue))
			break
		}
		r.opts.Log.Info(fmt.Sprintf("Commit status %s on %s: %s — %s", statusContext, short(st.Commit), st.State, st.Description),
			"commit", st.Commit, "state", st.State)
		if planner.IsFinal(planner.CommitState(st.State)) {
			r.setFinal(key)
		}
		queue = queue[1:]
	}
	if len(queue) > planner.MaxUndelivered {
		queue = queue[len(queue)-planner.MaxUndelivered:]
	}
	if len(queue) == 0 {
		return nil
	}
	return queue
}

// statusRecord is a planner's commit status as the status keeps it until
// it is delivered.
func statusRecord(st planner.CommitStatus) v1alpha1.CommitStatusRecord {
	return v1alpha1.CommitStatusRecord{Commit: st.Commit, State: string(st.State), Description: st.Description, Superseded: st.Superseded}
}

// writeCommitCheck writes one commit status of a Canary the ways
// Options.CommitChecks says: a commit status, a Check Run, or both (the
// commit status first; a retry after the Check Run failed writes the
// same status again, which changes nothing GitHub shows).
func (r *Reconciler) writeCommitCheck(ctx context.Context, canary *v1alpha1.Canary, status v1alpha1.CanaryStatus, st v1alpha1.CommitStatusRecord) error {
	statusContext := StatusContext(canary.Namespace, canary.Name)
	if r.opts.CommitChecks.statuses() {
		err := r.withForge(ctx, func(ctx context.Context) error {
			return r.opts.Forge.SetStatus(ctx, forge.Status{
				SHA: st.Commit, Context: statusContext, State: forge.State(st.State), Description: st.Description,
				TargetURL: r.statusTargetURL(canary, st.Commit),
			})
		})
		if err != nil {
			return err
		}
	}
	if !r.opts.CommitChecks.checkRuns() {
		return nil
	}
	shown := canary.DeepCopy()
	shown.Status = status
	return r.writeCheckRun(ctx, shown, st, "")
}

// writeCheckRun creates or updates the Check Run of canary (whose status
// is the one to show) on the commit of st; revertURL is the open revert
// pull request of that commit, empty when none.
func (r *Reconciler) writeCheckRun(ctx context.Context, canary *v1alpha1.Canary, st v1alpha1.CommitStatusRecord, revertURL string) error {
	report := planner.ReportCheckRun(canary, st, revertURL)
	return r.withForge(ctx, func(ctx context.Context) error {
		return r.opts.Forge.SetCheckRun(ctx, forge.CheckRun{
			SHA: st.Commit, Name: StatusContext(canary.Namespace, canary.Name),
			ExternalID: canary.Namespace + "/" + canary.Name, DetailsURL: r.statusTargetURL(canary, st.Commit),
			Status: forge.CheckRunStatus(report.Status), Conclusion: forge.CheckRunConclusion(report.Conclusion),
			Title: report.Title, Summary: report.Summary,
		})
	})
}

// final reports whether a final status was written for context@commit.
func (r *Reconciler) final(key string) bool {
	r.finalsMu.Lock()
	defer r.finalsMu.Unlock()
	return r.finals[key]
}

// maxFinals bounds the final statuses remembered: past it the memory
// starts again, so a pending status for a commit finalised long ago could
// be written once more (the planner no longer reports pendings for those).
const maxFinals = 10000

// setFinal records that a final status was written for context@commit.
func (r *Reconciler) setFinal(key string) {
	r.finalsMu.Lock()
	defer r.finalsMu.Unlock()
	if len(r.finals) >= maxFinals {
		clear(r.finals)
	}
	r.finals[key] = true
}

// withForge runs one forge call within Options.ForgeTimeout; a call that
// runs out of it fails with an error that says so.
func (r *Reconciler) withForge(ctx context.Context, call func(context.Context) error) error {
	callCtx, cancel := context.WithTimeout(ctx, r.opts.ForgeTimeout)
	defer cancel()
	err := call(callCtx)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("forge: no answer within %s (--forge-timeout): %w", r.opts.ForgeTimeout, err)
	}
	return err
}

// statusTargetURL is the details link of a commit status: Options.StatusURL
// with {namespace}, {name} and {commit} filled in; empty without one.
func (r *Reconciler) statusTargetURL(canary *v1alpha1.Canary, commit string) string {
	if r.opts.StatusURL == "" {
		return ""
	}
	return strings.NewReplacer("{namespace}", canary.Namespace, "{name}", canary.Name, "{commit}", commit).Replace(r.opts.StatusURL)
}

// writeBack opens or closes the revert pull request of every Canary of
// the rendering, as planner.DecideWriteBack decides from its persisted
// status, and records the outcome in the status. Without a forge it does
// nothing; the error of one Canary does not stop the others.
func (r *Reconciler) writeBack(ctx context.Context, rendering *manifests.Rendering, commit string) error {
	if r.opts.Forge == nil {
		return nil
	}
	var errs []error
	for i, canary := range rendering.Canaries {
		if r.busy(client.ObjectKeyFromObject(canary)) {
			continue // its step writes it back when it ends
		}
		errs = append(errs, r.writeBackOne(ctx, canary, rendering.Targets[i], commit))
	}
	return errors.Join(errs...)
}

func (r *Reconciler) writeBackOne(ctx context.Context, canary *v1alpha1.Canary, target manifests.Target, commit string) error {
	if !r.forgeGate.open(r.opts.Now()) {
		return nil // the forge refused the credentials lately: wait
	}
	var live v1alpha1.Canary
	if err := r.client.Get(ctx, client.ObjectKeyFromObject(canary), &live); err != nil {
		return fmt.Errorf("canary %s/%s: read: %w", canary.Namespace, canary.Name, err)
	}
	decision := planner.DecideWriteBack(planner.WriteBackObservation{
		Name: canary.Name, Namespace: canary.Namespace, Status: live.Status,
		Revision: target.Revision, Commit: commit,
	})
	var err error
	switch {
	case decision.Open != nil:
		err = r.openRevert(ctx, &live, target, *decision.Open)
	case decision.Close != nil:
		err = r.closeRevert(ctx, &live, *decision.Close)
	}
	if r.observeForge(err) {
		return fmt.Errorf("canary %s/%s: write-back held: %w", canary.Namespace, canary.Name, err)
	}
	return err
}

// openRevert chooses the revert of the failed commit, proves it, pushes
// its branch and opens its pull request. The revert reverts, among the
// changes from the good commit to the failed one in the files that feed
// the target, those that move this target alone (chooseRevert); rendered
// on the branch head, it must leave every other object as the head has
// it, or it is not opened. Pushing and opening are idempotent (an existing
// branch is reused, an open pull request of the branch returned), so a
// failure or a restart in between never yields two. A revert that cannot
// be opened settles the attempt for this failed commit: a Warning says
// why, and no retry follows.
func (r *Reconciler) openRevert(ctx context.Context, live *v1alpha1.Canary, target manifests.Target, open planner.OpenRevert) error {
	id := live.Name + "." + live.Namespace
	source, ok := r.source.(reverter)
	if !ok {
		return r.settleRevert(ctx, live, planner.RevertNotPossible, fmt.Sprintf("revert of %s: the source cannot push a branch", open.Bad))
	}
	gitCtx, cancel := context.WithTimeout(ctx, r.opts.GitTimeout)
	defer cancel()
	draft, err := source.PrepareRevert(gitCtx, gitsync.RevertRequest{
		Good: open.Good, Bad: open.Bad, Paths: target.SourceFiles, Branch: open.Branch,
		Message: fmt.Sprintf("Revert %s to %s\n\nThe canary of commit %s failed: %s.\nThis reverts, in the files of %s, the changes from %s to %s that change %s alone.",
			id, short(open.Good), short(open.Bad), open.Reason, id, short(open.Good), short(open.Bad), id),
	})
	if err != nil {
		return fmt.Errorf("canary %s/%s: prepare revert branch %s: %w", live.Namespace, live.Name, open.Branch, r.gitTimedOut(ctx, err))
	}
	defer draft.Close()
	render := func(dir string) (*manifests.Rendering, error) {
		return manifests.Render(dir, r.opts.Path, r.opts.Render)
	}
	plan, err := chooseRevert(draft, render, client.ObjectKeyFromObject(live), open.GoodRevision)
	if err != nil {
		return fmt.Errorf("canary %s/%s: choose revert of %s: %w", live.Namespace, live.Name, short(open.Bad), err)
	}
	decision := planner.DecideRevertPullRequest(open.Bad, plan.proof)
	if !decision.Open {
		return r.settleRevert(ctx, live, decision.Reason, decision.Message)
	}
	pushCtx, cancelPush := context.WithTimeout(ctx, r.opts.GitTimeout)
	defer cancelPush()
	pushed, err := draft.Push(pushCtx, plan.choice)
	switch {
	case errors.Is(err, gitsync.ErrNothingToRevert):
		return r.settleRevert(ctx, live, planner.RevertNothingToRevert, fmt.Sprintf("revert of %s not opened: %s already has the content of %s", open.Bad, source.Branch(), short(open.Good)))
	case err != nil:
		return fmt.Errorf("canary %s/%s: push revert branch %s: %w", live.Namespace, live.Name, open.Branch, r.gitTimedOut(ctx, err))
	}
	if err := r.fault(faultAfterPush); err != nil {
		return err
	}
	var pr *forge.PullRequest
	err = r.withForge(ctx, func(ctx context.Context) (err error) {
		pr, err = r.opts.Forge.OpenPullRequest(ctx, forge.NewPullRequest{
			Title: open.Title, Head: pushed.Branch, Base: source.Branch(),
			Body: revertBody(live, open, pushed, plan.proof, decision.Restores, r.opts.CommitURL),
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("canary %s/%s: open revert pull request: %w", live.Namespace, live.Name, err)
	}
	if err := r.fault(faultAfterOpen); err != nil {
		return err
	}
	updated, err := r.writeStatus(ctx, client.ObjectKeyFromObject(live), func(st *v1alpha1.CanaryStatus, generation int64) {
		st.RevertPullRequest = pr.Number
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: planner.ConditionRevertPullRequest, Status: metav1.ConditionTrue, Reason: planner.RevertOpened,
			Message: fmt.Sprintf("#%d reverts %s: %s", pr.Number, open.Bad, pr.URL), ObservedGeneration: generation,
		})
	})
	if err != nil {
		return err
	}
	r.events.record(ctx, updated, corev1.EventTypeNormal, "Synced", fmt.Sprintf("Revert pull request #%d opened for %s: %s", pr.Number, id, pr.URL))
	if r.opts.CommitChecks.checkRuns() {
		// The failed commit's Check Run links its revert from now on; the
		// pull request is open whatever becomes of this update.
		failed := v1alpha1.CommitStatusRecord{Commit: open.Bad, State: string(planner.CommitFailure), Description: updated.Status.FailureReason}
		if err := r.writeCheckRun(ctx, updated, failed, pr.URL); err != nil {
			r.opts.Log.Error(fmt.Sprintf("Check Run %s on %s does not link revert pull request #%d", StatusContext(live.Namespace, live.Name), short(open.Bad), pr.Number), "error", err.Error())
		}
	}
	return nil
}

// settleRevert records that no revert pull request will be opened for the
// last failed commit, and why, as a condition and a Warning.
func (r *Reconciler) settleRevert(ctx context.Context, live *v1alpha1.Canary, reason, message string) error {
	updated, err := r.writeStatus(ctx, client.ObjectKeyFromObject(live), func(st *v1alpha1.CanaryStatus, generation int64) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: planner.ConditionRevertPullRequest, Status: metav1.ConditionFalse, Reason: reason,
			Message: message, ObservedGeneration: generation,
		})
	})
	if err != nil {
		return err
	}
	r.events.record(ctx, updated, corev1.EventTypeWarning, "Synced", fmt.Sprintf("No revert pull request for %s.%s: %s", live.Name, live.Namespace, message))
	return nil
}

// closeRevert closes the revert pull request Git no longer needs, with a
// comment saying why, unless it is closed already (merged: that is how Git
// came back), and forgets it.
func (r *Reconciler) closeRevert(ctx context.Context, live *v1alpha1.Canary, close planner.CloseRevert) error {
	var pr *forge.PullRequest
	err := r.withForge(ctx, func(ctx context.Context) (err error) {
		pr, err = r.opts.Forge.PullRequest(ctx, close.Number)
		return err
	})
	if err != nil {
		return fmt.Errorf("canary %s/%s: read revert pull request #%d: %w", live.Namespace, live.Name, close.Number, err)
	}
	event := fmt.Sprintf("Revert pull request #%d was merged", close.Number)
	if pr.State == "open" {
		if err := r.withForge(ctx, func(ctx context.Context) error {
			return r.opts.Forge.ClosePullRequest(ctx, close.Number, close.Comment)
		}); err != nil {
			return fmt.Errorf("canary %s/%s: close revert pull request #%d: %w", live.Namespace, live.Name, close.Number, err)
		}
		event = fmt.Sprintf("Revert pull request #%d closed: %s", close.Number, close.Comment)
	} else if !pr.Merged {
		event = fmt.Sprintf("Revert pull request #%d was closed", close.Number)
	}
	updated, err := r.writeStatus(ctx, client.ObjectKeyFromObject(live), func(st *v1alpha1.CanaryStatus, generation int64) {
		st.RevertPullRequest = 0
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: planner.ConditionRevertPullRequest, Status: metav1.ConditionFalse, Reason: planner.RevertClosed,
			Message: event, ObservedGeneration: generation,
		})
	})
	if err != nil {
		return err
	}
	r.events.record(ctx, updated, corev1.EventTypeNormal, "Synced", event)
	return nil
}

// revertBody is the description of a revert pull request: what failed,
// why, what it reverts, what it leaves and why, and what merging it (or
// not) does. It holds no data of the cluster but names, commits, file
// lines and the failure's reason.
func revertBody(live *v1alpha1.Canary, open planner.OpenRevert, pushed gitsync.RevertResult, proof planner.RevertProof, restores bool, commitURL func(string) string) string {
	id := live.Name + "." + live.Namespace
	link := func(sha string) string {
		if commitURL == nil {
			return "`" + sha + "`"
		}
		return fmt.Sprintf("[`%s`](%s)", short(sha), commitURL(sha))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sluice rolled back the canary of `%s`: the cluster runs %s again, and this pull request makes Git say so.\n\n", id, link(open.Good))
	fmt.Fprintf(&b, "- **Failed commit:** %s — commit status `%s`: failure\n", link(open.Bad), StatusContext(live.Namespace, live.Name))
	fmt.Fprintf(&b, "- **Reason:** %s\n", open.Reason)
	fmt.Fprintf(&b, "- **Failed checks:** %d (threshold %d), at canary weight %d%%\n", open.FailedChecks, live.Spec.Analysis.Threshold, open.FailedWeight)
	fmt.Fprintf(&b, "- **Running:** %s, promoted to `%s-primary.%s`\n\n", link(open.Good), live.Spec.TargetRef.Name, live.Namespace)
	fmt.Fprintf(&b, "It reverts the changes from %s to %s that change `%s` and nothing else, on top of %s:\n\n", link(open.Good), link(open.Bad), id, link(pushed.Base))
	for _, f := range pushed.Files {
		fmt.Fprintf(&b, "- `%s`\n", f)
	}
	if !pushed.Existed {
		fmt.Fprintf(&b, "\nsluice rendered this branch before opening it: every object but those of `%s` renders as on %s.", id, link(pushed.Base))
		if restores {
			fmt.Fprintf(&b, " `%s` renders revision `%s`, the one `%s-primary.%s` runs.\n", id, short(proof.GoodRevision), live.Spec.TargetRef.Name, live.Namespace)
		} else {
			fmt.Fprintf(&b, " `%s` renders revision `%s`, **not** `%s`, the one `%s-primary.%s` runs: merging it starts a canary analysis of that revision.\n", id, short(proof.Revision), short(proof.GoodRevision), live.Spec.TargetRef.Name, live.Namespace)
		}
	}
	if len(proof.Left) > 0 {
		b.WriteString("\n**Not reverted:** these changes of the failed commit need a hand:\n\n")
		for _, left := range proof.Left {
			fmt.Fprintf(&b, "- `%s`: %s\n", left.Where, left.Why)
		}
	}
	if restores {
		b.WriteString("\nMerge it and nothing rolls out: the primary already runs that revision. ")
	} else {
		b.WriteString("\n")
	}
	b.WriteString("To retry the change instead, push a new revision (for example an annotation change in the pod template); sluice then closes this pull request.\n")
	return b.String()
}
