package reconciler

import (
	"context"
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sluicehq/sluice/manifests"
)

// schedule keeps each Canary's rollout on its own cadence between polls:
// the rendering of the last synced commit, and when each Canary wants its
// next step. A Canary absent from next takes no step until a sync asks.
type schedule struct {
	rendering *manifests.Rendering
	commit    string
	next      map[types.NamespacedName]time.Time
}

// plan records when canary wants its next step: after a delay from now,
// or never (until the next sync) for a zero delay.
func (s *schedule) plan(canary types.NamespacedName, now time.Time, after time.Duration) {
	if after <= 0 {
		delete(s.next, canary)
		return
	}
	s.next[canary] = now.Add(after)
}

// soonest is the earliest next step, false when no Canary wants one.
func (s *schedule) soonest() (time.Time, bool) {
	var first time.Time
	for _, at := range s.next {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	return first, !first.IsZero()
}

// Step takes the next rollout step of every Canary whose step is due,
// without polling Git or applying the rest of the commit: the Canary and
// its target are those of the last Sync. Each Canary keeps the cadence it
// asks for (its analysis interval, or a short wait on a Deployment), so a
// Canary's steps do not wait for the poll interval, nor for each other. It
// returns how long until the soonest next step, zero when none is planned;
// the error of one Canary does not stop the others.
func (r *Reconciler) Step(ctx context.Context) (time.Duration, error) {
	s := &r.schedule
	now := r.opts.Now()
	var errs []error
	stepped := false
	if s.rendering != nil {
		for i, canary := range s.rendering.Canaries {
			key := types.NamespacedName{Namespace: canary.Namespace, Name: canary.Name}
			at, ok := s.next[key]
			if !ok || at.After(now) {
				continue
			}
			after, err := r.rollout(ctx, canary, s.rendering.Targets[i], s.commit)
			errs = append(errs, err)
			s.plan(key, r.opts.Now(), after)
			stepped = true
		}
	}
	if stepped {
		// A step that failed a rollout opens its revert at once.
		errs = append(errs, r.writeBack(ctx, s.rendering, s.commit))
	}
	return r.untilNextStep(), errors.Join(errs...)
}

// untilNextStep is how long until the soonest planned step; zero when
// none is, and at least a millisecond when one is overdue.
func (r *Reconciler) untilNextStep() time.Duration {
	at, ok := r.schedule.soonest()
	if !ok {
		return 0
	}
	return max(at.Sub(r.opts.Now()), time.Millisecond)
}
