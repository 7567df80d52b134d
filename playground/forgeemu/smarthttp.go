package forgeemu

import (
	"io"
	"net/http"
	"net/http/cgi"
	"slices"
)

// gitBackend serves Git smart HTTP with git http-backend through CGI.
type gitBackend struct {
	gitPath     string
	projectRoot string
	env         []string
}

// serve hands the request to git http-backend as user. Setting REMOTE_USER
// is what lets http-backend accept pushes (receive-pack); the request path
// /<owner>/<repo>.git/... names the repository under the project root.
func (b gitBackend) serve(w http.ResponseWriter, r *http.Request, user string) {
	handler := &cgi.Handler{
		Path: b.gitPath,
		Args: []string{"http-backend"},
		Dir:  b.projectRoot,
		Env: append(slices.Clone(b.env),
			"GIT_PROJECT_ROOT="+b.projectRoot,
			"GIT_HTTP_EXPORT_ALL=1",
			"REMOTE_USER="+user,
		),
		Stderr: io.Discard,
	}
	handler.ServeHTTP(w, r)
}
