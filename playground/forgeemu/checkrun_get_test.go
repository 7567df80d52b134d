package forgeemu

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestGetCheckRunAnswersTheRunOr404(t *testing.T) {
	t.Parallel()
	c := startCheckRunServer(t)
	run := c.create(t, github.CreateCheckRunOptions{Name: "n", HeadSHA: c.sha, ExternalID: github.String("flagger/detail")})
	for _, client := range []*github.Client{c.app, c.personal} {
		got, _, err := client.Checks.GetCheckRun(c.ctx, testOwner, testRepo, run.GetID())
		if err != nil {
			t.Fatal(err)
		}
		if got.GetID() != run.GetID() || got.GetName() != "n" || got.GetExternalID() != "flagger/detail" || got.GetHeadSHA() != c.sha {
			t.Errorf("got %+v, want the run created", got)
		}
	}
	_, _, err := c.app.Checks.GetCheckRun(c.ctx, testOwner, testRepo, run.GetID()+1000)
	wantStatus(t, err, http.StatusNotFound)
}

func TestOnlyAGitHubAppWritesCheckRuns(t *testing.T) {
	t.Parallel()
	c := startCheckRunServer(t)
	run := c.create(t, github.CreateCheckRunOptions{Name: "n", HeadSHA: c.sha})
	for _, tt := range []struct{ method, path, body string }{
		{http.MethodPost, "repos/acme/shop/check-runs", `{"name":"n","head_sha":"` + c.sha + `"}`},
		{http.MethodPatch, "repos/acme/shop/check-runs/" + itoa(run.GetID()), `{"conclusion":"success"}`},
	} {
		resp, body := rawRequest(t, tt.method, c.srv.APIURL()+tt.path, "Bearer "+testToken, tt.body)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"message":"You must authenticate via a GitHub App."`) {
			t.Errorf("%s with a personal token: %d %s, want 403 asking for a GitHub App", tt.method, resp.StatusCode, body)
		}
	}
	if views := c.srv.CheckRuns(); len(views) != 1 || views[0].Status != "queued" {
		t.Errorf("CheckRuns() = %+v, want the one run untouched", views)
	}
	if _, _, err := c.personal.Checks.ListCheckRunsForRef(c.ctx, testOwner, testRepo, c.sha, nil); err != nil {
		t.Errorf("a personal token may read Check Runs: %v", err)
	}
}

func TestCheckRunsNeedAnAppOnAServerWithoutOne(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	sha := runGit(t, srv.RepoDir(), "rev-parse", "main")
	_, _, err := newClient(t, srv, testToken).Checks.CreateCheckRun(t.Context(), testOwner, testRepo, github.CreateCheckRunOptions{Name: "n", HeadSHA: sha})
	wantStatus(t, err, http.StatusForbidden)
}
