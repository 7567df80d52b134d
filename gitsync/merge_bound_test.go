package gitsync

import (
	"fmt"
	"testing"
	"time"
)

// Two large versions of a file that share only some lines: with its search
// cut short, the line diff is still a diff — every kept line equal to the
// line it is kept as, in order — so hunks and merges built on it stay
// right. Without the bound (timeout 0) a hostile pair of files in Git could
// keep a revert busy for hours.
func TestALineDiffCutShortIsStillADiff(t *testing.T) {
	var from, to []string
	for i := range 20000 {
		from = append(from, fmt.Sprintf("from %d\n", i))
		to = append(to, fmt.Sprintf("to %d\n", i))
		if i%7 == 0 {
			from = append(from, fmt.Sprintf("shared %d\n", i))
			to = append(to, fmt.Sprintf("shared %d\n", i))
		}
	}
	for _, timeout := range []time.Duration{time.Nanosecond, time.Millisecond} {
		kept := lineMatchesWithin(from, to, timeout)
		if len(kept) != len(from) {
			t.Fatalf("timeout %s: %d matches for %d lines", timeout, len(kept), len(from))
		}
		last := -1
		for i, at := range kept {
			if at < 0 {
				continue
			}
			if at <= last || at >= len(to) || from[i] != to[at] {
				t.Fatalf("timeout %s: line %d %q kept as line %d (after %d), not a diff", timeout, i, from[i], at, last)
			}
			last = at
		}
	}
}
