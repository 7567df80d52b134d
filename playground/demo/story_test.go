package demo

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRolloutMessages(t *testing.T) {
	promotion := []string{
		"New revision detected! Scaling up detail.flagger",
		"Starting canary analysis for detail.flagger",
		"Advance detail.flagger canary weight 5",
		"Copying detail.flagger template spec to detail-primary.flagger",
		"Promotion completed! Scaling down detail.flagger",
	}
	for _, tc := range []struct {
		name string
		msgs []string
		want []string
	}{{
		name: "no rollout",
		msgs: []string{"Revert pull request #3 was merged"},
		want: nil,
	}, {
		name: "what comes before the rollout and after its end is left out",
		msgs: append(append([]string{"New revision 1a2b3c4 of detail.flagger detected in commit 5d6e7f8: waiting for rollout"}, promotion...),
			"Revert pull request #3 closed: superseded"),
		want: promotion,
	}, {
		name: "waits on a Deployment are left out",
		msgs: []string{
			"New revision detected! Scaling up detail.flagger",
			"detail.flagger not ready: waiting for rollout to finish: 0 of 2 updated replicas are available",
			"Starting canary analysis for detail.flagger",
			"Canary failed! Scaling down detail.flagger",
			"Revert pull request #3 opened for detail.flagger: http://…/pull/3",
		},
		want: []string{
			"New revision detected! Scaling up detail.flagger",
			"Starting canary analysis for detail.flagger",
			"Canary failed! Scaling down detail.flagger",
		},
	}, {
		name: "the last rollout counts",
		msgs: append([]string{"New revision detected! Scaling up detail.flagger", "Canary failed! Scaling down detail.flagger"}, promotion...),
		want: promotion,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, rolloutMessages(tc.msgs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeVersions(t *testing.T) {
	got := describeVersions(map[string]int{"3.0": 20, "2.0": 80})
	if want := "2.0 (80 of 100 requests), 3.0 (20 of 100 requests)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := describeVersions(nil); got != "nothing" {
		t.Errorf("no answers: got %q, want nothing", got)
	}
}

// Regression: on a cold first run the summary said "The story is over
// (18m57s)" for a story of 78 s: the timer included building the
// playground.
func TestTheSummaryTimesTheStoryApartFromBringingUpThePlayground(t *testing.T) {
	var out bytes.Buffer
	report := &Report{Setup: 17*time.Minute + 39*time.Second, Took: 78 * time.Second}
	(&story{n: newNarrator(&out), report: report}).summarize()
	if want := "━━ The story is over (1m18s, after 17m39s bringing up the playground)"; !strings.Contains(out.String(), want) {
		t.Errorf("summary %q does not say %q", out.String(), want)
	}
}
