package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/demoapp"
)

// The knobs of the compare story, as the playground's gateway test of the
// comparison turns them (playground/gateway/compare_test.go).
const (
	// slowVersion is the version that the gateway runs slow from its
	// start, as gateway.FaultyVersions would run one failing.
	slowVersion = "2.0"
	// sharedFaultKnob fails 5 % of the answers of the app it is sent to,
	// as a database both versions use would.
	sharedFaultKnob = "/injectFault?rate=0.05"
	// latencyReason starts the comparison's reason for a slower canary.
	latencyReason = "p99 latency of canary "
)

// slowness makes a tenth of slowVersion's answers wait 200 ms more, as
// /injectLatency?fraction=0.1&extra=200ms would: its p99 rises to about
// 235 ms, under the 500 ms threshold.
var slowness = demoapp.Latency{Fraction: 0.1, Extra: 200 * time.Millisecond}

// slowCanary merges a pull request to 2.0, which the gateway runs slower
// than the primary from its start, and waits for the comparison to roll
// it back although the p99 threshold passes it.
func (s *story) slowCanary(ctx context.Context) error {
	started := time.Now()
	s.app.version = slowVersion
	step := s.begin(StepSlow, s.app.version, "A pull request moves detail to 2.0, slower than 1.0 but under the 500 ms p99 threshold: the comparison rolls it back")
	if err := s.mergeChange(ctx, step, "detail-2.0", "detail: 2.0", DeploymentFile); err != nil {
		return err
	}
	s.n.say("This Canary compares the canary's success rate and p99 latency with the primary's (a Mann-Whitney U test over %s, 12 windows), and keeps the seed's p99 ≤ 500 ms threshold. Until the canary has 8 windows of its own, a check finds too few samples and holds the step.", compareInterval)
	s.n.say("2.0 is slow from its start: the playground's gateway runs it with a tenth of its answers waiting 200 ms more, so its p99 is about 235 ms, which the 500 ms threshold passes.")
	err := s.await(ctx, step, watch{
		what:    "the rollback of the slow 2.0",
		measure: true,
		done:    rolledBackFor(latencyReason),
	})
	if err != nil {
		return err
	}
	if err := s.tellReason(ctx, step); err != nil {
		return err
	}
	return s.end(ctx, step, started)
}

// rolledBackFor is done once the Canary failed with a reason that holds
// reason, and sluice and the commit status say so; a promotion, or a
// failure for another reason, ends the wait with an error.
func rolledBackFor(reason string) func(view) (bool, error) {
	return func(v view) (bool, error) {
		if v.canary == nil {
			return false, nil
		}
		st := v.canary.Status
		if st.Phase == v1alpha1.PhaseSucceeded && st.LastPromotedCommit == v.commit {
			return false, fmt.Errorf("the canary was promoted: the comparison did not catch it")
		}
		if st.Phase != v1alpha1.PhaseFailed || st.LastFailedCommit != v.commit {
			return false, nil
		}
		if !strings.Contains(st.FailureReason, reason) {
			return false, fmt.Errorf("the canary failed for another reason: %s", st.FailureReason)
		}
		return v.lastState() == "failure" && v.rolloutEnded("Canary failed!"), nil
	}
}

// tellReason narrates why the Canary failed, as its status says.
func (s *story) tellReason(ctx context.Context, step *Step) error {
	v, err := s.look(ctx, step)
	if err != nil {
		return err
	}
	s.n.say("Rolled back for: %s", v.canary.Status.FailureReason)
	return nil
}

// sharedFault fails 5 % of the primary's answers, merges a pull request
// to 3.0, fails 5 % of the canary's answers too once its pre-rollout
// check passed, and waits for the promotion of 3.0, which a fixed
// success-rate threshold of 99 % would have rolled back.
func (s *story) sharedFault(ctx context.Context) error {
	started := time.Now()
	s.app.version = "3.0"
	step := s.begin(StepSharedFault, s.app.version, "A fault both versions share fails 5 % of requests, and a pull request moves detail to 3.0: the comparison promotes it")
	s.n.say("A database both versions use starts failing: curl http://detail-primary.flagger:3000%s — 1.0 answers 500 to 5 %% of requests from now on.", sharedFaultKnob)
	if err := s.stack.turnKnob(ctx, App+"-primary", sharedFaultKnob); err != nil {
		return err
	}
	// The canary's windows are those of the workload detail, whatever its
	// version: without this wait the first checks of 3.0 would still read
	// the slow 2.0, and the primary's would read 1.0 before the fault.
	s.n.say("We wait %s, the window of the comparison, so that it reads neither the slow 2.0 nor 1.0 before the fault.", compareInterval)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(mustParseDuration(compareInterval)):
	}
	if err := s.mergeChange(ctx, step, "detail-3.0", "detail: 3.0", DeploymentFile); err != nil {
		return err
	}
	faulted := false
	err := s.await(ctx, step, watch{
		what:    "the promotion of 3.0 under a shared fault",
		measure: true,
		onMessage: func(ctx context.Context, msg string) error {
			if faulted || msg != "Pre-rollout check acceptance-test passed" {
				return nil
			}
			faulted = true
			s.n.say("The canary uses the same database: curl http://detail-canary.flagger:3000%s — 3.0 fails 5 %% of requests too. A success-rate threshold of 99 %% would roll it back; the comparison finds it no worse than the primary.", sharedFaultKnob)
			return s.stack.turnKnob(ctx, App+"-canary", sharedFaultKnob)
		},
		done: promoted,
	})
	if err != nil {
		return err
	}
	s.n.say("Promoted: detail-primary now runs 3.0 in a new process, without the fault that the story injected into 1.0.")
	return s.end(ctx, step, started)
}

// mustParseDuration parses a duration constant of the story.
func mustParseDuration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(fmt.Sprintf("demo: duration %q: %v", s, err))
	}
	return d
}
