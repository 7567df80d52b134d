package applier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fluxcd/pkg/ssa"
	ssaerrors "github.com/fluxcd/pkg/ssa/errors"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is what happened, or would happen, to one object.
type Action string

// The actions of a Change.
const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
	Deleted    Action = "deleted"
)

// Change is the outcome for one object, named "Kind/namespace/name".
type Change struct {
	Subject string
	Action  Action
}

// Changes lists outcomes in the order the objects were handled.
type Changes []Change

// Written reports how many objects were created, configured or deleted.
func (c Changes) Written() int {
	n := 0
	for _, change := range c {
		if change.Action != Unchanged {
			n++
		}
	}
	return n
}

// ImmutableFieldError reports a change to an immutable field of an object
// that does not carry ForceAnnotation.
type ImmutableFieldError struct {
	Subject string
	Err     error
}

func (e *ImmutableFieldError) Error() string {
	return fmt.Sprintf("%s: a field that cannot change was changed (annotate the object %s: enabled in Git to let sluice recreate it): %v",
		e.Subject, ForceAnnotation, e.Err)
}

func (e *ImmutableFieldError) Unwrap() error { return e.Err }

// Apply server-side applies objects: CRDs and Namespaces first (waiting until
// they are established), then the rest. Each object is dry-run first and
// written only when it differs from the live one; with Options.Metadata an
// object that neither Git nor the cluster changed since a dry run found it
// unchanged is reported unchanged without a request. Every object gets the
// owner labels, so that Prune can tell sluice's objects from others. An
// object annotated with ForceAnnotation is recreated when its change touches
// an immutable field; without it that is an *ImmutableFieldError. A server
// validation error of one object fails the stage it is in before any object
// of that stage is written.
func (a *Applier) Apply(ctx context.Context, objects []*unstructured.Unstructured) (Changes, error) {
	objects = a.withOwnerLabels(objects)
	if a.live == nil {
		changeSet, err := a.applyAll(ctx, objects)
		return fromChangeSet(changeSet), err
	}
	return a.applyWatched(ctx, objects)
}

// applyAll dry-runs and applies every object, in stages.
func (a *Applier) applyAll(ctx context.Context, objects []*unstructured.Unstructured) (*ssa.ChangeSet, error) {
	changeSet, err := a.manager.ApplyAllStaged(ctx, objects, ssa.ApplyOptions{
		ForceSelector: map[string]string{ForceAnnotation: "enabled"},
		WaitInterval:  500 * time.Millisecond,
		WaitTimeout:   a.opts.WaitTimeout,
	})
	if err != nil {
		return changeSet, classifyApplyError(err)
	}
	return changeSet, nil
}

// withOwnerLabels returns copies of objects carrying the owner labels.
func (a *Applier) withOwnerLabels(objects []*unstructured.Unstructured) []*unstructured.Unstructured {
	copies := make([]*unstructured.Unstructured, len(objects))
	for i, obj := range objects {
		copies[i] = obj.DeepCopy()
	}
	a.manager.SetOwnerLabels(copies, a.opts.Owner, a.opts.OwnerNamespace)
	return copies
}

// classifyApplyError turns an immutable-field rejection into an
// *ImmutableFieldError and an authorizer's refusal into a *ForbiddenError;
// other errors pass through with the object named.
func classifyApplyError(err error) error {
	var dryRun *ssaerrors.DryRunErr
	if errors.As(err, &dryRun) && isImmutableFieldError(dryRun.Unwrap()) {
		return &ImmutableFieldError{Subject: subjectOf(dryRun.InvolvedObject()), Err: dryRun.Unwrap()}
	}
	if forbidden := asForbiddenError(err); forbidden != nil {
		return fmt.Errorf("applier: %w", forbidden)
	}
	return fmt.Errorf("applier: %w", err)
}

func isImmutableFieldError(err error) bool {
	return apierrors.IsInvalid(err) && strings.Contains(err.Error(), "immutable")
}

func fromChangeSet(cs *ssa.ChangeSet) Changes {
	if cs == nil {
		return nil
	}
	changes := make(Changes, 0, len(cs.Entries))
	for _, entry := range cs.Entries {
		changes = append(changes, Change{Subject: entry.Subject, Action: Action(entry.Action)})
	}
	return changes
}

// subjectOf names obj as "Kind/namespace/name" (or "Kind/name").
func subjectOf(obj *unstructured.Unstructured) string {
	if obj == nil {
		return "object"
	}
	if obj.GetNamespace() == "" {
		return obj.GetKind() + "/" + obj.GetName()
	}
	return obj.GetKind() + "/" + obj.GetNamespace() + "/" + obj.GetName()
}
