package applier

import (
	"errors"
	"fmt"
	"regexp"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ExtraRole is the ClusterRole of deploy/rbac.yaml that users extend with the
// kinds their Git holds; AggregateLabel is the label that aggregates it (and
// any role of the user's with it) into the role sluice is bound to.
const (
	ExtraRole      = "sluice-extra"
	AggregateLabel = "rbac.authorization.k8s.io/aggregate-to-sluice"
)

// ForbiddenError reports that the API server's authorizer refused sluice a
// verb on a resource: sluice's role lacks a rule the objects in Git need.
type ForbiddenError struct {
	// Verb is the refused verb ("patch" for a server-side apply, dry run
	// included); empty when the server's message did not say.
	Verb string
	// Resource is the plural resource, qualified by its group unless it is
	// in the core API ("cronjobs.batch", "ingresses.networking.k8s.io").
	Resource string
	// Err is the API server's Forbidden error.
	Err error
}

func (e *ForbiddenError) Error() string {
	verb := e.Verb
	if verb == "" {
		verb = "write"
	}
	return fmt.Sprintf("sluice may not %s %s: extend the ClusterRole %s (label %s: \"true\") with a rule for %s (verbs get, list, watch, create, update, patch, delete): %v",
		verb, e.Resource, ExtraRole, AggregateLabel, e.Resource, e.Err)
}

func (e *ForbiddenError) Unwrap() error { return e.Err }

// refusedVerb finds the verb in the authorizer's message: `User "…" cannot
// patch resource "cronjobs" in API group "batch" …`.
var refusedVerb = regexp.MustCompile(`cannot (\w+) resource`)

// asForbiddenError returns a *ForbiddenError for an error that is, or wraps,
// an API server Forbidden status, and nil for any other error.
func asForbiddenError(err error) *ForbiddenError {
	var status apierrors.APIStatus
	if !apierrors.IsForbidden(err) || !errors.As(err, &status) {
		return nil
	}
	forbidden := &ForbiddenError{Err: err}
	if details := status.Status().Details; details != nil {
		forbidden.Resource = details.Kind
		if details.Group != "" {
			forbidden.Resource += "." + details.Group
		}
	}
	if match := refusedVerb.FindStringSubmatch(status.Status().Message); match != nil {
		forbidden.Verb = match[1]
	}
	return forbidden
}
