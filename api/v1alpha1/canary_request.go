package v1alpha1

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The annotations `sluice promote|abort|pause|resume` write on a Canary:
// what is asked, by whom and when. They are metadata, not spec, so the
// Canary from Git stays as Git has it: sluice's server-side apply owns
// none of them and leaves them alone. sluice removes the three once it
// carried the request out (or found nothing to do), and only if they
// still say the same: a newer request is never lost.
const (
	// RequestAnnotation holds the request: promote, abort, pause or
	// resume.
	RequestAnnotation = "sluice.dev/request"
	// RequestedByAnnotation holds who asked, as the API server knows them.
	RequestedByAnnotation = "sluice.dev/requested-by"
	// RequestedAtAnnotation holds when, in RFC 3339 (nanoseconds).
	RequestedAtAnnotation = "sluice.dev/requested-at"
)

// RequestAction is what a manual request asks.
type RequestAction string

// The manual requests.
const (
	// RequestPromote skips the rest of the analysis and promotes the
	// canary, as an open confirm-promotion gate would.
	RequestPromote RequestAction = "promote"
	// RequestAbort rolls the canary back at the next step, as a failed
	// analysis would (revert pull request included).
	RequestAbort RequestAction = "abort"
	// RequestPause holds the rollout where it stands until resume.
	RequestPause RequestAction = "pause"
	// RequestResume ends a pause.
	RequestResume RequestAction = "resume"
)

// RequestActions are the manual requests, in the order the CLI lists them.
func RequestActions() []RequestAction {
	return []RequestAction{RequestPromote, RequestAbort, RequestPause, RequestResume}
}

// ManualRequest is one request written by the CLI on a Canary.
type ManualRequest struct {
	// Action is what is asked; one sluice does not know is refused by the
	// planner, in an Event, and cleared.
	Action RequestAction
	// By is the user who asked; empty when not said.
	By string
	// At is when; zero when not said or not RFC 3339.
	At metav1.Time
}

// RequestOf reads the manual request in a Canary's annotations; false when
// there is none.
func RequestOf(annotations map[string]string) (ManualRequest, bool) {
	action, ok := annotations[RequestAnnotation]
	if !ok {
		return ManualRequest{}, false
	}
	req := ManualRequest{Action: RequestAction(strings.TrimSpace(action)), By: annotations[RequestedByAnnotation]}
	if at, err := time.Parse(time.RFC3339, annotations[RequestedAtAnnotation]); err == nil {
		req.At = metav1.NewTime(at)
	}
	return req, true
}

// Annotations are the annotations that carry req.
func (req ManualRequest) Annotations() map[string]string {
	return map[string]string{
		RequestAnnotation:     string(req.Action),
		RequestedByAnnotation: req.By,
		RequestedAtAnnotation: req.At.UTC().Format(time.RFC3339Nano),
	}
}
