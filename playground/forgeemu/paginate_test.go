package forgeemu

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPaginate(t *testing.T) {
	t.Parallel()
	items := []int{1, 2, 3, 4, 5}
	cases := []struct {
		name      string
		query     string
		wantItems []int
		wantLinks []string
	}{
		{"the default page holds everything", "", []int{1, 2, 3, 4, 5}, nil},
		{"the first page links forward", "per_page=2", []int{1, 2}, []string{`page=2&per_page=2>; rel="next"`, `page=3&per_page=2>; rel="last"`}},
		{"a middle page links both ways", "per_page=2&page=2", []int{3, 4}, []string{`page=1&per_page=2>; rel="prev"`, `page=1&per_page=2>; rel="first"`, `page=3&per_page=2>; rel="next"`, `page=3&per_page=2>; rel="last"`}},
		{"the last page links back", "per_page=2&page=3", []int{5}, []string{`page=2&per_page=2>; rel="prev"`, `page=1&per_page=2>; rel="first"`}},
		{"past the end is empty", "per_page=2&page=99", []int{}, []string{`page=3&per_page=2>; rel="prev"`, `page=1&per_page=2>; rel="first"`}},
		{"nonsense means the defaults", "per_page=x&page=-1", []int{1, 2, 3, 4, 5}, nil},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/repos/o/r/pulls?"+tt.query, nil)
			got := paginate(w, r, "http://127.0.0.1:1", items)
			if diff := cmp.Diff(tt.wantItems, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			var links []string
			if header := w.Header().Get("Link"); header != "" {
				for _, link := range strings.Split(header, ", ") {
					if !strings.HasPrefix(link, "<http://127.0.0.1:1/repos/o/r/pulls?") {
						t.Errorf("link %s does not point at the list", link)
					}
					_, rest, _ := strings.Cut(link, "?")
					links = append(links, rest)
				}
			}
			if diff := cmp.Diff(tt.wantLinks, links); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
		})
	}
}
