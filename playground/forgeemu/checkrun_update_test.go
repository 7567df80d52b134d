package forgeemu

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestUpdateCheckRunChangesOnlyWhatIsSent(t *testing.T) {
	t.Parallel()
	c := startCheckRunServer(t)
	run := c.create(t, github.CreateCheckRunOptions{Name: "sluice/detail", HeadSHA: c.sha, ExternalID: github.String("flagger/detail"),
		Status: github.String("in_progress"), Output: &github.CheckRunOutput{Title: github.String("Step 1"), Summary: github.String("weight 10%")}})

	updated, resp, err := c.app.Checks.UpdateCheckRun(c.ctx, testOwner, testRepo, run.GetID(), github.UpdateCheckRunOptions{
		Name: "sluice/detail", Output: &github.CheckRunOutput{Title: github.String("Step 2"), Summary: github.String("weight 20%")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	if updated.GetID() != run.GetID() || updated.GetStatus() != "in_progress" || updated.GetExternalID() != "flagger/detail" || updated.GetOutput().GetTitle() != "Step 2" {
		t.Errorf("updated run = id %d status %q external_id %q title %q, want the same run, in progress, Step 2",
			updated.GetID(), updated.GetStatus(), updated.GetExternalID(), updated.GetOutput().GetTitle())
	}

	done, _, err := c.app.Checks.UpdateCheckRun(c.ctx, testOwner, testRepo, run.GetID(), github.UpdateCheckRunOptions{
		Name: "sluice/detail", Status: github.String("completed"), Conclusion: github.String("success"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if done.GetStatus() != "completed" || done.GetConclusion() != "success" || done.CompletedAt == nil || done.GetOutput().GetSummary() != "weight 20%" {
		t.Errorf("completed run = status %q conclusion %q completed_at %v summary %q", done.GetStatus(), done.GetConclusion(), done.CompletedAt, done.GetOutput().GetSummary())
	}
	views := c.srv.CheckRuns()
	if len(views) != 1 || views[0].Conclusion != "success" || views[0].Summary != "weight 20%" {
		t.Errorf("CheckRuns() = %+v, want the one run, completed", views)
	}

	again, _, err := c.app.Checks.UpdateCheckRun(c.ctx, testOwner, testRepo, run.GetID(), github.UpdateCheckRunOptions{Name: "sluice/detail", Status: github.String("in_progress")})
	if err != nil {
		t.Fatal(err)
	}
	if again.GetStatus() != "in_progress" || again.Conclusion != nil || again.CompletedAt != nil {
		t.Errorf("back in progress: status %q conclusion %v completed_at %v, want no verdict", again.GetStatus(), again.Conclusion, again.CompletedAt)
	}
}

func TestUpdateCheckRunValidatesAndChangesNothingWhenRefused(t *testing.T) {
	t.Parallel()
	c := startCheckRunServer(t)
	run := c.create(t, github.CreateCheckRunOptions{Name: "n", HeadSHA: c.sha, Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{Title: github.String("t"), Summary: github.String("s")}})
	path := "repos/acme/shop/check-runs/" + itoa(run.GetID())
	cases := []struct {
		name, path, body string
		want             int
		field            string
	}{
		{"an unknown id is a 404", "repos/acme/shop/check-runs/999999", `{"status":"in_progress"}`, http.StatusNotFound, ""},
		{"an id that is not a number is a 404", "repos/acme/shop/check-runs/abc", `{}`, http.StatusNotFound, ""},
		{"completed needs a conclusion", path, `{"status":"completed","output":{"title":"changed","summary":"changed"}}`, http.StatusUnprocessableEntity, "conclusion"},
		{"an unknown conclusion is refused", path, `{"conclusion":"great"}`, http.StatusUnprocessableEntity, "conclusion"},
		{"an empty name is refused", path, `{"name":""}`, http.StatusUnprocessableEntity, "name"},
		{"an output needs a summary", path, `{"output":{"title":"changed"}}`, http.StatusUnprocessableEntity, "output.summary"},
		{"completed_at must be RFC 3339", path, `{"conclusion":"success","completed_at":"soon"}`, http.StatusUnprocessableEntity, "completed_at"},
		{"an empty body changes nothing and answers 200", path, ``, http.StatusOK, ""},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			before := c.srv.CheckRuns()
			status, field := c.send(t, http.MethodPatch, tt.path, tt.body)
			if status != tt.want || field != tt.field {
				t.Fatalf("answer %d naming field %q, want %d naming %q", status, field, tt.want, tt.field)
			}
			if diff := cmp.Diff(before, c.srv.CheckRuns()); diff != "" {
				t.Errorf("the runs changed (-before +after):\n%s", diff)
			}
		})
	}
}
