package forgeemu

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// documentationURL is the documentation_url of every error answer.
const documentationURL = "https://docs.github.com/rest"

// apiError is an error answer in GitHub's shape.
type apiError struct {
	Status  int
	Message string
	Errors  []fieldError
}

// fieldError is one entry of the "errors" list of a 422 answer.
type fieldError struct {
	Resource string `json:"resource,omitempty"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

// validationFailed is GitHub's 422 answer for a request it understood but
// refuses.
func validationFailed(errs ...fieldError) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Message: "Validation Failed", Errors: errs}
}

// customValidation is a 422 whose one error has a message of its own.
func customValidation(resource, format string, args ...any) *apiError {
	return validationFailed(fieldError{Resource: resource, Code: "custom", Message: fmt.Sprintf(format, args...)})
}

// notFound is GitHub's 404 answer.
func notFound() *apiError {
	return &apiError{Status: http.StatusNotFound, Message: "Not Found"}
}

// notImplemented answers 501 for something GitHub does but the emulator
// does not.
func notImplemented(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotImplemented, Message: "forgeemu: " + fmt.Sprintf(format, args...) + " is not implemented"}
}

// internalError answers 500 for a failure of the emulator itself, such as
// a git command that failed.
func internalError(err error) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Message: "forgeemu: " + err.Error()}
}

// writeError writes e as GitHub does:
// {"message": ..., "errors": [...], "documentation_url": ...}.
func writeError(w http.ResponseWriter, e *apiError) {
	body := struct {
		Message          string       `json:"message"`
		Errors           []fieldError `json:"errors,omitempty"`
		DocumentationURL string       `json:"documentation_url"`
	}{e.Message, e.Errors, documentationURL}
	writeJSON(w, e.Status, body)
}

// writeJSON writes v as the JSON body of a status answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// maxBody is the largest request body the API reads.
const maxBody = 1 << 20

// decodeBody reads the JSON request body into v; malformed JSON answers
// 400 "Problems parsing JSON" as GitHub does. An empty body leaves v as it
// is.
func decodeBody(r *http.Request, v any) *apiError {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return &apiError{Status: http.StatusBadRequest, Message: "forgeemu: reading the body: " + err.Error()}
	}
	if len(data) > maxBody {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Message: "forgeemu: the body is larger than 1 MiB"}
	}
	if len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &apiError{Status: http.StatusBadRequest, Message: "Problems parsing JSON"}
	}
	return nil
}

// timestamp formats t as GitHub does, in UTC to the second.
func timestamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// optionalTimestamp is a timestamp, or null for the zero time.
func optionalTimestamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := timestamp(t)
	return &s
}

// nullable is s, or null when s is empty, as GitHub answers unset strings.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
