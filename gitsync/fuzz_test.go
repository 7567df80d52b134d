package gitsync

import (
	"slices"
	"strings"
	"testing"
)

// FuzzMergeLines checks the properties of the line merge revert pull
// requests are made with: merging a side with an unchanged base gives
// that side; both sides making the same change gives that change; and a
// merge without conflict keeps each side's change (each side's lines that
// differ from the base are in the result).
func FuzzMergeLines(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\n", "a\nb\nC\n")
	f.Add("", "x\n", "")
	f.Add("a\nb\n", "b\n", "a\n")
	f.Add("image: 3.0\nport: 80\n", "image: 3.1\nport: 80\n", "image: 2.0\nport: 80\n")
	f.Add("a\na\na\n", "a\n", "a\na\na\na\n")
	f.Fuzz(func(t *testing.T, base, ours, theirs string) {
		b, o, th := splitLines([]byte(base)), splitLines([]byte(ours)), splitLines([]byte(theirs))
		if got, ok := mergeLines(b, b, th); !ok || !slices.Equal(got, th) {
			t.Fatalf("merging %q into an unchanged base %q gave %q (ok %v), want that side", theirs, base, got, ok)
		}
		if got, ok := mergeLines(b, o, b); !ok || !slices.Equal(got, o) {
			t.Fatalf("merging an unchanged side into %q gave %q (ok %v), want %q", ours, got, ok, ours)
		}
		if got, ok := mergeLines(b, o, o); !ok || !slices.Equal(got, o) {
			t.Fatalf("both sides making the same change %q gave %q (ok %v)", ours, got, ok)
		}
		got, ok := mergeLines(b, o, th)
		if !ok {
			return
		}
		merged := strings.Join(got, "")
		for _, side := range [][]string{o, th} {
			for _, line := range added(b, side) {
				if !strings.Contains(merged, line) {
					t.Fatalf("merge(%q, %q, %q) = %q lost the line %q a side added", base, ours, theirs, merged, line)
				}
			}
		}
	})
}

// added returns the lines of side that a minimal diff from base adds.
func added(base, side []string) []string {
	kept := lineMatches(side, base) // for each line of side, where base has it
	var out []string
	for i, at := range kept {
		if at < 0 {
			out = append(out, side[i])
		}
	}
	return out
}
