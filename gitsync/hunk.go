package gitsync

import (
	"fmt"
	"slices"
	"strings"
)

// Hunk is one change from Good to Bad of one file, as a line diff cuts
// it: a run of lines of Bad that Good has otherwise, with at least one
// line both keep between it and the next hunk of the file. Reverting a
// hunk puts Good's lines back in place of Bad's.
type Hunk struct {
	// Path is the file, as in RevertRequest.Paths.
	Path string
	// Bad are the lines of Bad the hunk replaces; Good the lines of Good
	// it restores. Both are empty for a Whole hunk.
	Bad, Good LineRange
	// Whole says the change is the file as a whole: created or deleted
	// by Bad, its mode changed, or binary content.
	Whole bool
	// Conflict is empty when the hunk alone reverts cleanly on the head
	// of the watched branch; otherwise it says what the branch did since
	// Bad that is in the way, such as "the branch changed the same lines
	// since 1a2b3c4".
	Conflict string
}

// LineRange is a run of lines of one version of a file: lines Start
// (from 1) to End, inclusive. An empty run (End < Start) sits between
// lines End and Start.
type LineRange struct {
	Start, End int
}

// String reads "lines 3-4", "line 3" or "after line 2".
func (l LineRange) String() string {
	switch {
	case l.End < l.Start && l.End == 0:
		return "at the top"
	case l.End < l.Start:
		return fmt.Sprintf("after line %d", l.End)
	case l.Start == l.End:
		return fmt.Sprintf("line %d", l.Start)
	}
	return fmt.Sprintf("lines %d-%d", l.Start, l.End)
}

// Where tells where the hunk is in Bad, for people: "detail/deployment.yaml
// line 12" or "detail/extra.yaml (the whole file)".
func (h Hunk) Where() string {
	if h.Whole {
		return h.Path + " (the whole file)"
	}
	return h.Path + " " + h.Bad.String()
}

// lineHunk is a hunk of a file that is text in Good and Bad: the lines
// [badStart, badEnd) of Bad, 0-based, are Good's [goodStart, goodEnd).
type lineHunk struct {
	badStart, badEnd   int
	goodStart, goodEnd int
}

// fileChange is the change from Good to Bad of one path, with the head's
// version of it.
type fileChange struct {
	path            string
	good, bad, head fileVersion
	// whole: the change is not cut into lines (see Hunk.Whole).
	whole bool
	// hunks are the line hunks, in order; nil when whole.
	hunks []lineHunk
	// badLines and goodLines are the contents cut into lines.
	badLines, goodLines []string
}

// newFileChange returns the change of a path from good to bad; nil when
// the two versions are the same.
func newFileChange(path string, good, bad, head fileVersion) *fileChange {
	if good.same(bad) {
		return nil
	}
	c := &fileChange{path: path, good: good, bad: bad, head: head}
	if !good.exists || !bad.exists || good.mode != bad.mode ||
		slices.Contains(good.content, 0) || slices.Contains(bad.content, 0) {
		c.whole = true
		return c
	}
	c.badLines, c.goodLines = splitLines(bad.content), splitLines(good.content)
	c.hunks = lineHunks(c.badLines, c.goodLines)
	return c
}

// lineHunks cuts the line diff from bad to good into hunks: maximal runs
// of changed lines between lines both keep.
func lineHunks(bad, good []string) []lineHunk {
	kept := lineMatches(bad, good)
	var hunks []lineHunk
	b, g := 0, 0
	for {
		for b < len(bad) && kept[b] == g {
			b, g = b+1, g+1
		}
		next := b
		for next < len(bad) && kept[next] < 0 {
			next++
		}
		nextGood := len(good)
		if next < len(bad) {
			nextGood = kept[next]
		}
		if next == b && nextGood == g {
			return hunks
		}
		hunks = append(hunks, lineHunk{badStart: b, badEnd: next, goodStart: g, goodEnd: nextGood})
		b, g = next, nextGood
	}
}

// revert returns the file that reverting the chosen hunks (indices into
// c.hunks; for a whole change, any non-empty choice) leaves on the head,
// or a conflict worded like Hunk.Conflict with %s for Bad's short SHA.
// With no hunk chosen it is the head's version.
func (c *fileChange) revert(chosen []int) (fileVersion, string) {
	if len(chosen) == 0 {
		return c.head, ""
	}
	if c.whole || len(chosen) == len(c.hunks) {
		return revertFile(c.good, c.bad, c.head)
	}
	// Bad with the chosen hunks put back to Good's lines is the side
	// merged into the head, with Bad as the ancestor.
	var theirs []string
	at := 0
	for _, i := range chosen {
		h := c.hunks[i]
		theirs = append(theirs, c.badLines[at:h.badStart]...)
		theirs = append(theirs, c.goodLines[h.goodStart:h.goodEnd]...)
		at = h.badEnd
	}
	theirs = append(theirs, c.badLines[at:]...)
	partial := fileVersion{exists: true, mode: c.bad.mode, content: []byte(strings.Join(theirs, ""))}
	return revertFile(partial, c.bad, c.head)
}

// publicHunks describes the hunks of c, each with the conflict of
// reverting it alone.
func (c *fileChange) publicHunks(badShort string) []Hunk {
	conflict := func(chosen []int) string {
		if _, reason := c.revert(chosen); reason != "" {
			return fmt.Sprintf(reason, badShort)
		}
		return ""
	}
	if c.whole {
		return []Hunk{{Path: c.path, Whole: true, Conflict: conflict([]int{0})}}
	}
	hunks := make([]Hunk, len(c.hunks))
	for i, h := range c.hunks {
		hunks[i] = Hunk{
			Path:     c.path,
			Bad:      LineRange{Start: h.badStart + 1, End: h.badEnd},
			Good:     LineRange{Start: h.goodStart + 1, End: h.goodEnd},
			Conflict: conflict([]int{i}),
		}
	}
	return hunks
}
