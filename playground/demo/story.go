package demo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground"
	"github.com/sluicehq/sluice/playground/forgeemu"
)

// story plays the steps on a stack.
type story struct {
	stack  *stack
	opts   Options
	n      *narrator
	report *Report
	// app is what main says now.
	app app
}

// play plays every step in order.
func (s *story) play(ctx context.Context) error {
	s.app = app{version: "1.0", maxWeight: 15, loadTester: s.stack.loadTesterURL}
	steps := []func(context.Context) error{s.install, s.promote, s.rollback, s.revert, s.retry}
	if s.opts.Story == StoryCompare {
		s.app.compare = true
		steps = []func(context.Context) error{s.install, s.slowCanary, s.sharedFault}
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// begin starts a step and narrates its title.
func (s *story) begin(name, version, title string) *Step {
	step := &Step{Name: name, Version: version, Title: title}
	s.report.Steps = append(s.report.Steps, step)
	s.n.heading("━━ %d. %s", len(s.report.Steps), title)
	return step
}

// install commits the app at 1.0 and starts sluice, which installs it.
func (s *story) install(ctx context.Context) error {
	started := time.Now()
	step := s.begin(StepInstall, s.app.version, "Git holds detail 1.0: sluice installs it")
	sha, err := s.stack.forge.Commit(ctx, forgeemu.Change{Branch: "main", Message: "detail 1.0 with its Canary", Write: s.app.files()})
	if err != nil {
		return err
	}
	step.Commit = sha
	s.n.say("Committed %s to main of %s: the Deployment detail (image %s, 2 replicas) and its Canary (provider gatewayapi, host %s, stepWeight 5, maxWeight %d).",
		short(sha), s.stack.forge.GitURL(), ImageLine(s.app.version), Host, s.app.maxWeight)
	if err := s.stack.startSluice(s.opts); err != nil {
		return err
	}
	s.n.say("Started: %s run --repo %s --interval %s --prometheus-url %s --forge github …", s.opts.Sluice, s.stack.forge.GitURL(), PollInterval, s.stack.pg.Prometheus.URL)
	s.tryThis("While the story plays, try in another terminal:")
	err = s.await(ctx, step, watch{
		what: "the install of 1.0",
		done: func(v view) (bool, error) {
			return v.canary != nil && v.canary.Status.Phase == v1alpha1.PhaseInitialized && v.lastState() == "success" &&
				v.said("Initialization done!"), nil
		},
	})
	if err != nil {
		return err
	}
	s.stack.startSteadyLoad()
	s.n.say("From now on a steady %d requests per second go to http://%s/catalogDetail through the gateway, as users would send.", steadyLoadRate, Host)
	return s.end(ctx, step, started)
}

// promote merges a pull request to 2.0, which is promoted.
func (s *story) promote(ctx context.Context) error {
	started := time.Now()
	s.app.version = "2.0"
	step := s.begin(StepPromote, s.app.version, "A pull request moves detail to 2.0: a canary analysis promotes it")
	if err := s.mergeChange(ctx, step, "detail-2.0", "detail: 2.0", DeploymentFile); err != nil {
		return err
	}
	s.n.say("sluice sees the new revision at its next poll, scales the canary up and runs the acceptance test; then every %s it checks the canary's success rate (≥ 99%%) and latency (p99 ≤ 500 ms) in Prometheus and shifts 5%% more traffic to it, up to 15%%, before promoting it.", AnalysisInterval)
	err := s.await(ctx, step, watch{
		what:    "the promotion of 2.0",
		measure: true,
		done:    promoted,
	})
	if err != nil {
		return err
	}
	return s.end(ctx, step, started)
}

// promoted is done once the Canary succeeded, and sluice and the commit
// status say so; a failure ends the wait with an error.
func promoted(v view) (bool, error) {
	if v.canary == nil {
		return false, nil
	}
	if v.canary.Status.Phase == v1alpha1.PhaseFailed && v.canary.Status.LastFailedCommit == v.commit {
		return false, fmt.Errorf("the canary failed instead of being promoted: %s", v.canary.Status.FailureReason)
	}
	return v.canary.Status.Phase == v1alpha1.PhaseSucceeded && v.lastState() == "success" &&
		v.rolloutEnded("Promotion completed!"), nil
}

// rollback merges a pull request to 3.0, injects a fault into the canary
// once the pre-rollout check passed, and waits for the rollback and the
// revert pull request.
func (s *story) rollback(ctx context.Context) error {
	started := time.Now()
	s.app.version = "3.0"
	step := s.begin(StepRollback, s.app.version, "A pull request moves detail to 3.0, which fails: sluice rolls back and opens a revert")
	if err := s.mergeChange(ctx, step, "detail-3.0", "detail: 3.0", DeploymentFile); err != nil {
		return err
	}
	s.n.say("Once the canary passed its acceptance test we make it fail, as the seed does; sluice should catch it at the next check.")
	injected := false
	err := s.await(ctx, step, watch{
		what:    "the rollback of 3.0 and its revert pull request",
		measure: true,
		onMessage: func(ctx context.Context, msg string) error {
			if injected || msg != "Pre-rollout check acceptance-test passed" {
				return nil
			}
			injected = true
			s.n.say("Like the seed, we make the canary fail: curl http://detail-canary.flagger:3000/injectFault — 3.0 answers 500 from now on.")
			return s.stack.injectFault(ctx)
		},
		done: func(v view) (bool, error) {
			if v.canary == nil {
				return false, nil
			}
			st := v.canary.Status
			if st.Phase == v1alpha1.PhaseSucceeded && st.LastPromotedCommit == v.commit {
				return false, fmt.Errorf("3.0 was promoted: the fault was not caught")
			}
			return st.Phase == v1alpha1.PhaseFailed && v.lastState() == "failure" && st.RevertPullRequest != 0 &&
				v.rolloutEnded("Canary failed!") && v.said("Revert pull request #"), nil
		},
	})
	if err != nil {
		return err
	}
	v, err := s.look(ctx, step)
	if err != nil {
		return err
	}
	if step.Revert, err = s.stack.user.pullRequest(ctx, v.canary.Status.RevertPullRequest); err != nil {
		return err
	}
	s.n.say("sluice opened pull request #%d “%s” (%s → %s): %s", step.Revert.Number, step.Revert.Title, step.Revert.Head, step.Revert.Base, step.Revert.URL)
	for _, f := range step.Revert.Files {
		s.n.say("  %s\n%s", f.Filename, indent(f.Patch, "    "))
	}
	s.app.version = "2.0" // what main says once the revert is merged
	return s.end(ctx, step, started)
}

// revert merges sluice's revert pull request: Git says 2.0 again, nothing
// rolls out.
func (s *story) revert(ctx context.Context) error {
	started := time.Now()
	rollback := s.report.Step(StepRollback)
	step := s.begin(StepRevert, "2.0", "We merge the revert pull request: Git says 2.0 again, which is what runs")
	step.PullRequest = rollback.Revert.Number
	sha, err := s.stack.user.merge(ctx, step.PullRequest)
	if err != nil {
		return err
	}
	step.Commit = sha
	s.n.say("Merged #%d through the REST API: merge commit %s on main.", step.PullRequest, short(sha))
	err = s.await(ctx, step, watch{
		what: "the status of the revert's merge commit",
		done: func(v view) (bool, error) {
			if v.canary != nil && v.canary.Status.Phase == v1alpha1.PhaseProgressing {
				return false, fmt.Errorf("merging the revert started a rollout")
			}
			return v.lastState() == "success", nil
		},
	})
	if err != nil {
		return err
	}
	// Nothing rolls out: watch two more polls to be sure.
	err = s.await(ctx, step, watch{
		what: "two more polls",
		done: func(v view) (bool, error) {
			if v.canary.Status.Phase == v1alpha1.PhaseProgressing {
				return false, fmt.Errorf("merging the revert started a rollout")
			}
			return time.Since(v.since) > 2*PollInterval, nil
		},
	})
	if err != nil {
		return err
	}
	s.n.say("Nothing rolled out: detail-primary runs 2.0, which Git says again. The Canary keeps the phase of its last analysis, Failed, until a new revision comes.")
	return s.end(ctx, step, started)
}

// retry merges a pull request to 3.0 again with an annotation change in
// the pod template, and maxWeight 20; without the fault it is promoted.
func (s *story) retry(ctx context.Context) error {
	started := time.Now()
	s.app.version = "3.0"
	s.app.annotations = [][2]string{{"example.com/retry", "1"}}
	s.app.maxWeight = 20
	step := s.begin(StepRetry, s.app.version, "We retry 3.0 without the fault: an annotation change in the pod template makes a new revision")
	if err := s.mergeChange(ctx, step, "retry-3.0", "detail: retry 3.0 (fault fixed), up to 20%", DeploymentFile, CanaryFile); err != nil {
		return err
	}
	s.n.say("Git asked for 3.0 before and it failed: the same pod template would not be tried again. The annotation makes a new revision, so a new analysis starts; this time nothing injects a fault, and the Canary allows up to 20%%.")
	err := s.await(ctx, step, watch{what: "the promotion of 3.0", measure: true, done: promoted})
	if err != nil {
		return err
	}
	return s.end(ctx, step, started)
}

// mergeChange pushes files of s.app on a new branch, opens a pull request
// and merges it, as a user would, and records it in step.
func (s *story) mergeChange(ctx context.Context, step *Step, branch, title string, files ...string) error {
	all := s.app.files()
	changed := map[string]string{}
	for _, f := range files {
		changed[f] = all[f]
	}
	if _, err := s.stack.user.push(ctx, branch, title, changed); err != nil {
		return err
	}
	pr, err := s.stack.user.open(ctx, branch, title, "Changes "+strings.Join(files, " and ")+".")
	if err != nil {
		return err
	}
	step.PullRequest = pr.GetNumber()
	sha, err := s.stack.user.merge(ctx, step.PullRequest)
	if err != nil {
		return err
	}
	step.Commit = sha
	s.n.say("Pushed branch %s, opened pull request #%d “%s” and merged it through the REST API: merge commit %s on main.",
		branch, step.PullRequest, title, short(sha))
	return nil
}

// end reads the step's commit statuses and what the app serves, and
// narrates them.
func (s *story) end(ctx context.Context, step *Step, started time.Time) error {
	var err error
	if step.Statuses, err = s.stack.user.statuses(ctx, step.Commit); err != nil {
		return err
	}
	states := make([]string, len(step.Statuses))
	for i, st := range step.Statuses {
		states[i] = st.State
	}
	s.n.say("Commit statuses of %s (%s), oldest first: %s — “%s”", short(step.Commit), StatusContext, strings.Join(states, " → "), step.LastStatus().Description)
	versions, lost := s.stack.meter.serving(ctx, 100)
	step.Serving = versions
	s.n.say("%s now answers %s%s.", Host, describeVersions(versions), lostText(lost))
	step.Took = time.Since(started)
	return ctx.Err()
}

// describeVersions reads like "2.0 (100 of 100 requests)".
func describeVersions(versions map[string]int) string {
	total := 0
	for _, n := range versions {
		total += n
	}
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(versions)) {
		parts = append(parts, fmt.Sprintf("%s (%d of %d requests)", v, versions[v], total))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

func lostText(lost int) string {
	if lost == 0 {
		return ""
	}
	return fmt.Sprintf("; %d requests got no answer from the app", lost)
}

// tryThis tells, under heading, what to run meanwhile.
func (s *story) tryThis(heading string) {
	kubectl := s.stack.pg.Tools.Path(playground.Kubectl)
	kubeconfig := s.stack.pg.ControlPlane.Kubeconfig
	s.n.say(`
%s
  %s --kubeconfig %s get canaries -n %s -w
  %s --kubeconfig %s describe canary %s -n %s
  %s status %s --kubeconfig %s -n %s
  curl -H 'Host: %s' %s/catalogDetail
  curl -H 'Authorization: Bearer %s' %s
  Prometheus: %s`,
		heading, kubectl, kubeconfig, Namespace, kubectl, kubeconfig, App, Namespace,
		s.opts.Sluice, App, kubeconfig, Namespace,
		Host, s.stack.gateway.URL(), s.stack.token, s.stack.user.pullsURL(), s.stack.pg.Prometheus.URL)
}

// summarize narrates the story in a few lines.
func (s *story) summarize() {
	s.n.heading("━━ The story is over (%s, after %s bringing up the playground)",
		s.report.Took.Round(time.Second), s.report.Setup.Round(time.Second))
	for i, step := range s.report.Steps {
		line := fmt.Sprintf("%d. %-8s %s", i+1, step.Name, step.Version)
		if step.PullRequest != 0 {
			line += fmt.Sprintf(" #%d", step.PullRequest)
		}
		if len(step.Weights) > 0 {
			line += fmt.Sprintf(", weights %s", joinWeights(step.Weights))
		}
		line += fmt.Sprintf(", phase %s, status %s on %s", step.Phase, step.LastStatus().State, short(step.Commit))
		if step.Revert != nil {
			line += fmt.Sprintf(", revert #%d opened", step.Revert.Number)
		}
		line += fmt.Sprintf(" (%s)", step.Took.Round(time.Second))
		s.n.say("%s", line)
	}
}

// keep leaves everything up until ctx ends, and streams sluice's messages
// meanwhile.
func (s *story) keep(ctx context.Context) {
	s.tryThis("Everything stays up until Ctrl-C. Try:")
	s.n.say("sluice's messages keep coming below.")
	s.stream(ctx)
}

// stream narrates sluice's messages as they come (those the story tells:
// see narrated) until ctx ends. It reads what sluice queues, so the queue
// stays short; if sluice exits, it says how and waits for ctx.
func (s *story) stream(ctx context.Context) {
	for {
		for _, line := range s.stack.sluice.take() {
			if narrated(line) {
				s.n.sluice(line)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.stack.sluice.arrived:
		case <-s.stack.sluice.exited:
			for _, line := range s.stack.sluice.take() {
				if narrated(line) {
					s.n.sluice(line)
				}
			}
			s.n.say("%v", s.stack.sluice.exitError())
			<-ctx.Done()
			return
		}
	}
}

// joinWeights reads like "5/10/15".
func joinWeights(weights []int32) string {
	parts := make([]string, len(weights))
	for i, w := range weights {
		parts[i] = fmt.Sprint(w)
	}
	return strings.Join(parts, "/")
}

// rolloutMessages returns the messages from the last "New revision
// detected!" to the first "Promotion completed!" or "Canary failed!" after
// it, without those that contain " not ready: ".
func rolloutMessages(msgs []string) []string {
	start := -1
	for i, msg := range msgs {
		if strings.HasPrefix(msg, "New revision detected!") {
			start = i
		}
	}
	if start < 0 {
		return nil
	}
	var out []string
	for _, msg := range msgs[start:] {
		if strings.Contains(msg, " not ready: ") {
			continue
		}
		out = append(out, msg)
		if strings.HasPrefix(msg, "Promotion completed!") || strings.HasPrefix(msg, "Canary failed!") {
			break
		}
	}
	return out
}
