package gitsync

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/google/go-cmp/cmp"
)

// regular is a present, non-executable file.
func regular(content string) fileVersion {
	return fileVersion{exists: true, mode: filemode.Regular, content: []byte(content)}
}

// lines joins lines, each ended by a newline.
func lines(l ...string) string { return strings.Join(l, "\n") + "\n" }

func TestRevertFileUndoesBadOnTopOfTheHead(t *testing.T) {
	var (
		good    = lines("name: detail", "labels:", "  app: detail", "spec:", "  replicas: 2", "  image: detail:2.0", "  port: 80")
		bad     = lines("name: detail", "labels:", "  app: detail", "spec:", "  replicas: 2", "  image: detail:3.0", "  port: 80")
		labeled = lines("name: detail", "labels:", "  app: detail", "  team: shop", "spec:", "  replicas: 2", "  image: detail:3.0", "  port: 80")
		absent  = fileVersion{}
	)
	executable := regular(bad)
	executable.mode = filemode.Executable
	executableGood := regular(good)
	executableGood.mode = filemode.Executable
	symlink := regular(bad)
	symlink.mode = filemode.Symlink

	cases := []struct {
		name            string
		good, bad, head fileVersion
		want            fileVersion
		wantConflict    string
	}{
		{name: "a file the failed commit did not change is the head's",
			good: regular(good), bad: regular(good), head: regular(labeled), want: regular(labeled)},
		{name: "a file the failed commit did not change is left absent",
			good: absent, bad: absent, head: absent, want: absent},
		{name: "a head that still has the failed version gets the good one",
			good: regular(good), bad: regular(bad), head: regular(bad), want: regular(good)},
		{name: "a head that already has the good version keeps it",
			good: regular(good), bad: regular(bad), head: regular(good), want: regular(good)},
		{name: "a file the failed commit created is deleted",
			good: absent, bad: regular(bad), head: regular(bad), want: absent},
		{name: "a file the failed commit deleted is restored",
			good: regular(good), bad: absent, head: absent, want: regular(good)},
		{name: "a change to other lines since the failure is kept",
			good: regular(good), bad: regular(bad), head: regular(labeled),
			want: regular(lines("name: detail", "labels:", "  app: detail", "  team: shop", "spec:", "  replicas: 2", "  image: detail:2.0", "  port: 80"))},
		{name: "a new mode since the failure is kept",
			good: regular(good), bad: regular(bad), head: executable, want: executableGood},
		{name: "a change to the same line is a conflict",
			good: regular(good), bad: regular(bad),
			head:         regular(strings.Replace(bad, "detail:3.0", "detail:3.1", 1)),
			wantConflict: "the branch changed the same lines since %s"},
		{name: "a change to the line next to it is a conflict, not a guess",
			good: regular(good), bad: regular(bad),
			head:         regular(strings.Replace(bad, "replicas: 2", "replicas: 3", 1)),
			wantConflict: "the branch changed the same lines since %s"},
		{name: "a deletion since the failure is a conflict",
			good: regular(good), bad: regular(bad), head: absent,
			wantConflict: "the branch deleted the file since %s"},
		{name: "a change to a file the failed commit created is a conflict",
			good: absent, bad: regular(bad), head: regular(labeled),
			wantConflict: "the branch changed the file since %s, which created it"},
		{name: "another file where the failed commit deleted one is a conflict",
			good: regular(good), bad: absent, head: regular(labeled),
			wantConflict: "the branch re-created the file with other content since %s, which deleted it"},
		{name: "two new modes are a conflict",
			good: executableGood, bad: regular(bad), head: symlink,
			wantConflict: "the branch changed the file mode since %s"},
		{name: "binary content is not merged by lines",
			good: regular("a\x00\n1\n\nb\n"), bad: regular("a\x00\n2\n\nb\n"), head: regular("a\x00\n2\n\nc\n"),
			wantConflict: "the branch changed the binary file since %s"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, conflict := revertFile(tt.good, tt.bad, tt.head)
			if conflict != tt.wantConflict {
				t.Fatalf("conflict %q, want %q", conflict, tt.wantConflict)
			}
			if conflict != "" {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(fileVersion{})); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeLinesTakesEachSidesChangesApart(t *testing.T) {
	cases := []struct {
		name               string
		base, ours, theirs []string
		want               []string
		wantOK             bool
	}{
		{name: "changes separated by a kept line are both taken",
			base: []string{"a\n", "b\n", "c\n"}, ours: []string{"A\n", "b\n", "c\n"}, theirs: []string{"a\n", "b\n", "C\n"},
			want: []string{"A\n", "b\n", "C\n"}, wantOK: true},
		{name: "changes to adjacent lines conflict",
			base: []string{"a\n", "b\n"}, ours: []string{"A\n", "b\n"}, theirs: []string{"a\n", "B\n"}},
		{name: "the same change on both sides is taken once",
			base: []string{"a\n", "b\n", "c\n"}, ours: []string{"a\n", "B\n", "c\n"}, theirs: []string{"a\n", "B\n", "c\n"},
			want: []string{"a\n", "B\n", "c\n"}, wantOK: true},
		{name: "insertions at both ends are taken",
			base: []string{"a\n", "b\n"}, ours: []string{"top\n", "a\n", "b\n"}, theirs: []string{"a\n", "b\n", "bottom\n"},
			want: []string{"top\n", "a\n", "b\n", "bottom\n"}, wantOK: true},
		{name: "different insertions at the same place conflict",
			base: []string{"a\n", "b\n"}, ours: []string{"a\n", "x\n", "b\n"}, theirs: []string{"a\n", "y\n", "b\n"}},
		{name: "a deletion and a distant change are both taken",
			base: []string{"a\n", "b\n", "c\n", "d\n", "e\n"}, ours: []string{"b\n", "c\n", "d\n", "e\n"}, theirs: []string{"a\n", "b\n", "c\n", "d\n", "E\n"},
			want: []string{"b\n", "c\n", "d\n", "E\n"}, wantOK: true},
		{name: "a last line without a newline differs from one with it",
			base: []string{"a\n", "b\n", "c"}, ours: []string{"A\n", "b\n", "c"}, theirs: []string{"a\n", "b\n", "c\n"},
			want: []string{"A\n", "b\n", "c\n"}, wantOK: true},
		{name: "repeated lines do not mislead the merge",
			base: []string{"-\n", "x\n", "-\n", "y\n", "-\n"}, ours: []string{"-\n", "x\n", "-\n", "Y\n", "-\n"}, theirs: []string{"-\n", "X\n", "-\n", "y\n", "-\n"},
			want: []string{"-\n", "X\n", "-\n", "Y\n", "-\n"}, wantOK: true},
		{name: "empty sides merge to the other's change",
			base: nil, ours: nil, theirs: []string{"new\n"},
			want: []string{"new\n"}, wantOK: true},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := mergeLines(tt.base, tt.ours, tt.theirs)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v (merged %q)", ok, tt.wantOK, got)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("merged (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeLinesOfALongFile(t *testing.T) {
	// Past 127 and 2047 distinct lines the line diff encodes lines as
	// multi-byte runes; the matches must still count one per line.
	base := make([]string, 3000)
	for i := range base {
		base[i] = fmt.Sprintf("line %d: größe\n", i)
	}
	ours, theirs, want := slices.Clone(base), slices.Clone(base), slices.Clone(base)
	ours[10], want[10] = "ours\n", "ours\n"
	theirs[2900], want[2900] = "theirs\n", "theirs\n"
	got, ok := mergeLines(base, ours, theirs)
	if !ok {
		t.Fatal("conflict, want a merge")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
}

func TestSplitLinesKeepsTheNewlines(t *testing.T) {
	cases := map[string][]string{
		"":         nil,
		"a":        {"a"},
		"a\n":      {"a\n"},
		"a\n\nb":   {"a\n", "\n", "b"},
		"a\r\nb\n": {"a\r\n", "b\n"},
	}
	for content, want := range cases {
		if diff := cmp.Diff(want, splitLines([]byte(content))); diff != "" {
			t.Errorf("splitLines(%q) (-want +got):\n%s", content, diff)
		}
	}
}
