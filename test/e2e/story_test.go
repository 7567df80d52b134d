package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/playground/demo"
)

// The names of the seed, which the story keeps.
const (
	canaryID  = "detail.flagger"
	primaryID = "detail-primary.flagger"
)

// seedPromotion is the seed's log of a promotion through weights.
func seedPromotion(weights ...int) []string {
	msgs := []string{
		"New revision detected! Scaling up " + canaryID,
		"Starting canary analysis for " + canaryID,
		"Pre-rollout check acceptance-test passed",
	}
	for _, w := range weights {
		msgs = append(msgs, fmt.Sprintf("Advance %s canary weight %d", canaryID, w))
	}
	return append(msgs,
		"Copying "+canaryID+" template spec to "+primaryID,
		"Routing all traffic to primary",
		"Promotion completed! Scaling down "+canaryID,
	)
}

// seedRollback is the seed's log of the rollback at weight 5, with the
// measured success rate in the Halt message.
func seedRollback(rate string) []string {
	return []string{
		"New revision detected! Scaling up " + canaryID,
		"Starting canary analysis for " + canaryID,
		"Pre-rollout check acceptance-test passed",
		"Advance " + canaryID + " canary weight 5",
		"Halt " + canaryID + " advancement success rate " + rate + " < 99%",
		"Rolling back " + canaryID + " failed checks threshold reached 1",
		"Canary failed! Scaling down " + canaryID,
	}
}

// successRate matches the measured rate of a failure, as in "23.03%".
var successRate = regexp.MustCompile(`success rate (\d+(?:\.\d+)?%) < 99%`)

func TestTheSeedStoryEndToEnd(t *testing.T) {
	// The story takes two minutes or so; the playground's binaries, when
	// missing, take half an hour to build first.
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	var sluiceLog bytes.Buffer
	report, err := demo.Run(ctx, demo.Options{Sluice: sluiceBinary, Out: os.Stdout, SluiceLog: &sluiceLog})
	if err != nil {
		t.Fatalf("the story did not go as told: %v\nsluice's log:\n%s", err, tail(sluiceLog.String(), 60))
	}
	t.Logf("the story took %s", report.Took.Round(time.Second))
	names := make([]string, len(report.Steps))
	for i, s := range report.Steps {
		names[i] = s.Name
	}
	want := []string{demo.StepInstall, demo.StepPromote, demo.StepRollback, demo.StepRevert, demo.StepRetry}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("steps (-want +got):\n%s", diff)
	}

	t.Run("install", func(t *testing.T) {
		step := report.Step(demo.StepInstall)
		assertStates(t, step, "success")
		assertServing(t, step, "1.0")
	})

	t.Run("2.0 is promoted through 5/10/15", func(t *testing.T) {
		step := report.Step(demo.StepPromote)
		assertMessages(t, step, seedPromotion(5, 10, 15))
		assertWeights(t, step, 5, 10, 15)
		assertStates(t, step, "pending", "success")
		assertProgressReported(t, step, 5, 10, 15)
		assertSplits(t, step, "1.0", "2.0")
		assertServing(t, step, "2.0")
	})

	t.Run("3.0 halts at 5, rolls back and fails its commit", func(t *testing.T) {
		step := report.Step(demo.StepRollback)
		got := step.RolloutMessages()
		rate := "<rate>"
		if len(got) > 4 {
			if m := successRate.FindStringSubmatch(got[4]); m != nil {
				rate = m[1]
			}
		}
		if diff := cmp.Diff(seedRollback(rate), got); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
		assertWeights(t, step, 5)
		assertStates(t, step, "pending", "failure")
		if last := step.LastStatus(); !successRate.MatchString(last.Description) {
			t.Errorf("failure status says %q, want the success rate below 99%%", last.Description)
		}
		assertSplits(t, step, "2.0", "3.0")
		assertServing(t, step, "2.0")
	})

	t.Run("the revert pull request changes the image line back to 2.0", func(t *testing.T) {
		rollback := report.Step(demo.StepRollback)
		pr := rollback.Revert
		if pr == nil {
			t.Fatal("no revert pull request")
		}
		if want := "sluice/revert-detail-" + rollback.Commit[:7]; pr.Head != want || pr.Base != "main" {
			t.Errorf("revert pull request #%d merges %s into %s, want %s into main", pr.Number, pr.Head, pr.Base, want)
		}
		if len(pr.Files) != 1 || pr.Files[0].Filename != demo.DeploymentFile {
			t.Fatalf("revert pull request changes %+v, want %s alone", pr.Files, demo.DeploymentFile)
		}
		want := []string{
			"-        image: " + demo.ImageLine("3.0"),
			"+        image: " + demo.ImageLine("2.0"),
		}
		if diff := cmp.Diff(want, changedLines(pr.Files[0].Patch)); diff != "" {
			t.Errorf("changed lines of %s (-want +got):\n%s\npatch:\n%s", demo.DeploymentFile, diff, pr.Files[0].Patch)
		}
	})

	t.Run("merging the revert rolls nothing out and succeeds", func(t *testing.T) {
		step := report.Step(demo.StepRevert)
		if step.PullRequest != report.Step(demo.StepRollback).Revert.Number {
			t.Errorf("merged #%d, want the revert pull request", step.PullRequest)
		}
		if msgs := step.RolloutMessages(); msgs != nil || len(step.Weights) > 0 {
			t.Errorf("a rollout ran: messages %q, weights %v", msgs, step.Weights)
		}
		assertStates(t, step, "success")
		if desc := step.LastStatus().Description; !strings.Contains(desc, "primary already runs this revision") {
			t.Errorf("status says %q, want that the primary already runs this revision", desc)
		}
		assertServing(t, step, "2.0")
	})

	t.Run("3.0 retried without the fault is promoted through 5/10/15/20", func(t *testing.T) {
		step := report.Step(demo.StepRetry)
		assertMessages(t, step, seedPromotion(5, 10, 15, 20))
		assertWeights(t, step, 5, 10, 15, 20)
		assertStates(t, step, "pending", "success")
		assertProgressReported(t, step, 5, 10, 15, 20)
		assertSplits(t, step, "2.0", "3.0")
		assertServing(t, step, "3.0")
	})
}

// assertMessages compares the step's rollout messages with the seed's.
func assertMessages(t *testing.T, step *demo.Step, want []string) {
	t.Helper()
	if diff := cmp.Diff(want, step.RolloutMessages()); diff != "" {
		t.Errorf("messages (-want +got):\n%s\nall messages of the step:\n%s", diff, strings.Join(step.Messages, "\n"))
	}
}

func assertWeights(t *testing.T, step *demo.Step, want ...int32) {
	t.Helper()
	if diff := cmp.Diff(want, step.Weights); diff != "" {
		t.Errorf("canary weights (-want +got):\n%s", diff)
	}
}

// assertStates checks the commit statuses of the step's commit: with two
// states, every status but the last is the first state (at least one);
// with one, there is only that one.
func assertStates(t *testing.T, step *demo.Step, want ...string) {
	t.Helper()
	var got []string
	for _, st := range step.Statuses {
		got = append(got, st.State)
	}
	ok := len(got) == 1 && len(want) == 1 && got[0] == want[0]
	if len(want) == 2 && len(got) >= 2 && got[len(got)-1] == want[1] {
		ok = !slices.ContainsFunc(got[:len(got)-1], func(s string) bool { return s != want[0] })
	}
	if !ok {
		t.Errorf("commit statuses of %s: %v, want %s", step.Commit, step.Statuses, strings.Join(want, "… then "))
	}
}

// assertProgressReported checks that the pending statuses told each weight.
func assertProgressReported(t *testing.T, step *demo.Step, weights ...int) {
	t.Helper()
	for _, w := range weights {
		told := fmt.Sprintf("canary weight %d%%", w)
		if !slices.ContainsFunc(step.Statuses, func(st demo.CommitStatus) bool {
			return st.State == "pending" && strings.Contains(st.Description, told)
		}) {
			t.Errorf("no pending status says %q: %v", told, step.Statuses)
		}
	}
}

// assertSplits checks that a split was measured at every weight and that
// the canary's share is the route's weight within four standard
// deviations of the measurement, plus a point.
func assertSplits(t *testing.T, step *demo.Step, primaryVersion, canaryVersion string) {
	t.Helper()
	for _, w := range step.Weights {
		i := slices.IndexFunc(step.Splits, func(s demo.Split) bool { return s.CanaryWeight == w })
		if i < 0 {
			t.Errorf("no split measured at weight %d: %v", w, step.Splits)
			continue
		}
		s := step.Splits[i]
		t.Logf("weight %d: %s", w, s)
		if s.PrimaryWeight != 100-w || s.PrimaryVersion != primaryVersion || s.CanaryVersion != canaryVersion {
			t.Errorf("split at weight %d: %s, want route %d/%d between %s and %s", w, s, 100-w, w, primaryVersion, canaryVersion)
		}
		p := float64(w) / 100
		tolerance := 400*math.Sqrt(p*(1-p)/float64(s.Requests)) + 1
		if got := s.CanaryShare(); math.Abs(got-float64(w)) > tolerance {
			t.Errorf("split at weight %d: %s; want %d%% ± %.1f", w, s, w, tolerance)
		}
		if s.Lost > s.Requests/100 {
			t.Errorf("split at weight %d: %d of %d requests lost", w, s.Lost, s.Requests)
		}
	}
}

// assertServing checks that the app answered only version at the end of
// the step.
func assertServing(t *testing.T, step *demo.Step, version string) {
	t.Helper()
	if len(step.Serving) != 1 || step.Serving[version] == 0 {
		t.Errorf("the app answered %v at the end of the step, want %s alone", step.Serving, version)
	}
}

// changedLines returns the removed and added lines of a patch.
func changedLines(patch string) []string {
	var lines []string
	for _, line := range strings.Split(patch, "\n") {
		if strings.HasPrefix(line, "-") || strings.HasPrefix(line, "+") {
			lines = append(lines, line)
		}
	}
	return lines
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
