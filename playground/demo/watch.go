package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// view is what the demo sees at one moment of a step.
type view struct {
	// canary is the live Canary; nil before sluice applied it.
	canary *v1alpha1.Canary
	// commit is the step's commit and statuses its commit statuses,
	// oldest first.
	commit   string
	statuses []CommitStatus
	// messages are the Canary messages of the step so far.
	messages []string
	// since is when the wait began.
	since time.Time
}

// said reports whether sluice said a message that starts with prefix
// during the step.
func (v view) said(prefix string) bool {
	return slices.ContainsFunc(v.messages, func(msg string) bool { return strings.HasPrefix(msg, prefix) })
}

// rolloutEnded reports whether the step's rollout ended with a message that
// starts with prefix.
func (v view) rolloutEnded(prefix string) bool {
	msgs := rolloutMessages(v.messages)
	return len(msgs) > 0 && strings.HasPrefix(msgs[len(msgs)-1], prefix)
}

// lastState is the state of the latest commit status, empty if none.
func (v view) lastState() string {
	if len(v.statuses) == 0 {
		return ""
	}
	return v.statuses[len(v.statuses)-1].State
}

// String describes the view for an error message.
func (v view) String() string {
	if v.canary == nil {
		return "no Canary yet"
	}
	st := v.canary.Status
	s := fmt.Sprintf("Canary phase %s, weight %d, failed checks %d", st.Phase, st.CanaryWeight, st.FailedChecks)
	if st.FailureReason != "" {
		s += ", failure reason " + st.FailureReason
	}
	if len(v.statuses) > 0 {
		last := v.statuses[len(v.statuses)-1]
		s += fmt.Sprintf(", commit status of %s %s (%s)", short(v.commit), last.State, last.Description)
	} else {
		s += fmt.Sprintf(", no commit status on %s", short(v.commit))
	}
	return s
}

// watch is what await waits for.
type watch struct {
	// what names it in an error.
	what string
	// done reports whether the wait is over; an error ends it too.
	done func(view) (bool, error)
	// onMessage, when set, is called with every Canary message of sluice.
	onMessage func(ctx context.Context, msg string) error
	// measure measures the traffic split at each new weight.
	measure bool
}

// pollEvery is how often await looks at the Canary and the commit status.
const pollEvery = 250 * time.Millisecond

// await follows the step — sluice's messages, the Canary, the commit
// status — until w.done, for at most Options.StepTimeout.
func (s *story) await(ctx context.Context, step *Step, w watch) error {
	since := time.Now()
	deadline := since.Add(s.opts.StepTimeout)
	ticker := time.NewTicker(pollEvery)
	defer ticker.Stop()
	var last view
	for {
		for _, line := range s.stack.sluice.take() {
			if err := s.record(ctx, step, line, w); err != nil {
				return err
			}
		}
		v, err := s.look(ctx, step)
		switch {
		case err == nil:
			v.since, v.messages = since, step.Messages
			last = v
			if err := s.observe(ctx, step, v, w); err != nil {
				return err
			}
			done, err := w.done(v)
			if err != nil {
				return fmt.Errorf("%s: %w (%s)", step.Name, err, v)
			}
			if done {
				if v.canary != nil {
					step.Phase = v.canary.Status.Phase
				}
				return nil
			}
		case ctx.Err() != nil:
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("%s: gave up waiting for %s after %s: %w", step.Name, w.what, s.opts.StepTimeout, err)
			}
			return fmt.Errorf("%s: gave up waiting for %s after %s (%s)", step.Name, w.what, s.opts.StepTimeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.stack.sluice.exited:
			return s.stack.sluice.exitError()
		case <-s.stack.sluice.arrived:
		case <-ticker.C:
			s.n.tick()
		}
	}
}

// record takes one line of sluice's log: a Canary message goes into the
// step and the narration, as do warnings and errors.
func (s *story) record(ctx context.Context, step *Step, line logLine, w watch) error {
	if narrated(line) {
		s.n.sluice(line)
	}
	if line.Canary != "" {
		step.Messages = append(step.Messages, line.Msg)
		if w.onMessage != nil {
			return w.onMessage(ctx, line.Msg)
		}
	}
	return nil
}

// narrated says whether the story tells a line of sluice's log: a Canary
// message, a warning or an error.
func narrated(line logLine) bool {
	return line.Canary != "" || line.Level == "WARN" || line.Level == "ERROR"
}

// look reads the Canary and the commit statuses of the step's commit.
func (s *story) look(ctx context.Context, step *Step) (view, error) {
	v := view{commit: step.Commit}
	var err error
	if v.canary, err = s.stack.kube.canary(ctx); err != nil {
		return v, err
	}
	if step.Commit != "" {
		if v.statuses, err = s.stack.user.statuses(ctx, step.Commit); err != nil {
			return v, err
		}
	}
	return v, nil
}

// observe records the weights seen, shows the progress and, when asked,
// measures the split at a weight not measured yet.
func (s *story) observe(ctx context.Context, step *Step, v view, w watch) error {
	p := progress{commit: v.commit}
	if len(v.statuses) > 0 {
		last := v.statuses[len(v.statuses)-1]
		p.state, p.description = last.State, last.Description
	}
	if v.canary == nil {
		s.n.show(p)
		return nil
	}
	st := v.canary.Status
	p.phase, p.weight = string(st.Phase), st.CanaryWeight
	s.n.show(p)
	if st.CanaryWeight > 0 && !slices.Contains(step.Weights, st.CanaryWeight) {
		step.Weights = append(step.Weights, st.CanaryWeight)
	}
	if !w.measure || st.Phase != v1alpha1.PhaseProgressing || st.CanaryWeight == 0 || measuredAt(step.Splits, st.CanaryWeight) {
		return nil
	}
	split, ok, err := s.stack.meter.measure(ctx)
	if err != nil {
		return fmt.Errorf("%s: measure the traffic split: %w", step.Name, err)
	}
	if ok && split.CanaryWeight > 0 && !measuredAt(step.Splits, split.CanaryWeight) {
		step.Splits = append(step.Splits, split)
		s.n.say("%s%s", tag("split"), split)
	}
	return nil
}

// measuredAt reports whether a split was measured at the canary weight.
func measuredAt(splits []Split, weight int32) bool {
	return slices.ContainsFunc(splits, func(s Split) bool { return s.CanaryWeight == weight })
}
