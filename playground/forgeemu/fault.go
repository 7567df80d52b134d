package forgeemu

import (
	"fmt"
	"net/http"
	"strings"
)

// fault is a failure to inject into matching requests.
type fault struct {
	method     string
	pathPrefix string
	remaining  int
	status     int
	// after means: carry the request out, then answer status instead.
	after bool
}

// FailNext makes the next count requests whose method is method (any method
// when empty) and whose path starts with pathPrefix answer status with a
// GitHub-style error body, without doing anything. The path is matched with
// the /api/v3 prefix removed, as in [Request]: "/repos/o/r/pulls" or
// "/o/r.git/info/refs". Only requests with valid credentials count. Faults
// apply in the order they were added, one per request.
func (s *Server) FailNext(method, pathPrefix string, count, status int) {
	s.addFault(&fault{method: method, pathPrefix: pathPrefix, remaining: count, status: status})
}

// FailAfter is FailNext for a forge that does the work and then loses the
// answer: each of the next count matching requests is carried out in full,
// its answer is thrown away and status is answered instead.
func (s *Server) FailAfter(method, pathPrefix string, count, status int) {
	s.addFault(&fault{method: method, pathPrefix: pathPrefix, remaining: count, status: status, after: true})
}

// addFault queues a fault; a count below one adds nothing.
func (s *Server) addFault(f *fault) {
	if f.remaining < 1 {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.faults = append(s.faults, f)
}

// takeFault consumes one use of the first fault matching the request.
func (s *Server) takeFault(method, path string) *fault {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	for i, f := range s.faults {
		if (f.method == "" || f.method == method) && strings.HasPrefix(path, f.pathPrefix) {
			f.remaining--
			if f.remaining == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			return f
		}
	}
	return nil
}

// injectFault answers the request with a matching fault's status and
// reports whether it did. For a FailAfter fault, serve runs first and its
// answer is discarded.
func (s *Server) injectFault(w *recordingWriter, r *http.Request, path string, serve func(http.ResponseWriter)) bool {
	f := s.takeFault(r.Method, path)
	if f == nil {
		return false
	}
	if f.after {
		serve(&discardWriter{header: http.Header{}})
	}
	w.injected = true
	writeError(w, &apiError{Status: f.status, Message: fmt.Sprintf("forgeemu: injected failure %d", f.status)})
	return true
}

// discardWriter is a response writer that throws the answer away.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
