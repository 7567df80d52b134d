package forgeemu

import (
	"net/http"
	"slices"
)

// maxRequests is how many requests the log keeps; older ones are dropped so
// that a long demo does not grow without end.
const maxRequests = 10000

// Request is one request the server answered.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path with the /api/v3 prefix removed, as FailNext
	// matches it: /repos/o/r/pulls, or /o/r.git/info/refs for Git.
	Path string
	// Query is the raw query string.
	Query string
	// Status is the status code the client received.
	Status int
	// Injected is true when Status came from FailNext or FailAfter.
	Injected bool
}

// Requests returns the requests answered so far, oldest first (at most the
// last 10000).
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return slices.Clone(s.requests)
}

// record appends a request to the log.
func (s *Server) record(r *http.Request, path string, w *recordingWriter) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if len(s.requests) == maxRequests {
		s.requests = slices.Delete(s.requests, 0, maxRequests/10)
	}
	s.requests = append(s.requests, Request{
		Method:   r.Method,
		Path:     path,
		Query:    r.URL.RawQuery,
		Status:   w.status(),
		Injected: w.injected,
	})
}

// recordingWriter remembers the status code written through it.
type recordingWriter struct {
	http.ResponseWriter
	code     int
	injected bool
}

func (w *recordingWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets git http-backend stream through the writer.
func (w *recordingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// status is the code sent, 200 when the handler wrote nothing.
func (w *recordingWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
