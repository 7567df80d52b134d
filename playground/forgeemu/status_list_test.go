package forgeemu

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

// setStatuses creates statuses on sha in order, as "context=state" pairs.
func setStatuses(t *testing.T, client *github.Client, sha string, pairs ...[2]string) {
	t.Helper()
	for _, pair := range pairs {
		_, _, err := client.Repositories.CreateStatus(context.Background(), testOwner, testRepo, sha, &github.RepoStatus{
			Context: github.String(pair[0]), State: github.String(pair[1]),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestListStatusesIsNewestFirstForAShaOrABranch(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	sha := runGit(t, srv.RepoDir(), "rev-parse", "main")
	setStatuses(t, client, sha, [2]string{"a", "pending"}, [2]string{"b", "pending"}, [2]string{"a", "success"})
	other := commit(t, srv, Change{Branch: "sluice/revert-detail-1234567", Write: map[string]string{"x": "y"}})
	setStatuses(t, client, other, [2]string{"a", "failure"})

	for _, ref := range []string{sha, "main", sha[:7]} {
		got, _, err := client.Repositories.ListStatuses(context.Background(), testOwner, testRepo, ref, nil)
		if err != nil {
			t.Fatal(err)
		}
		var pairs [][2]string
		for _, st := range got {
			pairs = append(pairs, [2]string{st.GetContext(), st.GetState()})
		}
		want := [][2]string{{"a", "success"}, {"b", "pending"}, {"a", "pending"}}
		if diff := cmp.Diff(want, pairs); diff != "" {
			t.Errorf("statuses of %s (-want +got):\n%s", ref, diff)
		}
	}

	got, _, err := client.Repositories.ListStatuses(context.Background(), testOwner, testRepo, "sluice/revert-detail-1234567", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].GetState() != "failure" {
		t.Errorf("statuses of a branch with a slash = %v, want the one failure", got)
	}

	_, _, err = client.Repositories.ListStatuses(context.Background(), testOwner, testRepo, "no-such-branch", nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
}

func TestCombinedStatusKeepsTheLatestOfEachContext(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		statuses  [][2]string
		wantState string
		wantLast  map[string]string
	}{
		{"no status is pending", nil, "pending", map[string]string{}},
		{"all success is success", [][2]string{{"a", "success"}, {"b", "success"}}, "success", map[string]string{"a": "success", "b": "success"}},
		{"a later success replaces a failure", [][2]string{{"a", "failure"}, {"a", "success"}}, "success", map[string]string{"a": "success"}},
		{"one pending makes it pending", [][2]string{{"a", "success"}, {"b", "pending"}}, "pending", map[string]string{"a": "success", "b": "pending"}},
		{"one error makes it failure", [][2]string{{"a", "pending"}, {"b", "error"}}, "failure", map[string]string{"a": "pending", "b": "error"}},
		{"one failure makes it failure", [][2]string{{"a", "success"}, {"a", "failure"}, {"b", "success"}}, "failure", map[string]string{"a": "failure", "b": "success"}},
	}
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	for i, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			sha := commit(t, srv, Change{Branch: "main", Write: map[string]string{"n": string(rune('a' + i))}})
			setStatuses(t, client, sha, tt.statuses...)

			got, _, err := client.Repositories.GetCombinedStatus(context.Background(), testOwner, testRepo, "main", nil)
			if err != nil {
				t.Fatal(err)
			}
			last := map[string]string{}
			for _, st := range got.Statuses {
				last[st.GetContext()] = st.GetState()
			}
			if diff := cmp.Diff(tt.wantLast, last); diff != "" {
				t.Errorf("latest per context (-want +got):\n%s", diff)
			}
			if got.GetState() != tt.wantState || got.GetSHA() != sha || got.GetTotalCount() != len(tt.wantLast) {
				t.Errorf("state %s, sha %s, total %d; want %s, %s, %d", got.GetState(), got.GetSHA(), got.GetTotalCount(), tt.wantState, sha, len(tt.wantLast))
			}
		})
	}
}

func TestStatusListsArePaginated(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	sha := runGit(t, srv.RepoDir(), "rev-parse", "main")
	setStatuses(t, client, sha, [2]string{"a", "success"}, [2]string{"b", "success"}, [2]string{"c", "success"}, [2]string{"d", "success"}, [2]string{"e", "success"})

	var contexts []string
	opts := &github.ListOptions{PerPage: 2}
	for pages := 0; ; pages++ {
		got, resp, err := client.Repositories.ListStatuses(context.Background(), testOwner, testRepo, sha, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range got {
			contexts = append(contexts, st.GetContext())
		}
		if pages == 0 && (resp.LastPage != 3 || resp.NextPage != 2) {
			t.Errorf("first page: next %d, last %d; want 2, 3", resp.NextPage, resp.LastPage)
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if diff := cmp.Diff([]string{"e", "d", "c", "b", "a"}, contexts); diff != "" {
		t.Errorf("contexts over all pages (-want +got):\n%s", diff)
	}

	combined, resp, err := client.Repositories.GetCombinedStatus(context.Background(), testOwner, testRepo, sha, &github.ListOptions{PerPage: 2, Page: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(combined.Statuses) != 1 || combined.GetTotalCount() != 5 || resp.PrevPage != 2 || resp.NextPage != 0 {
		t.Errorf("last page of the combined status: %d statuses of %d, prev %d, next %d; want 1 of 5, 2, 0",
			len(combined.Statuses), combined.GetTotalCount(), resp.PrevPage, resp.NextPage)
	}
}
