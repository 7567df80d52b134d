package gitsync

import (
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/google/go-cmp/cmp"
)

func TestAChangeIsCutIntoHunksBetweenLinesBothVersionsKeep(t *testing.T) {
	good := lines("images:", "- name: detail", "  newTag: 1.0", "- name: frontend", "  newTag: 1.0", "end")
	cases := []struct {
		name string
		bad  string
		want []Hunk
	}{
		{name: "two changed lines with a kept line between are two hunks",
			bad: lines("images:", "- name: detail", "  newTag: 2.0", "- name: frontend", "  newTag: 2.0", "end"),
			want: []Hunk{
				{Path: "k.yaml", Bad: LineRange{3, 3}, Good: LineRange{3, 3}},
				{Path: "k.yaml", Bad: LineRange{5, 5}, Good: LineRange{5, 5}},
			}},
		{name: "adjacent changed lines are one hunk",
			bad:  lines("images:", "- name: detail", "  newTag: 2.0", "- name: cart", "  newTag: 2.0", "end"),
			want: []Hunk{{Path: "k.yaml", Bad: LineRange{3, 5}, Good: LineRange{3, 5}}}},
		{name: "added lines replace nothing of good",
			bad:  lines("images:", "- name: search", "  newTag: 1.0", "- name: detail", "  newTag: 1.0", "- name: frontend", "  newTag: 1.0", "end"),
			want: []Hunk{{Path: "k.yaml", Bad: LineRange{2, 3}, Good: LineRange{2, 1}}}},
		{name: "removed lines are restored after the line before them",
			bad:  lines("images:", "- name: frontend", "  newTag: 1.0", "end"),
			want: []Hunk{{Path: "k.yaml", Bad: LineRange{2, 1}, Good: LineRange{2, 3}}}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			change := newFileChange("k.yaml", regular(good), regular(tt.bad), regular(tt.bad))
			if diff := cmp.Diff(tt.want, change.publicHunks("bad0000")); diff != "" {
				t.Errorf("hunks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRevertingSomeHunksPutsBackTheirLinesAndKeepsTheOthers(t *testing.T) {
	good := regular(lines("a: 1", "x", "b: 1", "y", "c: 1"))
	bad := regular(lines("a: 2", "x", "b: 2", "y", "c: 2"))
	// Since the failure the branch changed c again.
	head := regular(lines("a: 2", "x", "b: 2", "y", "c: 3"))
	change := newFileChange("f.yaml", good, bad, head)
	cases := []struct {
		name         string
		chosen       []int
		want         string
		wantConflict bool
	}{
		{name: "no hunk leaves the head", chosen: nil, want: lines("a: 2", "x", "b: 2", "y", "c: 3")},
		{name: "the first hunk alone", chosen: []int{0}, want: lines("a: 1", "x", "b: 2", "y", "c: 3")},
		{name: "the first two", chosen: []int{0, 1}, want: lines("a: 1", "x", "b: 1", "y", "c: 3")},
		{name: "a hunk the branch changed since conflicts", chosen: []int{2}, wantConflict: true},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, conflict := change.revert(tt.chosen)
			if (conflict != "") != tt.wantConflict {
				t.Fatalf("conflict %q, want a conflict: %v", conflict, tt.wantConflict)
			}
			if !tt.wantConflict && string(got.content) != tt.want {
				t.Errorf("reverted file:\n%s\nwant:\n%s", got.content, tt.want)
			}
		})
	}
	hunks := change.publicHunks("bad0000")
	if hunks[0].Conflict != "" || hunks[2].Conflict == "" {
		t.Errorf("hunk conflicts %q, %q: want only the third to conflict", hunks[0].Conflict, hunks[2].Conflict)
	}
}

func TestACreatedDeletedOrBinaryFileIsOneWholeHunk(t *testing.T) {
	binary := regular("a\x00b\n")
	executable := regular("a\n")
	executable.mode = filemode.Executable
	for name, pair := range map[string][2]fileVersion{
		"created":       {{}, regular("a\n")},
		"deleted":       {regular("a\n"), {}},
		"binary":        {regular("a\n"), binary},
		"mode changed ": {regular("a\n"), executable},
	} {
		change := newFileChange("f", pair[0], pair[1], pair[1])
		hunks := change.publicHunks("bad0000")
		if len(hunks) != 1 || !hunks[0].Whole || hunks[0].Where() != "f (the whole file)" {
			t.Errorf("%s: hunks %+v, want one whole-file hunk", name, hunks)
		}
	}
}

func TestADraftWritesTheHeadWithTheChosenHunksAndPushesOnlyThose(t *testing.T) {
	root := t.TempDir()
	// The failed commit changed the image (a hunk of deployment.yaml),
	// the replicas (another) and the PDB.
	bad := strings.Replace(deployment("detail", "3.0"), "replicas: 2", "replicas: 3", 1)
	f := newFleet(t, root, map[string]string{
		"detail/deployment.yaml": bad,
		"detail/pdb.yaml":        strings.Replace(detailPDB, "minAvailable: 1", "minAvailable: 2", 1),
	})
	repo := mustNew(t, Options{URL: "file://" + f.origin.dir, Branch: "main", Dir: t.TempDir()})
	draft, err := repo.PrepareRevert(t.Context(), f.request("detail/deployment.yaml", "detail/pdb.yaml", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer draft.Close()
	var where []string
	for _, h := range draft.Hunks() {
		where = append(where, h.Where())
	}
	if diff := cmp.Diff([]string{"detail/deployment.yaml line 8", "detail/deployment.yaml line 19", "detail/pdb.yaml line 6"}, where); diff != "" {
		t.Fatalf("hunks (-want +got):\n%s", diff)
	}

	dir, err := draft.Tree([]int{1})
	if err != nil {
		t.Fatal(err)
	}
	tree := treeFiles(t, dir)
	if !strings.Contains(tree["detail/deployment.yaml"], "detail:2.0") || !strings.Contains(tree["detail/deployment.yaml"], "replicas: 3") ||
		!strings.Contains(tree["detail/pdb.yaml"], "minAvailable: 2") || tree["frontend/deployment.yaml"] != deployment("frontend", "1.0") {
		t.Errorf("the tree of the choice of the image hunk is not the head with only the image back:\n%v", tree)
	}
	// Another choice rewrites the same directory.
	if _, err := draft.Tree([]int{2}); err != nil {
		t.Fatal(err)
	}
	tree = treeFiles(t, dir)
	if !strings.Contains(tree["detail/deployment.yaml"], "detail:3.0") || !strings.Contains(tree["detail/pdb.yaml"], "minAvailable: 1") {
		t.Errorf("the tree of the choice of the PDB hunk:\n%v", tree)
	}

	res, err := draft.Push(t.Context(), []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	_, changed := f.origin.changedLines(f.bad, res.Commit)
	want := []string{"-        image: example.com/detail:3.0", "+        image: example.com/detail:2.0", "-  minAvailable: 2", "+  minAvailable: 1"}
	if diff := cmp.Diff(want, changed); diff != "" {
		t.Errorf("lines the pushed revert changes (-want +got):\n%s", diff)
	}
	// The draft's directory goes with Close, and a Poll meanwhile keeps it.
	if _, _, err := repo.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := draft.Tree(nil); err != nil {
		t.Errorf("the draft's tree after a Poll: %v", err)
	}
	draft.Close()
	if names := dirNames(t, repo.dir); len(names) != 1 {
		t.Errorf("left in Dir after Close: %v, want the poll's checkout only", names)
	}
}
