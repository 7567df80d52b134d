package forge

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStatusesAreTheLatestOfEachContext(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	sha := f.head("main")
	for _, st := range []Status{
		{Context: "sluice/flagger/detail", State: StatePending, Description: "canary weight 5%"},
		{Context: "ci", State: StateSuccess},
		{Context: "sluice/flagger/detail", State: StateFailure, Description: "success rate 23.03% < 99%", TargetURL: "http://sluice.invalid"},
	} {
		st.SHA = sha
		if err := f.gh.SetStatus(f.ctx, st); err != nil {
			t.Fatal(err)
		}
	}

	for _, ref := range []string{sha, "main"} {
		got, err := f.gh.Statuses(f.ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		want := []Status{
			{SHA: sha, Context: "ci", State: StateSuccess},
			{SHA: sha, Context: "sluice/flagger/detail", State: StateFailure, Description: "success rate 23.03% < 99%", TargetURL: "http://sluice.invalid"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Statuses(%s) (-want +got):\n%s", ref, diff)
		}
	}

	other := f.commit("main", map[string]string{"x": "y"})
	got, err := f.gh.Statuses(f.ctx, other)
	if err != nil || len(got) != 0 {
		t.Errorf("Statuses of a commit without any = %v, %v; want none", got, err)
	}
}

func TestStatusesReadsEveryPage(t *testing.T) {
	t.Parallel()
	f := newTestForge(t)
	sha := f.head("main")
	for i := range 103 {
		if err := f.gh.SetStatus(f.ctx, Status{SHA: sha, Context: fmt.Sprintf("check-%03d", i), State: StateSuccess}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.gh.Statuses(f.ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 103 || got[0].Context != "check-000" || got[102].Context != "check-102" {
		t.Errorf("%d statuses from %s to %s, want 103 from check-000 to check-102", len(got), got[0].Context, got[len(got)-1].Context)
	}
	if n := f.requests("GET", "/commits/"+sha+"/status"); n != 2 {
		t.Errorf("%d pages read, want 2", n)
	}
}
