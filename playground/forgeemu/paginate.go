package forgeemu

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Page sizes of GitHub's lists.
const (
	defaultPerPage = 30
	maxPerPage     = 100
)

// paginate returns the items of the page the request asks for (page from 1,
// per_page up to 100, default 30; values that are not positive numbers mean
// the default) and sets GitHub's Link header with the first, prev, next and
// last pages that exist. base is the server's URL.
func paginate[T any](w http.ResponseWriter, r *http.Request, base string, items []T) []T {
	query := r.URL.Query()
	perPage := positiveOr(query.Get("per_page"), defaultPerPage)
	perPage = min(perPage, maxPerPage)
	page := positiveOr(query.Get("page"), 1)
	last := max(1, (len(items)+perPage-1)/perPage)
	page = min(page, last+1) // past the end is empty; this keeps the arithmetic small

	var links []string
	link := func(n int, rel string) {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		q.Set("per_page", strconv.Itoa(perPage))
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		links = append(links, fmt.Sprintf("<%s%s>; rel=%q", base, u.String(), rel))
	}
	if page > 1 {
		link(min(page-1, last), "prev")
		link(1, "first")
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}

	start := min((page-1)*perPage, len(items))
	end := min(start+perPage, len(items))
	return items[start:end]
}

// positiveOr parses s as a positive number, or returns fallback.
func positiveOr(s string, fallback int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return fallback
	}
	return n
}
