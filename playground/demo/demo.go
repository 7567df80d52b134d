// Package demo plays the seed story of sluice on a fresh playground, the
// way `sluice demo` shows it and the end-to-end test proves it:
//
//  1. install: the detail app at 1.0, with its Canary, is committed to the
//     main branch of a repository on the forge emulator, and `sluice run`
//     installs it (no analysis for a first revision);
//  2. promote: a pull request moves the image to 2.0 and is merged through
//     the forge's REST API, as a user would; sluice shifts traffic
//     through 5, 10 and 15 % and promotes 2.0; the merge commit's status
//     goes from pending to success;
//  3. roll back: a pull request moves it to 3.0; once the pre-rollout check
//     passed, a fault is injected into the canary (the seed's
//     `curl …/injectFault`), the success rate falls, sluice halts at 5 %,
//     rolls back, sets the status to failure and opens a revert pull
//     request;
//  4. revert: the revert pull request is merged: Git says 2.0 again, which
//     is what runs; nothing rolls out and the status is success;
//  5. retry: a pull request moves to 3.0 again, with an annotation change in
//     the pod template (a new revision) and maxWeight 20; without the fault
//     it is promoted through 5, 10, 15 and 20 %.
//
// Everything is real and local: the playground's Kubernetes control plane
// and Prometheus, the playground gateway routing detail.example.com by the
// HTTPRoute's weights to real processes of the demo app, a load tester
// behind the Canary's webhooks, the forge emulator over a real Git
// repository, and sluice itself as a `sluice run` subprocess whose log is
// read as it goes. A steady load goes to detail.example.com all along, and
// at every weight the split of a burst of requests is measured against the
// route's weights.
//
// Options.Story StoryCompare plays another story on the same stack, where
// the Canary compares the canary with the primary (metrics[].compare):
// after the install, a canary slower than its primary but under the p99
// threshold is rolled back by the comparison (StepSlow), and a fault both
// versions share, which a success-rate threshold would fail, does not
// stop a promotion (StepSharedFault).
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Options configures Run.
type Options struct {
	// Sluice is the path of the sluice binary that runs as `sluice run`.
	// Required.
	Sluice string
	// Out receives the narration: each step in plain words, sluice's
	// messages, the Canary's weight and the commit status as they change,
	// and the commands to try meanwhile. When Out is a terminal the weight
	// and the status are one line rewritten in place. Nil discards it.
	Out io.Writer
	// Log receives the logs of the playground (the progress of the first
	// build of its binaries among them), the gateway and the load tester,
	// debug records included. Their Info records and above are narrated
	// in Out anyway. Nil means only Out.
	Log *slog.Logger
	// SluiceLog receives sluice's stderr, JSON lines as written. Nil
	// discards it.
	SluiceLog io.Writer
	// CacheDir is where the playground's binaries are built and kept; zero
	// means playground.CacheDir().
	CacheDir string
	// StepTimeout bounds each step of the story; zero means 3 minutes.
	StepTimeout time.Duration
	// Keep leaves everything up once the story is over, until ctx ends.
	Keep bool
	// Story is the story to play: StorySeed (zero means it) or
	// StoryCompare. Any other is an error.
	Story string
}

// The stories Run plays.
const (
	// StorySeed is the seed's story: install, promote, rollback, revert,
	// retry, judged by fixed thresholds.
	StorySeed = "seed"
	// StoryCompare judges the canary against the primary: install, then
	// slow (a canary slower than its primary, under the fixed p99
	// threshold, is rolled back by the comparison) and shared-fault (a
	// fault both versions share, which a fixed success-rate threshold
	// would fail, does not stop a promotion).
	StoryCompare = "compare"
)

// Stories are the stories Run plays, the default first.
var Stories = []string{StorySeed, StoryCompare}

// The steps of the story, in order.
const (
	StepInstall  = "install"
	StepPromote  = "promote"
	StepRollback = "rollback"
	StepRevert   = "revert"
	StepRetry    = "retry"
	// StepSlow and StepSharedFault follow StepInstall in StoryCompare.
	StepSlow        = "slow"
	StepSharedFault = "shared-fault"
)

// Report is what happened, step by step.
type Report struct {
	// Steps are the steps played, in order; the last one may be
	// incomplete when Run failed.
	Steps []*Step
	// Setup is how long bringing up the playground and its stack took,
	// building the playground's binaries included (minutes the first time,
	// seconds afterwards).
	Setup time.Duration
	// Took is how long the story took, from the moment the stack was up to
	// the end of the last step: Setup is not part of it.
	Took time.Duration
}

// Step returns the step of that name, nil when it was not played.
func (r *Report) Step(name string) *Step {
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Step is one step of the story.
type Step struct {
	// Name is one of StepInstall, StepPromote, StepRollback, StepRevert,
	// StepRetry (StorySeed), or StepInstall, StepSlow, StepSharedFault
	// (StoryCompare).
	Name string
	// Title says what the step does, in plain words.
	Title string
	// Version is the version of the app that Git asks for in this step.
	Version string
	// PullRequest is the pull request merged in this step; zero for the
	// install, which is committed straight to main.
	PullRequest int
	// Commit is the commit on main the step is about: the merge commit of
	// PullRequest, or the first commit.
	Commit string
	// Messages are the Canary messages sluice logged during the step (the
	// msg of every log line with a canary), in order. Each is also an
	// Event on the Canary.
	Messages []string
	// Weights are the canary weights above zero that the Canary's status
	// showed, in order, each once.
	Weights []int32
	// Phase is the Canary's phase at the end of the step.
	Phase v1alpha1.CanaryPhase
	// Statuses are the commit statuses of Commit in the context
	// StatusContext, oldest first, read through the forge's REST API at the
	// end of the step.
	Statuses []CommitStatus
	// Revert is the revert pull request that sluice opened in this step.
	Revert *PullRequest
	// Splits are the traffic splits measured at each weight above zero.
	Splits []Split
	// Serving counts, by version, the answers to requests sent to Host at
	// the end of the step.
	Serving map[string]int
	// Took is how long the step took.
	Took time.Duration
}

// RolloutMessages returns the messages of the step's rollout: from the
// last "New revision detected!" to the message that ended the rollout
// ("Promotion completed!" or "Canary failed!"), without the waits on a
// Deployment (" not ready: "), which depend on how fast pods turn ready.
// These are the messages the seed shows. It returns nil when the step had
// no rollout.
func (s *Step) RolloutMessages() []string {
	return rolloutMessages(s.Messages)
}

// LastStatus returns the latest commit status of the step, zero if none.
func (s *Step) LastStatus() CommitStatus {
	if len(s.Statuses) == 0 {
		return CommitStatus{}
	}
	return s.Statuses[len(s.Statuses)-1]
}

// Run plays the story on a fresh playground and returns its report. It
// returns an error, with the report so far, when a step does not end the
// way the story says (within Options.StepTimeout) or when ctx ends; in
// every case everything it started is stopped before it returns: sluice,
// the gateway and the app's processes, the load tester, the forge
// emulator and the playground.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Sluice == "" {
		return nil, errors.New("demo: Options.Sluice (the sluice binary) is required")
	}
	if opts.Story == "" {
		opts.Story = StorySeed
	}
	if !slices.Contains(Stories, opts.Story) {
		return nil, fmt.Errorf("demo: unknown story %q: want one of %s", opts.Story, strings.Join(Stories, ", "))
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.StepTimeout == 0 {
		opts.StepTimeout = 3 * time.Minute
	}
	setupStarted := time.Now()
	n := newNarrator(opts.Out)
	report := &Report{}
	stack, err := startStack(ctx, opts, n)
	report.Setup = time.Since(setupStarted)
	if err != nil {
		n.done()
		return report, fmt.Errorf("demo: %w", err)
	}
	defer func() {
		n.done()
		n.say("\nStopping everything…")
		stack.close()
	}()

	s := &story{stack: stack, opts: opts, n: n, report: report}
	started := time.Now()
	err = s.play(ctx)
	report.Took = time.Since(started)
	n.done()
	if err != nil {
		if ctx.Err() == nil {
			// What Prometheus saw tells a canary that got no traffic from
			// metrics that were never scraped.
			return report, fmt.Errorf("demo: %w\n%s", err, diagnose(ctx, stack.pg.Prometheus.URL))
		}
		return report, fmt.Errorf("demo: %w", err)
	}
	s.summarize()
	if opts.Keep {
		s.keep(ctx)
	}
	return report, nil
}
