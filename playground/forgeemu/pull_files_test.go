package forgeemu

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestListFilesShowsTheDiffSinceTheMergeBase(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	ctx := context.Background()
	commit(t, srv, Change{Branch: "revert", Message: "revert", Write: map[string]string{
		"app.yaml":      "image: shop:2.0\nreplicas: 2\n",
		"deploy/new.md": "one\ntwo\n",
	}, Delete: []string{"README.md"}})
	// A change on main after the branch point is not part of the pull request.
	commit(t, srv, Change{Branch: "main", Write: map[string]string{"later.txt": "later\n"}})
	pr := newPull(t, client, "revert", "main", "revert")

	got, _, err := client.PullRequests.ListFiles(ctx, testOwner, testRepo, pr.GetNumber(), nil)
	if err != nil {
		t.Fatal(err)
	}
	type file struct {
		Name, Status                  string
		Additions, Deletions, Changes int
		Patch                         string
	}
	var files []file
	for _, f := range got {
		files = append(files, file{f.GetFilename(), f.GetStatus(), f.GetAdditions(), f.GetDeletions(), f.GetChanges(), f.GetPatch()})
		if len(f.GetSHA()) != 40 {
			t.Errorf("%s: sha %q is not a full object name", f.GetFilename(), f.GetSHA())
		}
	}
	want := []file{
		{"README.md", "removed", 0, 1, 1, "@@ -1 +0,0 @@\n-# shop"},
		{"app.yaml", "modified", 1, 1, 2, "@@ -1,2 +1,2 @@\n-image: shop:1.0\n+image: shop:2.0\n replicas: 2"},
		{"deploy/new.md", "added", 2, 0, 2, "@@ -0,0 +1,2 @@\n+one\n+two"},
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}

	// Merged, the pull request still shows what it changed.
	if _, _, err := client.PullRequests.Merge(ctx, testOwner, testRepo, pr.GetNumber(), "", nil); err != nil {
		t.Fatal(err)
	}
	after, _, err := client.PullRequests.ListFiles(ctx, testOwner, testRepo, pr.GetNumber(), &github.ListOptions{PerPage: 2, Page: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 1 || after[0].GetFilename() != "deploy/new.md" {
		t.Errorf("page 2 of the files after the merge = %v, want deploy/new.md", after)
	}
}

func TestSplitPatchesKeepsOnlyTheHunks(t *testing.T) {
	t.Parallel()
	diff := "diff --git a/a b/a\nindex 1..2 100644\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-x\n+y\n" +
		"diff --git a/bin b/bin\nnew file mode 100644\nindex 0..3\nBinary files /dev/null and b/bin differ\n" +
		"diff --git a/c b/c\n--- a/c\n+++ b/c\n@@ -1 +1 @@\n-diff --git looks like a header\n+but is content\n\\ No newline at end of file"
	want := []string{"@@ -1 +1 @@\n-x\n+y", "", "@@ -1 +1 @@\n-diff --git looks like a header\n+but is content\n\\ No newline at end of file"}
	if diff := cmp.Diff(want, splitPatches(diff)); diff != "" {
		t.Errorf("patches (-want +got):\n%s", diff)
	}
}
