package reconciler

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/forge"
	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/planner"
)

// forgeGate holds write-back while the forge refuses sluice's credentials:
// after a refusal, no forge call and no revert push is made until the
// backoff of planner.ForgeRetryAfter (or Options.ForgeRetryAfter) has
// passed, so a revoked token costs one request per backoff, not one per
// sync. It is safe for concurrent use.
type forgeGate struct {
	mu       sync.Mutex
	failures int
	until    time.Time
	reason   string
}

// open reports whether write-back may call the forge at now.
func (g *forgeGate) open(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !now.Before(g.until)
}

// state returns the refusals in a row, their last reason and when the
// next attempt may be made.
func (g *forgeGate) state() (int, string, time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failures, g.reason, g.until
}

// observe records the outcome of a forge call or a revert push: a refusal
// of the credentials closes the gate for the next backoff, a success opens
// it; other errors (the forge down, a conflict) change nothing. It returns
// whether err was a refusal.
func (r *Reconciler) observeForge(err error) bool {
	g := &r.forgeGate
	reason, refused := refusal(err)
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case err == nil:
		g.failures, g.until, g.reason = 0, time.Time{}, ""
	case refused:
		g.failures++
		g.reason = reason
		retry := r.opts.ForgeRetryAfter
		if retry == nil {
			retry = planner.ForgeRetryAfter
		}
		g.until = r.opts.Now().Add(retry(g.failures))
		r.metrics.observeForgeRefusal(reason)
	}
	return refused
}

// refusal tells whether err is the forge or the Git remote refusing
// sluice's credentials, and says so: "HTTP 401 Bad credentials".
func refusal(err error) (string, bool) {
	var forgeErr *forge.Error
	if errors.As(err, &forgeErr) && (forgeErr.Status == http.StatusUnauthorized || forgeErr.Status == http.StatusForbidden) {
		return fmt.Sprintf("HTTP %d %s", forgeErr.Status, forgeErr.Message), true
	}
	var gitErr *gitsync.Error
	if errors.As(err, &gitErr) && gitErr.Kind == gitsync.KindAuth {
		return "git " + gitErr.Op + " refused the credentials", true
	}
	return "", false
}

// setForgeCondition sets ConditionForge on a Canary's status when sluice
// writes back to a forge.
func (r *Reconciler) setForgeCondition(st *v1alpha1.CanaryStatus, generation int64) {
	if r.opts.Forge == nil {
		meta.RemoveStatusCondition(&st.Conditions, planner.ConditionForge)
		return
	}
	failures, reason, until := r.forgeGate.state()
	if failures == 0 {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: planner.ConditionForge, Status: metav1.ConditionTrue,
			Reason: "Accepted", Message: "The forge takes sluice's commit statuses and pull requests.", ObservedGeneration: generation})
		return
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: planner.ConditionForge, Status: metav1.ConditionFalse,
		Reason: "Refused", Message: planner.ForgeRefusedMessage(reason, failures, max(until.Sub(r.opts.Now()), 0)), ObservedGeneration: generation})
}
