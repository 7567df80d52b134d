package main

import (
	"fmt"
	"strings"
)

// result is one row of the table: what was measured against which target.
type result struct {
	// Row is the item's number in issue 17's list.
	Row int
	// What names the measurement.
	What string
	// Target is the target, as text.
	Target string
	// Measured is the figure, or "not measured: <why>".
	Measured string
	// Met is "yes", "no", or "—" when there is nothing to compare.
	Met string
}

// notMeasured is the result of a row that could not be measured, saying why.
func notMeasured(row int, what, target string, err error) result {
	return result{Row: row, What: what, Target: target, Measured: "not measured: " + oneLine(err.Error()), Met: "—"}
}

// metText says whether a target was met.
func metText(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// markdownTable renders results as a Markdown table, in the order given.
// Pipes and newlines in cells are escaped so that a cell never breaks the
// table.
func markdownTable(results []result) string {
	var b strings.Builder
	b.WriteString("| # | measurement | target | measured | met |\n|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", r.Row, cell(r.What), cell(r.Target), cell(r.Measured), cell(r.Met))
	}
	return b.String()
}

func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// replaceSection returns doc with the level-2 section titled heading
// ("## " + heading up to the next level-2 heading or the end) replaced by
// section, or with section appended when doc has no such heading. section
// starts with its own heading line.
func replaceSection(doc, heading, section string) string {
	section = strings.TrimRight(section, "\n") + "\n"
	lines := strings.SplitAfter(doc, "\n")
	start := -1
	for i, line := range lines {
		if strings.TrimRight(line, "\r\n") == "## "+heading {
			start = i
			break
		}
	}
	if start < 0 {
		return strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	end := len(lines)
	for i := start + 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "## ") {
			end = i
			break
		}
	}
	rest := strings.Join(lines[end:], "")
	if rest != "" {
		section += "\n"
	}
	return strings.Join(lines[:start], "") + section + rest
}
