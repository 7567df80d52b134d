package planner

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// CheckRunStatus is where the Check Run of a commit is.
type CheckRunStatus string

// The statuses of a Check Run.
const (
	CheckRunInProgress CheckRunStatus = "in_progress"
	CheckRunCompleted  CheckRunStatus = "completed"
)

// CheckRunConclusion is the verdict of a completed Check Run.
type CheckRunConclusion string

// The conclusions of a Check Run.
const (
	// ConclusionSuccess: the revision was promoted.
	ConclusionSuccess CheckRunConclusion = "success"
	// ConclusionFailure: the revision was rolled back (failed checks,
	// analysis errors, the progress deadline, an abort).
	ConclusionFailure CheckRunConclusion = "failure"
	// ConclusionCancelled: a newer commit superseded the rollout before its
	// analysis ended; not a verdict on the commit.
	ConclusionCancelled CheckRunConclusion = "cancelled"
	// ConclusionNeutral: the rollout stopped for another reason than the
	// revision's health (withdrawn from Git, refused); not a verdict.
	ConclusionNeutral CheckRunConclusion = "neutral"
)

// CheckRunReport is what the Check Run of a Canary on a commit shows.
type CheckRunReport struct {
	Status     CheckRunStatus
	Conclusion CheckRunConclusion // empty unless Status is completed
	// Title is one line, e.g. "Promoted detail 2.0" or "Rolled back at
	// canary weight 10%".
	Title string
	// Summary is Markdown: the weights reached, each check's last value,
	// the failure reason, the revert pull request.
	Summary string
}

// maxTitle bounds the title of a Check Run, in bytes.
const maxTitle = 160

// The bounds of what a summary quotes from the Canary, in bytes before
// escaping: one table cell, the failure reason, and the whole table (the
// rows past it are counted, not shown), so that the sections after the
// table survive GitHub's cut at 65535 characters.
const (
	maxCell       = 200
	maxReason     = 2000
	maxTableBytes = 40000
)

// ReportCheckRun says what the Check Run of canary shows on the commit of
// st, the commit status being delivered (pending, success, failure or
// error). canary is read, never modified: its spec gives the planned steps
// and its status where the rollout got; a nil canary is read as an empty
// one. revertURL is the open revert pull request of the commit, empty when
// none.
//
// pending is in progress; success, failure are completed with that
// conclusion; an error is cancelled when st.Superseded, neutral otherwise
// (as is a state ReportCheckRun does not know). The summary says, in order
// and each only when it has something to say: the Canary, its target, the
// revision and the commit; the weights (or iterations) reached; the checks
// of the last step; why it failed; the revert pull request. The status's
// checks, weight and iterations are shown only while they are this
// commit's: the status holds those of the rollout of
// status.lastAppliedCommit, which a newer rollout replaces. Everything
// quoted from the Canary or a message is escaped: the repository and the
// webhooks are untrusted. The summary holds no more than the status and st
// say, which hold no secret (DESIGN.md, safety invariant 5).
//
// ReportCheckRun is pure: the same arguments give the same report.
func ReportCheckRun(canary *v1alpha1.Canary, st v1alpha1.CommitStatusRecord, revertURL string) CheckRunReport {
	if canary == nil {
		canary = &v1alpha1.Canary{}
	}
	c := checkRun{
		r:   newRollout(RolloutObservation{Name: canary.Name, Namespace: canary.Namespace, Spec: canary.Spec, Status: canary.Status}),
		cs:  st,
		url: revertURL,
	}
	rep := CheckRunReport{Status: CheckRunCompleted}
	switch CommitState(st.State) {
	case CommitPending:
		rep.Status = CheckRunInProgress
	case CommitSuccess:
		rep.Conclusion = ConclusionSuccess
	case CommitFailure:
		rep.Conclusion = ConclusionFailure
	case CommitError:
		rep.Conclusion = ConclusionNeutral
		if st.Superseded {
			rep.Conclusion = ConclusionCancelled
		}
	default:
		rep.Conclusion = ConclusionNeutral
	}
	rep.Title = cut(oneLine(c.title()), maxTitle)
	rep.Summary = c.summary()
	return rep
}

// checkRun is one report being written.
type checkRun struct {
	r   *rollout // the Canary, read as DecideRollout reads it
	cs  v1alpha1.CommitStatusRecord
	url string
}

func (c checkRun) state() CommitState { return CommitState(c.cs.State) }

// promoted reports whether a success is a promotion after an analysis (the
// status finalise writes), not an install or a revert the primary already
// runs.
func (c checkRun) promoted() bool {
	return c.state() == CommitSuccess && strings.HasPrefix(c.cs.Description, "promoted")
}

// failureReason is the reason of a failure: its description without the
// " — rolled back" that rollback adds.
func (c checkRun) failureReason() string {
	return strings.TrimSpace(strings.TrimSuffix(c.cs.Description, " — rolled back"))
}

// revision is the revision of the commit, when the status knows it.
func (c checkRun) revision() string {
	st := &c.r.st
	switch c.cs.Commit {
	case "":
		return ""
	case st.LastAppliedCommit:
		return st.LastAppliedRevision
	case st.LastFailedCommit:
		return st.LastFailedRevision
	case st.LastPromotedCommit:
		return st.LastPromotedRevision
	case st.PendingCommit:
		return st.PendingRevision
	}
	return ""
}

// own reports whether the status's record of where the rollout got (its
// checks, weight and iterations) is this commit's: the commit's rollout is
// the last one applied, and the status says the commit got to the state
// being reported.
func (c checkRun) own() bool {
	st := &c.r.st
	if c.cs.Commit == "" || c.cs.Commit != st.LastAppliedCommit {
		return false
	}
	switch c.state() {
	case CommitPending:
		return true
	case CommitFailure:
		return c.cs.Commit == st.LastFailedCommit
	case CommitSuccess:
		return c.cs.Commit == st.LastPromotedCommit && c.promoted()
	}
	return false
}

// title is the one-line headline: the description, worded for a check.
func (c checkRun) title() string {
	desc := oneLine(c.cs.Description)
	switch c.state() {
	case CommitPending:
		return orElse(capitalize(desc), "Rolling out")
	case CommitSuccess:
		if rev := c.revision(); c.promoted() && rev != "" {
			return "Promoted revision " + short(rev) + strings.TrimPrefix(desc, "promoted")
		}
		return orElse(capitalize(desc), "Promoted")
	case CommitFailure:
		title := "Rolled back"
		if w := c.r.st.FailedWeight; w > 0 && c.cs.Commit == c.r.st.LastFailedCommit && !c.r.iterations() {
			title = fmt.Sprintf("Rolled back at canary weight %d%%", w)
		}
		if reason := oneLine(c.failureReason()); reason != "" {
			title += ": " + reason
		}
		return title
	case CommitError:
		if c.cs.Superseded {
			return orElse(capitalize(desc), "Superseded by a newer commit; not analysed")
		}
	}
	return orElse(capitalize(desc), "Stopped")
}

// summary is the Markdown body: its sections, separated by blank lines.
func (c checkRun) summary() string {
	sections := []string{c.headline()}
	switch c.state() {
	case CommitPending, CommitSuccess, CommitFailure:
		sections = append(sections, c.weights(), c.checks())
	default:
		sections = append(sections, paragraph(orElse(capitalize(oneLine(c.cs.Description)), "Stopped without a verdict.")))
	}
	if c.state() == CommitFailure {
		sections = append(sections, c.why(), c.revert())
	}
	sections = slices.DeleteFunc(sections, func(s string) bool { return s == "" })
	return strings.Join(sections, "\n\n") + "\n"
}

// headline names the Canary, its target, the revision and the commit.
func (c checkRun) headline() string {
	target := c.r.obs.Spec.TargetRef.Name
	if target == "" {
		target = c.r.obs.Name
	}
	if kind := c.r.obs.Spec.TargetRef.Kind; kind != "" {
		target = kind + "/" + target
	}
	parts := []string{
		"**Canary** " + inline(c.r.obs.Namespace+"/"+c.r.obs.Name),
		"**target** " + inline(target),
	}
	if rev := c.revision(); rev != "" {
		parts = append(parts, "**revision** "+inline(short(rev)))
	}
	if c.cs.Commit != "" {
		parts = append(parts, "**commit** "+inline(short(c.cs.Commit)))
	}
	return strings.Join(parts, " · ")
}

// weights is the section of the planned steps and where the rollout got.
func (c checkRun) weights() string {
	const heading = "### Weights reached\n\n"
	switch {
	case c.r.obs.Spec.SkipAnalysis && c.state() == CommitSuccess:
		return heading + "Promoted without analysis (skipAnalysis)."
	case c.state() == CommitSuccess && !c.promoted():
		return ""
	case c.r.iterations():
		return "### Iterations\n\n" + c.iterationsReached()
	case len(c.r.steps) > 0:
		return heading + c.weightsReached()
	}
	return ""
}

// weightsReached marks the steps of a weighted schedule passed (✓), the
// current one, the one the rollout failed at (✗).
func (c checkRun) weightsReached() string {
	st := &c.r.st
	plan := func(mark func(w int32) string) string {
		var parts []string
		for _, w := range c.r.steps {
			parts = append(parts, fmt.Sprintf("%d%%", w)+mark(w))
		}
		return strings.Join(parts, " → ")
	}
	none := func(int32) string { return "" }
	switch c.state() {
	case CommitSuccess:
		return plan(func(int32) string { return " ✓" }) + ", then promoted."
	case CommitFailure:
		if c.cs.Commit != st.LastFailedCommit {
			return "Planned: " + plan(none) + "."
		}
		failedAt := st.FailedWeight
		if failedAt <= 0 {
			return plan(none) + "; rolled back before the canary got any traffic."
		}
		return plan(func(w int32) string {
			switch {
			case w < failedAt:
				return " ✓"
			case w == failedAt:
				return " ✗ (rolled back here)"
			}
			return ""
		}) + "."
	}
	switch {
	case !c.own():
		return "Planned: " + plan(none) + "."
	case st.Phase == v1alpha1.PhasePromoting || st.Phase == v1alpha1.PhaseFinalising:
		return plan(func(int32) string { return " ✓" }) + ", promoting."
	case st.CanaryWeight <= 0:
		return plan(none) + "; the canary has no traffic yet."
	}
	current := st.CanaryWeight
	return plan(func(w int32) string {
		switch {
		case w < current:
			return " ✓"
		case w == current:
			return " (now)"
		}
		return ""
	}) + "."
}

// iterationsReached says how many iterations of a blue/green or A/B
// schedule passed.
func (c checkRun) iterationsReached() string {
	planned := c.r.obs.Spec.Analysis.Iterations
	passed := c.r.st.Iterations
	switch {
	case c.state() == CommitSuccess:
		return fmt.Sprintf("Iteration %d/%d passed, then promoted.", planned, planned)
	case !c.own():
		return fmt.Sprintf("%d iterations planned.", planned)
	case c.state() == CommitFailure && passed < planned:
		return fmt.Sprintf("Iteration %d/%d passed; rolled back during iteration %d.", passed, planned, passed+1)
	case c.state() == CommitFailure:
		return fmt.Sprintf("Iteration %d/%d passed; rolled back before the promotion ended.", passed, planned)
	}
	return fmt.Sprintf("Iteration %d/%d passed.", passed, planned)
}

// checks is the table of the last step's checks, while they are this
// commit's.
func (c checkRun) checks() string {
	if c.state() == CommitSuccess && !c.promoted() {
		return ""
	}
	if !c.own() {
		return "### Checks of the last step\n\nThe checks belong to a newer rollout of this Canary: none are shown here."
	}
	records := c.r.st.LastChecks
	if len(records) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("### Checks of the last step\n\n| Check | Kind | Verdict | Value | Detail |\n|---|---|---|---|---|\n")
	for i, rec := range records {
		row := "| " + strings.Join([]string{cell(rec.Name), cell(rec.Kind), cell(rec.Verdict), cell(rec.Value), cell(rec.Message)}, " | ") + " |\n"
		if b.Len()+len(row) > maxTableBytes {
			fmt.Fprintf(&b, "\n%d more checks are not shown.\n", len(records)-i)
			break
		}
		b.WriteString(row)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// why is the reason of a failure: the status's when it is this commit's,
// the description's otherwise (they say the same).
func (c checkRun) why() string {
	reason := c.failureReason()
	if c.cs.Commit == c.r.st.LastFailedCommit && c.r.st.FailureReason != "" {
		reason = c.r.st.FailureReason
	}
	if reason = oneLine(reason); reason == "" {
		return ""
	}
	return "### Why it failed\n\n" + paragraph(cut(reason, maxReason))
}

// revert says whether a revert pull request is open.
func (c checkRun) revert() string {
	if c.url == "" {
		return "### Revert\n\nNo revert pull request yet; sluice opens one when its write-back is on."
	}
	return "### Revert\n\nA revert pull request is open: " + link(c.url)
}

// link is an autolink to u when u is a plain http(s) address, u escaped as
// text otherwise.
func link(u string) string {
	parsed, err := url.Parse(u)
	plain := err == nil && (parsed.Scheme == "https" || parsed.Scheme == "http") && parsed.Host != "" &&
		!strings.ContainsFunc(u, func(r rune) bool { return r <= ' ' || r == '<' || r == '>' || r == 0x7f || r > unicode.MaxASCII })
	if plain {
		return "<" + u + ">"
	}
	return inline(u)
}

// oneLine puts s on one line: control characters (newlines included) and
// line separators become spaces, runs of spaces one, the ends trimmed.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// markdownEscaper escapes what Markdown (GitHub's included: tables,
// strikethrough, math) would read as syntax; angle brackets and ampersands
// become entities, so no HTML tag or entity comes through.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "~", `\~`, "#", `\#`, "!", `\!`, "$", `\$`,
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
)

// inline is s as Markdown text inside a line: on one line, escaped.
func inline(s string) string { return markdownEscaper.Replace(oneLine(s)) }

// cell is s as a table cell, shortened.
func cell(s string) string { return inline(cut(s, maxCell)) }

// paragraph is s as Markdown text that starts a line: inline, and what
// would start a list or a heading underline escaped.
func paragraph(s string) string {
	s = inline(s)
	if s != "" && strings.ContainsRune("-+=", rune(s[0])) {
		return `\` + s
	}
	digits := 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits > 0 && digits < len(s) && (s[digits] == '.' || s[digits] == ')') {
		return s[:digits] + `\` + s[digits:]
	}
	return s
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}
