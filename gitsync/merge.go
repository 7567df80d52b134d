package gitsync

import (
	"bytes"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/sergi/go-diff/diffmatchpatch"
)

// fileVersion is one file as one commit has it.
type fileVersion struct {
	// exists is false when the commit has no file at the path.
	exists bool
	// mode is the file mode: regular, executable or symbolic link.
	mode filemode.FileMode
	// content is the blob.
	content []byte
}

// same reports whether both versions are absent, or present with the same
// mode and content.
func (v fileVersion) same(other fileVersion) bool {
	if v.exists != other.exists {
		return false
	}
	return !v.exists || v.mode == other.mode && bytes.Equal(v.content, other.content)
}

// revertFile undoes the change of one file from good to bad on top of head,
// the way git revert does: a three-way merge whose ancestor is bad, whose
// sides are head and good. It returns the file the revert leaves, or a
// conflict: what the branch did since bad that is in the way, worded to
// be formatted with bad's short SHA, such as "the branch changed the same
// lines since %s". A file that good and bad have alike is head's,
// untouched. Merged lines must be separated
// from the branch's own changes by at least one line that none of the three
// versions changed; anything closer is a conflict, never a guess.
func revertFile(good, bad, head fileVersion) (result fileVersion, conflict string) {
	switch {
	case good.same(bad), head.same(good):
		return head, ""
	case head.same(bad):
		return good, ""
	case !head.exists:
		return fileVersion{}, "the branch deleted the file since %s"
	case !good.exists:
		return fileVersion{}, "the branch changed the file since %s, which created it"
	case !bad.exists:
		return fileVersion{}, "the branch re-created the file with other content since %s, which deleted it"
	}
	mode, ok := mergeMode(bad.mode, head.mode, good.mode)
	if !ok {
		return fileVersion{}, "the branch changed the file mode since %s"
	}
	content, conflict := mergeContent(bad.content, head.content, good.content)
	if conflict != "" {
		return fileVersion{}, conflict
	}
	return fileVersion{exists: true, mode: mode, content: content}, ""
}

// mergeMode merges the file modes of the three versions.
func mergeMode(base, ours, theirs filemode.FileMode) (filemode.FileMode, bool) {
	switch {
	case ours == base:
		return theirs, true
	case theirs == base, theirs == ours:
		return ours, true
	}
	return 0, false
}

// mergeContent merges the contents of the three versions, line by line
// unless a side is the base or both sides agree. Binary content (holding a
// NUL byte) is never merged line by line.
func mergeContent(base, ours, theirs []byte) ([]byte, string) {
	switch {
	case bytes.Equal(ours, base):
		return theirs, ""
	case bytes.Equal(theirs, base), bytes.Equal(theirs, ours):
		return ours, ""
	case slices.Contains(base, 0) || slices.Contains(ours, 0) || slices.Contains(theirs, 0):
		return nil, "the branch changed the binary file since %s"
	}
	merged, ok := mergeLines(splitLines(base), splitLines(ours), splitLines(theirs))
	if !ok {
		return nil, "the branch changed the same lines since %s"
	}
	return []byte(strings.Join(merged, "")), ""
}

// mergeLines is a three-way merge of lists of lines (diff3). The lines of
// base that both sides keep, at the places a minimal diff puts them, split
// the three lists into stable runs and the chunks between them. A chunk
// that one side leaves as in base takes the other side's lines; a chunk
// both sides changed alike takes that change; any other chunk is a conflict
// and ok is false.
func mergeLines(base, ours, theirs []string) (merged []string, ok bool) {
	inOurs, inTheirs := lineMatches(base, ours), lineMatches(base, theirs)
	b, o, t := 0, 0, 0
	for {
		for b < len(base) && inOurs[b] == o && inTheirs[b] == t {
			merged = append(merged, base[b])
			b, o, t = b+1, o+1, t+1
		}
		// The chunk ends at the next line of base that both sides keep.
		next := b
		for next < len(base) && (inOurs[next] < 0 || inTheirs[next] < 0) {
			next++
		}
		endOurs, endTheirs := len(ours), len(theirs)
		if next < len(base) {
			endOurs, endTheirs = inOurs[next], inTheirs[next]
		}
		if next == b && endOurs == o && endTheirs == t {
			return merged, true
		}
		chunkBase, chunkOurs, chunkTheirs := base[b:next], ours[o:endOurs], theirs[t:endTheirs]
		switch {
		case slices.Equal(chunkOurs, chunkBase):
			merged = append(merged, chunkTheirs...)
		case slices.Equal(chunkTheirs, chunkBase), slices.Equal(chunkTheirs, chunkOurs):
			merged = append(merged, chunkOurs...)
		default:
			return nil, false
		}
		b, o, t = next, endOurs, endTheirs
	}
}

// lineMatches returns, for each line of from, the index of the line of to
// that a line diff from from to to keeps it as, or -1 when the diff
// removes it. The kept indices increase. The diff is minimal unless
// finding one takes longer than diffTimeout.
func lineMatches(from, to []string) []int {
	return lineMatchesWithin(from, to, diffTimeout)
}

// diffTimeout bounds the search for a minimal line diff. Files in Git are
// untrusted and up to --max-file-size: two unrelated large versions would
// keep a minimal diff busy for hours. Past the bound the diff is still
// correct, only not minimal (whole runs deleted and inserted), which makes
// hunks larger and merges more cautious, never wrong.
const diffTimeout = 5 * time.Second

// lineMatchesWithin is lineMatches with the bound of its search.
func lineMatchesWithin(from, to []string, timeout time.Duration) []int {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = timeout
	// Each line becomes one rune, equal lines the same rune.
	fromRunes, toRunes, _ := dmp.DiffLinesToRunes(strings.Join(from, ""), strings.Join(to, ""))
	matches := make([]int, len(fromRunes))
	i, j := 0, 0
	for _, d := range dmp.DiffMainRunes(fromRunes, toRunes, false) {
		n := utf8.RuneCountInString(d.Text)
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			for k := range n {
				matches[i+k] = j + k
			}
			i, j = i+n, j+n
		case diffmatchpatch.DiffDelete:
			for k := range n {
				matches[i+k] = -1
			}
			i += n
		case diffmatchpatch.DiffInsert:
			j += n
		}
	}
	return matches
}

// splitLines cuts content after each newline; a last line without one is a
// line of its own, so that "a" and "a\n" differ.
func splitLines(content []byte) []string {
	var lines []string
	for len(content) > 0 {
		end := bytes.IndexByte(content, '\n') + 1
		if end == 0 {
			end = len(content)
		}
		lines = append(lines, string(content[:end]))
		content = content[end:]
	}
	return lines
}
