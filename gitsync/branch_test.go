package gitsync

import "testing"

func TestBranchIsTheWatchedOne(t *testing.T) {
	r, err := New(Options{URL: "https://example.com/fleet.git", Branch: "release/v2", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Branch(); got != "release/v2" {
		t.Errorf("Branch() = %q, want release/v2", got)
	}
}
