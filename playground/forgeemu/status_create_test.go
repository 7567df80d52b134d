package forgeemu

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestCreateStatusAnswersTheStatus(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	sha := runGit(t, srv.RepoDir(), "rev-parse", "main")

	got, resp, err := client.Repositories.CreateStatus(context.Background(), testOwner, testRepo, sha, &github.RepoStatus{
		State:       github.String("pending"),
		Description: github.String("canary weight 10% — step 2/3"),
		TargetURL:   github.String("http://sluice.invalid/detail"),
		Context:     github.String("sluice/flagger/detail"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status = %d, want 201", resp.StatusCode)
	}
	want := &github.RepoStatus{
		ID:          got.ID,
		NodeID:      got.NodeID,
		URL:         github.String(srv.APIURL() + "repos/acme/shop/statuses/" + sha),
		State:       github.String("pending"),
		Description: github.String("canary weight 10% — step 2/3"),
		TargetURL:   github.String("http://sluice.invalid/detail"),
		Context:     github.String("sluice/flagger/detail"),
		Creator:     &github.User{Login: github.String(testOwner), ID: github.Int64(1), Type: github.String("User")},
		CreatedAt:   got.CreatedAt,
		UpdatedAt:   got.UpdatedAt,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if got.GetID() == 0 || got.GetCreatedAt().IsZero() {
		t.Errorf("id %d or created_at %v missing", got.GetID(), got.GetCreatedAt())
	}
}

func TestCreateStatusValidates(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	sha := runGit(t, srv.RepoDir(), "rev-parse", "main")
	cases := []struct {
		name        string
		ref         string
		status      github.RepoStatus
		wantStatus  int
		wantContext string
		wantMessage string
	}{
		{"no context means default", sha, github.RepoStatus{State: github.String("success")}, http.StatusCreated, "default", ""},
		{"an abbreviated SHA is a commit", sha[:10], github.RepoStatus{State: github.String("error"), Context: github.String("c")}, http.StatusCreated, "c", ""},
		{"an unknown state is refused", sha, github.RepoStatus{State: github.String("done")}, http.StatusUnprocessableEntity, "", "state is not included in the list"},
		{"a missing state is refused", sha, github.RepoStatus{}, http.StatusUnprocessableEntity, "", "state is not included in the list"},
		{"a description over 140 characters is refused", sha, github.RepoStatus{State: github.String("success"), Description: github.String(strings.Repeat("é", 141))}, http.StatusUnprocessableEntity, "", "description is too long"},
		{"a description of 140 characters is fine", sha, github.RepoStatus{State: github.String("success"), Description: github.String(strings.Repeat("é", 140))}, http.StatusCreated, "default", ""},
		{"an unknown commit is refused", strings.Repeat("ab", 20), github.RepoStatus{State: github.String("success")}, http.StatusUnprocessableEntity, "", "No commit found for SHA"},
		{"a branch name is refused", "main", github.RepoStatus{State: github.String("success")}, http.StatusUnprocessableEntity, "", "No commit found for SHA: main"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := client.Repositories.CreateStatus(context.Background(), testOwner, testRepo, tt.ref, &tt.status)
			if tt.wantStatus != http.StatusCreated {
				wantStatus(t, err, tt.wantStatus)
				if !strings.Contains(err.Error(), tt.wantMessage) {
					t.Errorf("error = %v, want it to say %q", err, tt.wantMessage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.GetContext() != tt.wantContext {
				t.Errorf("context = %q, want %q", got.GetContext(), tt.wantContext)
			}
		})
	}
}

func TestConcurrentStatusesAreAllRecorded(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	client := newClient(t, srv, testToken)
	sha := runGit(t, srv.RepoDir(), "rev-parse", "main")
	const writers = 8
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			_, _, err := client.Repositories.CreateStatus(context.Background(), testOwner, testRepo, sha, &github.RepoStatus{
				State: github.String("success"), Context: github.String(fmt.Sprintf("check-%d", i)),
			})
			errs <- err
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	combined, _, err := client.Repositories.GetCombinedStatus(context.Background(), testOwner, testRepo, sha, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for _, st := range combined.Statuses {
		ids[st.GetID()] = true
	}
	if combined.GetTotalCount() != writers || len(ids) != writers {
		t.Errorf("%d statuses with %d distinct ids, want %d", combined.GetTotalCount(), len(ids), writers)
	}
}
