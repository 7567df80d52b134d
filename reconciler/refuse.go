package reconciler

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/manifests"
)

// ownerLabel marks the objects sluice applied (set by the applier).
const ownerLabel = "sluice.dev/name"

// RefusedError is a commit that Sync refused as a whole: nothing of it was
// applied. Its message reads "commit 1a2b3c4 refused: <why>".
type RefusedError struct {
	// Commit is the full SHA.
	Commit string
	// Err says why.
	Err error
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("commit %s refused: %v", short(e.Commit), e.Err)
}

// Unwrap returns why.
func (e *RefusedError) Unwrap() error { return e.Err }

// refusedHead remembers the last commit refused for its manifests, so that a
// head that stays refused is rendered and reported once, not at every
// poll.
type refusedHead struct {
	commit string
	err    error
}

// refuse reports a commit that cannot be applied: a log line, and
// Ready=False with the reason on every Canary sluice manages (with a Warning
// Event), so that `kubectl get canaries` shows it. It returns a
// *RefusedError.
func (r *Reconciler) refuse(ctx context.Context, commit string, cause error) error {
	err := &RefusedError{Commit: commit, Err: cause}
	r.opts.Log.Error(err.Error(), "commit", commit)
	var canaries v1alpha1.CanaryList
	opts := []client.ListOption{client.HasLabels{ownerLabel}}
	if r.opts.Namespace != "" {
		opts = append(opts, client.InNamespace(r.opts.Namespace))
	}
	if listErr := r.client.List(ctx, &canaries, opts...); listErr != nil {
		r.opts.Log.Warn("Could not list canaries to report a refused commit", "error", listErr.Error())
		return err
	}
	for i := range canaries.Items {
		canary := &canaries.Items[i]
		live, writeErr := r.writeStatus(ctx, client.ObjectKeyFromObject(canary), func(st *v1alpha1.CanaryStatus, generation int64) {
			meta.SetStatusCondition(&st.Conditions, metav1.Condition{
				Type: ConditionReady, Status: metav1.ConditionFalse, Reason: refusalReason(err),
				Message: err.Error(), ObservedGeneration: generation,
			})
		})
		if writeErr != nil {
			r.opts.Log.Warn("Could not report a refused commit on a canary", "canary", canary.Name+"."+canary.Namespace, "error", writeErr.Error())
			continue
		}
		r.events.record(ctx, live, corev1.EventTypeWarning, refusalReason(err), err.Error())
	}
	return err
}

// refusalReason is the condition reason for err.
func refusalReason(err error) string {
	var invalid *manifests.InvalidError
	if asInvalid(err, &invalid) {
		return "InvalidManifests"
	}
	return "ApplyFailed"
}

// short abbreviates a commit SHA to 7 characters.
func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
