package forge

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func TestFromGitHub(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   *github.PullRequest
		want *PullRequest
	}{
		{"an open one", &github.PullRequest{
			Number: github.Int(3), Title: github.String("t"), Body: github.String("b"), State: github.String("open"),
			HTMLURL: github.String("https://github.com/o/r/pull/3"),
			Head:    &github.PullRequestBranch{Ref: github.String("h"), SHA: github.String("abc")},
			Base:    &github.PullRequestBranch{Ref: github.String("main")},
		}, &PullRequest{Number: 3, Title: "t", Body: "b", Head: "h", HeadSHA: "abc", Base: "main", State: "open", URL: "https://github.com/o/r/pull/3"}},
		{"a merged one as a list gives it, without merged", &github.PullRequest{
			Number: github.Int(4), State: github.String("closed"), MergedAt: &github.Timestamp{},
		}, &PullRequest{Number: 4, State: "closed", Merged: true}},
		{"a merged one as a read gives it", &github.PullRequest{Number: github.Int(5), State: github.String("closed"), Merged: github.Bool(true)},
			&PullRequest{Number: 5, State: "closed", Merged: true}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, fromGitHub(tt.in)); diff != "" {
				t.Errorf("fromGitHub (-want +got):\n%s", diff)
			}
		})
	}
}
