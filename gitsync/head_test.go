package gitsync

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHeadReadsTheBranchWithoutFetching(t *testing.T) {
	root := t.TempDir()
	o := newOrigin(t, root, "origin")
	head := o.commit(map[string]string{"a.yaml": "1\n"})
	srv := newHTTPServer(t, root)
	repo := mustNew(t, Options{URL: srv.URL + "/origin", Branch: "main", Dir: t.TempDir()})

	got, err := repo.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != head {
		t.Errorf("Head = %s, want %s", got, head)
	}
	if diff := cmp.Diff(Stats{ListRemotes: 1}, repo.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}
