package forgeemu

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

// runNames lists the runs as "name=status/conclusion".
func runNames(runs []*github.CheckRun) []string {
	names := []string{}
	for _, run := range runs {
		names = append(names, run.GetName()+"="+run.GetStatus()+"/"+run.GetConclusion())
	}
	return names
}

func TestListCheckRunsFiltersLatestOrAll(t *testing.T) {
	t.Parallel()
	c := startCheckRunServer(t)
	c.create(t, github.CreateCheckRunOptions{Name: "a", HeadSHA: c.sha, Conclusion: github.String("failure")})
	c.create(t, github.CreateCheckRunOptions{Name: "b", HeadSHA: c.sha, Status: github.String("in_progress")})
	c.create(t, github.CreateCheckRunOptions{Name: "a", HeadSHA: c.sha, Status: github.String("in_progress")})
	other := commit(t, c.srv, Change{Branch: "release", Write: map[string]string{"x": "y"}})
	c.create(t, github.CreateCheckRunOptions{Name: "a", HeadSHA: other, Conclusion: github.String("success")})

	cases := []struct {
		name string
		ref  string
		opts *github.ListCheckRunsOptions
		want []string
	}{
		{"the default is the latest run of each name, newest first", c.sha, nil, []string{"a=in_progress/", "b=in_progress/"}},
		{"filter=all is every run", c.sha, &github.ListCheckRunsOptions{Filter: github.String("all")}, []string{"a=in_progress/", "b=in_progress/", "a=completed/failure"}},
		{"check_name keeps one name", c.sha, &github.ListCheckRunsOptions{CheckName: github.String("a"), Filter: github.String("all")}, []string{"a=in_progress/", "a=completed/failure"}},
		{"check_name with latest is the one run of that name", "main", &github.ListCheckRunsOptions{CheckName: github.String("a"), Filter: github.String("latest")}, []string{"a=in_progress/"}},
		{"status applies after latest", c.sha, &github.ListCheckRunsOptions{Status: github.String("completed")}, []string{}},
		{"status with all", c.sha, &github.ListCheckRunsOptions{Status: github.String("completed"), Filter: github.String("all")}, []string{"a=completed/failure"}},
		{"a branch names its tip", "release", nil, []string{"a=completed/success"}},
		{"app_id of another App keeps nothing", c.sha, &github.ListCheckRunsOptions{AppID: github.Int64(43)}, []string{}},
		{"app_id of the App keeps its runs", c.sha, &github.ListCheckRunsOptions{AppID: github.Int64(42)}, []string{"a=in_progress/", "b=in_progress/"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := c.app.Checks.ListCheckRunsForRef(c.ctx, testOwner, testRepo, tt.ref, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, runNames(got.CheckRuns)); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
			if got.GetTotal() != len(tt.want) {
				t.Errorf("total_count = %d, want %d", got.GetTotal(), len(tt.want))
			}
		})
	}
}

func TestListCheckRunsValidates(t *testing.T) {
	t.Parallel()
	c := startCheckRunServer(t)
	for _, tt := range []struct {
		name, query string
		want        int
	}{
		{"an unknown filter is refused", "?filter=newest", http.StatusUnprocessableEntity},
		{"an unknown status is refused", "?status=done", http.StatusUnprocessableEntity},
		{"a commit without runs has none", "", http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawRequest(t, http.MethodGet, c.srv.APIURL()+"repos/acme/shop/commits/"+c.sha+"/check-runs"+tt.query, "Bearer "+c.token, "")
			if resp.StatusCode != tt.want {
				t.Errorf("%d %s, want %d", resp.StatusCode, body, tt.want)
			}
			if tt.want == http.StatusOK && !strings.Contains(body, `"total_count":0,"check_runs":[]`) {
				t.Errorf("body %s, want an empty list", body)
			}
		})
	}
	_, _, err := c.app.Checks.ListCheckRunsForRef(c.ctx, testOwner, testRepo, "no-such-branch", nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
}

func TestListCheckRunsIsPaginated(t *testing.T) {
	t.Parallel()
	c := startCheckRunServer(t)
	for _, name := range []string{"r1", "r2", "r3", "r4", "r5"} {
		c.create(t, github.CreateCheckRunOptions{Name: name, HeadSHA: c.sha})
	}
	var pages [][]string
	opts := &github.ListCheckRunsOptions{ListOptions: github.ListOptions{PerPage: 2}}
	for {
		got, resp, err := c.app.Checks.ListCheckRunsForRef(c.ctx, testOwner, testRepo, c.sha, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got.GetTotal() != 5 {
			t.Errorf("page %d: total_count = %d, want 5 on every page", opts.Page, got.GetTotal())
		}
		pages = append(pages, runNames(got.CheckRuns))
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	want := [][]string{{"r5=queued/", "r4=queued/"}, {"r3=queued/", "r2=queued/"}, {"r1=queued/"}}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}
