package planner

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// checkRunCanary is the seed Canary (steps 5, 10, 15) with status st.
func checkRunCanary(st v1alpha1.CanaryStatus) *v1alpha1.Canary {
	canary := &v1alpha1.Canary{Spec: seedSpec(), Status: st}
	canary.Name, canary.Namespace = "detail", "flagger"
	return canary
}

// passingChecks are the records of a step whose checks all passed.
var passingChecks = []v1alpha1.CheckRecord{
	{Name: v1alpha1.MetricRequestSuccessRate, Kind: CheckKindMetric, Verdict: "Pass", Value: "99.5235"},
	{Name: v1alpha1.MetricRequestDuration, Kind: CheckKindMetric, Verdict: "Pass", Value: "212.5"},
	{Name: "load-test", Kind: CheckKindWebhook, Verdict: "Pass"},
}

// failingChecks are the records of the step that rolled rev2 back.
var failingChecks = []v1alpha1.CheckRecord{
	{Name: v1alpha1.MetricRequestSuccessRate, Kind: CheckKindMetric, Verdict: "Fail", Value: "23.0312", Message: "success rate 23.03% < 99%"},
	{Name: v1alpha1.MetricRequestDuration, Kind: CheckKindMetric, Verdict: "Pass", Value: "212.5"},
	{Name: "load-test", Kind: CheckKindWebhook, Verdict: "Pass"},
}

// rolledBack is the status a rollback of rev2 (commit c2) at weight 10
// leaves.
func rolledBack(checks []v1alpha1.CheckRecord) v1alpha1.CanaryStatus {
	st := progressing(10, 2)
	failed(&st)
	st.FailedWeight, st.FailedChecks = 10, 1
	st.FailureReason = "success rate 23.03% < 99%"
	st.LastChecks = checks
	return st
}

func TestReportCheckRunGolden(t *testing.T) {
	promoted := progressing(0, 3)
	promoted.Phase, promoted.LastPromotedRevision, promoted.LastPromotedCommit = v1alpha1.PhaseSucceeded, "rev2bbbbbb", "c2c2c2c2c2"
	promoted.LastChecks = passingChecks

	atWeight10 := progressing(10, 2)
	atWeight10.LastChecks = passingChecks

	// A newer rollout (rev3, commit c3) is at weight 5 after rev2 failed.
	newer := rolledBack(failingChecks)
	newer.Phase, newer.CanaryWeight, newer.Iterations = v1alpha1.PhaseProgressing, 5, 1
	applied(&newer, "rev3cccccc", "c3c3c3c3c3")
	newer.LastChecks = []v1alpha1.CheckRecord{{Name: "acceptance-test", Kind: CheckKindWebhook, Verdict: "Pass"}}

	blueGreen := checkRunCanary(progressing(0, 3))
	blueGreen.Spec.Provider = v1alpha1.ProviderKubernetes
	blueGreen.Spec.Analysis.StepWeight, blueGreen.Spec.Analysis.MaxWeight, blueGreen.Spec.Analysis.Iterations = 0, 0, 10
	blueGreen.Status.LastChecks = passingChecks

	tests := []struct {
		name      string
		canary    *v1alpha1.Canary
		status    v1alpha1.CommitStatusRecord
		revertURL string
	}{
		{
			name:   "pending",
			canary: checkRunCanary(atWeight10),
			status: v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "pending", Description: "canary weight 10% — step 2/3"},
		},
		{
			name:   "success",
			canary: checkRunCanary(promoted),
			status: v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "success", Description: "promoted to detail-primary.flagger"},
		},
		{
			name:      "failure-with-revert",
			canary:    checkRunCanary(rolledBack(failingChecks)),
			status:    v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "failure", Description: "success rate 23.03% < 99% — rolled back"},
			revertURL: "https://github.com/acme/shop/pull/42",
		},
		{
			name:   "failure-without-revert",
			canary: checkRunCanary(rolledBack(failingChecks)),
			status: v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "failure", Description: "success rate 23.03% < 99% — rolled back"},
		},
		{
			name:   "superseded",
			canary: checkRunCanary(newer),
			status: v1alpha1.CommitStatusRecord{Commit: "c4c4c4c4c4", State: "error", Description: "superseded by c3c3c3c; not analysed", Superseded: true},
		},
		{
			name:   "iterations",
			canary: blueGreen,
			status: v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "pending", Description: "iteration 3/10"},
		},
		{
			name:   "checks-of-another-commit",
			canary: checkRunCanary(newer),
			status: v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "failure", Description: "success rate 23.03% < 99% — rolled back"},
		},
		{
			name:      "hostile",
			canary:    hostileCanary(),
			status:    v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "failure", Description: hostileReason + " — rolled back"},
			revertURL: "javascript:alert(1)//<b>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.canary.DeepCopy()
			got := renderCheckRun(ReportCheckRun(tt.canary, tt.status, tt.revertURL))
			goldenFile(t, filepath.Join("testdata", "checkrun-"+tt.name+".md"), got)
			if diff := cmp.Diff(before, tt.canary); diff != "" {
				t.Errorf("ReportCheckRun modified the Canary (-before +after):\n%s", diff)
			}
		})
	}
}

// renderCheckRun writes a report as its golden file: the status,
// conclusion and title as comments, then the summary as GitHub shows it.
func renderCheckRun(rep CheckRunReport) string {
	return fmt.Sprintf("<!-- status: %s, conclusion: %s -->\n<!-- title: %s -->\n\n%s", rep.Status, orElse(string(rep.Conclusion), "none"), rep.Title, rep.Summary)
}

const hostileReason = "1. <img src=x onerror=alert(1)>\n| --- | --- |\n# pwned `code` [link](javascript:x) ~~gone~~ $x$ & &amp;"

// hostileCanary is a Canary whose names and messages try to break out of
// the summary: pipes, newlines, HTML, backticks, Markdown syntax.
func hostileCanary() *v1alpha1.Canary {
	st := rolledBack([]v1alpha1.CheckRecord{
		{Name: "a|b`c`<script>alert(1)</script>", Kind: CheckKindMetric, Verdict: "Fail|Pass", Value: "1|2\n3", Message: "line one\nline two | ## heading\n- item\r\n<!-- comment"},
		{Name: "**bold** _it_ [x](y) ![i](z)", Kind: "webhook\n|", Verdict: "Fail", Message: "\\| escaped pipe \\"},
		{Name: "\u2028sep\u2029", Kind: CheckKindWebhook, Verdict: "Pass"},
	})
	st.FailureReason = hostileReason
	canary := checkRunCanary(st)
	canary.Name, canary.Namespace = "detail|<b>x</b>", "ns`\n## injected"
	canary.Spec.TargetRef.Name = "tar|get\n- item"
	return canary
}

// TestReportCheckRunKeepsHostileTextInItsPlace pins what the hostile golden
// shows: every row of the table has its five cells, and no tag, heading,
// list or code span comes from the Canary.
func TestReportCheckRunKeepsHostileTextInItsPlace(t *testing.T) {
	rep := ReportCheckRun(hostileCanary(), v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "failure", Description: hostileReason + " — rolled back"}, "javascript:alert(1)//<b>")
	if strings.Contains(rep.Title, "\n") {
		t.Errorf("title %q is more than one line", rep.Title)
	}
	unescapedPipe := regexp.MustCompile(`(^|[^\\])(\\\\)*\|`)
	rows := 0
	for _, line := range strings.Split(rep.Summary, "\n") {
		if strings.HasPrefix(line, "|") {
			rows++
			// A cell ends at a pipe that no backslash escapes.
			cells := 0
			for rest := line; ; cells++ {
				loc := unescapedPipe.FindStringIndex(rest)
				if loc == nil {
					break
				}
				rest = rest[loc[1]:]
			}
			if cells != 6 {
				t.Errorf("table row %q has %d unescaped pipes, want 6", line, cells)
			}
			continue
		}
		for _, bad := range []string{"# ", "## ", "- ", "1. ", "<"} {
			if strings.HasPrefix(line, bad) && line != "### Weights reached" && line != "### Iterations" && line != "### Checks of the last step" && line != "### Why it failed" && line != "### Revert" {
				t.Errorf("line %q starts with %q from the Canary", line, bad)
			}
		}
	}
	if rows != 2+3 {
		t.Errorf("%d table lines, want a header, a rule and 3 rows:\n%s", rows, rep.Summary)
	}
	for _, bad := range []string{"<script", "<img", "<b>", "<!--", "javascript:alert(1)//<"} {
		if strings.Contains(rep.Summary, bad) {
			t.Errorf("summary contains %q:\n%s", bad, rep.Summary)
		}
	}
	if !strings.Contains(rep.Summary, `\*\*bold\*\*`) {
		t.Errorf("summary lets a name in bold (the headline's own ** are the only bold):\n%s", rep.Summary)
	}
	for _, syntax := range []string{"`", "[", "]", "_", "~", "$"} {
		if strings.Count(rep.Summary, syntax) != strings.Count(rep.Summary, `\`+syntax) {
			t.Errorf("summary has an unescaped %s:\n%s", syntax, rep.Summary)
		}
	}
}

func TestReportCheckRunStatusAndConclusion(t *testing.T) {
	canary := checkRunCanary(progressing(10, 2))
	tests := []struct {
		state          string
		superseded     bool
		wantStatus     CheckRunStatus
		wantConclusion CheckRunConclusion
	}{
		{"pending", false, CheckRunInProgress, ""},
		{"success", false, CheckRunCompleted, ConclusionSuccess},
		{"failure", false, CheckRunCompleted, ConclusionFailure},
		{"error", true, CheckRunCompleted, ConclusionCancelled},
		{"error", false, CheckRunCompleted, ConclusionNeutral},
		{"bogus", false, CheckRunCompleted, ConclusionNeutral},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s superseded=%t", tt.state, tt.superseded), func(t *testing.T) {
			rep := ReportCheckRun(canary, v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: tt.state, Description: "x", Superseded: tt.superseded}, "")
			if rep.Status != tt.wantStatus || rep.Conclusion != tt.wantConclusion {
				t.Errorf("status %q conclusion %q, want %q %q", rep.Status, rep.Conclusion, tt.wantStatus, tt.wantConclusion)
			}
			if rep.Title == "" || rep.Summary == "" {
				t.Errorf("title %q, summary %q: GitHub requires both", rep.Title, rep.Summary)
			}
		})
	}
}

func TestReportCheckRunTitles(t *testing.T) {
	tests := []struct {
		name   string
		canary *v1alpha1.Canary
		status v1alpha1.CommitStatusRecord
		want   string
	}{
		{"a pending status is its description", checkRunCanary(progressing(10, 2)),
			v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "pending", Description: "canary weight 10% — step 2/3"}, "Canary weight 10% — step 2/3"},
		{"a failure says where and why", checkRunCanary(rolledBack(nil)),
			v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "failure", Description: "success rate 23.03% < 99% — rolled back"}, "Rolled back at canary weight 10%: success rate 23.03% < 99%"},
		{"an install is its description", checkRunCanary(initialized()),
			v1alpha1.CommitStatusRecord{Commit: "c1c1c1c1c1", State: "success", Description: "installed as detail-primary.flagger (first revision: no analysis)"}, "Installed as detail-primary.flagger (first revision: no analysis)"},
		{"a withdrawn commit is its description", checkRunCanary(initialized()),
			v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "error", Description: "withdrawn: Git is back at revision rev1aaa, the one the primary runs"}, "Withdrawn: Git is back at revision rev1aaa, the one the primary runs"},
		{"a nil Canary and an empty description still have a title", nil,
			v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "failure"}, "Rolled back"},
		{"a long reason is cut", checkRunCanary(rolledBack(nil)),
			v1alpha1.CommitStatusRecord{Commit: "c2c2c2c2c2", State: "failure", Description: strings.Repeat("x", 500)}, "Rolled back at canary weight 10%: " + strings.Repeat("x", maxTitle-len("Rolled back at canary weight 10%: …")) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReportCheckRun(tt.canary, tt.status, "").Title; got != tt.want {
				t.Errorf("title %q, want %q", got, tt.want)
			}
		})
	}
}
