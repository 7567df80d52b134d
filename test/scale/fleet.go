package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/reconciler"
)

const (
	what4   = "%d Canaries rolling at once (blue/green, 3 steps of 10 s, webhook + Prometheus check each; --workers %d, the default)"
	target4 = "step lateness p99 ≤ 1 s; 2 API writes per step; sluice peak RSS < 200 MiB"
	what5   = "one Canary whose webhook hangs (> its 3 s timeout), in row 4's run: lateness of every other Canary"
	target5 = "no other Canary delayed > 100 ms beyond the normal lateness"
)

// fleetRows measures rows 4 and 5 in one run: apps Canaries installed at
// 1.0, then 2.0 committed for all at once, one of them with a webhook
// that hangs.
func fleetRows(ctx context.Context, e *env, apps int) []result {
	w4, w5 := fmt.Sprintf(what4, apps, reconciler.DefaultWorkers), what5
	fail := func(err error) []result {
		return []result{notMeasured(4, w4, target4, err), notMeasured(5, w5, target5, err)}
	}
	ns, done, err := e.namespace(ctx, "fleet")
	if err != nil {
		return fail(err)
	}
	defer done()
	f := fleet{Apps: apps, WebhookURL: e.hookURL}
	repo, _, err := newGitRepo(ctx, filepath.Join(e.dir, "fleet-repo"), f.files("1.0"))
	if err != nil {
		return fail(err)
	}
	s, err := startSluice(sluiceOptions{binary: e.sluice, repoURL: repo.url(), kubeconfig: e.pg.ControlPlane.Kubeconfig,
		namespace: ns, prometheusURL: e.pg.Prometheus.URL, dir: e.dir, owner: "scale-fleet", interval: 2 * time.Second})
	if err != nil {
		return fail(err)
	}
	defer s.stop()
	installStart := time.Now()
	if err := e.waitCanaries(ctx, ns, s, installed(apps)); err != nil {
		return fail(fmt.Errorf("1.0 not installed: %w", err))
	}
	installTook := time.Since(installStart)
	// The second app: rollouts that start in name order reach it early.
	hung := appName(1)
	e.hooks.hangCalls(ns + "/" + hung)
	before, err := readRequestCounts(ctx, e.pg.ControlPlane.Config)
	if err != nil {
		return fail(err)
	}
	sha, err := repo.commit(ctx, "2.0 of all", f.files("2.0"))
	if err != nil {
		return fail(err)
	}
	committed := time.Now()
	// Past the row's deadline the figures are taken over the steps seen so
	// far, and say so.
	var unfinished error
	if err := e.waitCanaries(ctx, ns, s, promoted(sha, hung)); err != nil {
		if ctx.Err() == nil {
			return fail(fmt.Errorf("2.0 not promoted: %w", err))
		}
		unfinished = err
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
	}
	took := time.Since(committed)
	after, err := readRequestCounts(ctx, e.pg.ControlPlane.Config)
	if err != nil {
		return fail(err)
	}
	rss, err := peakRSS(s.pid())
	if err != nil {
		return fail(err)
	}
	list, err := e.canaries(ctx, ns)
	if err != nil {
		return fail(err)
	}
	events, err := e.sluiceEvents(ctx, ns, committed)
	if err != nil {
		return fail(err)
	}
	calls := e.hooks.since(ns, committed)
	m := measureFleet(calls, ns+"/"+hung, e.hooks.hangPeriods(), after.since(before), events)
	notPromoted := 0
	var hungPhase v1alpha1.CanaryPhase
	for _, c := range list {
		if c.Name == hung {
			hungPhase = c.Status.Phase
		} else if c.Status.LastPromotedCommit != sha {
			notPromoted++
		}
	}
	row4, row5 := m.row4(w4, apps, notPromoted, installTook, took, rss), m.row5(w5, hung, hungPhase)
	if unfinished != nil {
		prefix := fmt.Sprintf("NOT all promoted within the row's deadline (%s after the commit: %s); over the %d steps seen: ", took.Round(time.Second), unfinished, m.steps)
		row4.Measured, row4.Met = prefix+row4.Measured, "no"
		row5.Measured = "within row 4's unfinished run: " + row5.Measured
	}
	return []result{row4, row5}
}

// fleetMeasures are what rows 4 and 5 derive from the webhook's calls and
// the API server's counters.
type fleetMeasures struct {
	steps int
	// late is the lateness of every step of the Canaries other than the
	// hung one; lateDuring those of steps whose wait overlapped a hanging
	// call, lateOutside the others.
	late, lateDuring, lateOutside []time.Duration
	// requests are the API requests of the rollout but the control
	// plane's; sluiceEvents the Events sluice created meanwhile (Events
	// of the controllers and the scheduler are in requests too).
	requests     requestCounts
	sluiceEvents int
	hangs        int
}

// sluiceWrites are sluice's writes: every write but the dry runs and
// the Events, plus sluice's own Events.
func (m fleetMeasures) sluiceWrites() float64 {
	return m.requests.total(func(verb, resource string) bool {
		return isWrite(verb) && !isDryRun(resource) && resource != "events"
	}) + float64(m.sluiceEvents)
}

// dryRuns are the dry-run writes.
func (m fleetMeasures) dryRuns() float64 {
	return m.requests.total(func(verb, resource string) bool { return isWrite(verb) && isDryRun(resource) })
}

// measureFleet computes rows 4 and 5's figures: calls are the webhook's
// calls by Canary, hung the Canary whose calls hung in periods, delta the
// API requests of the rollout, sluiceEvents the Events sluice created.
func measureFleet(calls map[string][]time.Time, hung string, periods [][2]time.Time, delta requestCounts, sluiceEvents int) fleetMeasures {
	m := fleetMeasures{requests: requestCounts{}, hangs: len(periods), sluiceEvents: sluiceEvents}
	for key, times := range calls {
		m.steps += len(times)
		if key == hung {
			continue
		}
		late := lateness(times, fleetInterval)
		m.late = append(m.late, late...)
		sorted := sortedTimes(times)
		for i, l := range late {
			if overlaps(sorted[i], sorted[i+1], periods) {
				m.lateDuring = append(m.lateDuring, l)
			} else {
				m.lateOutside = append(m.lateOutside, l)
			}
		}
	}
	for key, n := range delta {
		if _, resource := splitKey(key); !byControlPlane(resource) {
			m.requests[key] = n
		}
	}
	return m
}

func (m fleetMeasures) row4(what string, apps, notPromoted int, installTook, took time.Duration, rss int64) result {
	if m.steps == 0 {
		return notMeasured(4, what, target4, fmt.Errorf("the webhook was never called"))
	}
	p50, p99, worst := percentile(m.late, 50), percentile(m.late, 99), percentile(m.late, 100)
	steps := float64(m.steps)
	writes := m.sluiceWrites()
	sluiceOnly := func(verb, resource string) bool {
		return isWrite(verb) && !isDryRun(resource) && resource != "events"
	}
	reads := func(verb, _ string) bool { return !isWrite(verb) && verb != "WATCH" }
	measured := fmt.Sprintf("lateness p50 %s, p99 %s, max %s; %.2f API writes per step (%d steps; per step: Events %.2f, %s; dry runs besides: %.2f; reads: %.2f, %s); peak RSS %s; promoted %s after the commit (1.0 installed in %s)",
		ms(p50), ms(p99), ms(worst), writes/steps, m.steps, float64(m.sluiceEvents)/steps, m.requests.top(5, steps, sluiceOnly), m.dryRuns()/steps,
		m.requests.total(reads)/steps, m.requests.top(6, steps, reads),
		mib(rss), took.Round(time.Second), installTook.Round(time.Second))
	if notPromoted > 0 {
		measured += fmt.Sprintf("; %d of %d not promoted", notPromoted, apps-1)
	}
	ok := p99 <= time.Second && writes/steps <= 2 && rss < 200<<20 && notPromoted == 0
	return result{Row: 4, What: what, Target: target4, Measured: measured, Met: metText(ok)}
}

func (m fleetMeasures) row5(what, hung string, hungPhase v1alpha1.CanaryPhase) result {
	if m.hangs == 0 || len(m.lateDuring) == 0 {
		return notMeasured(5, what, target5, fmt.Errorf("no step of another Canary waited while %s's webhook hung (%d hanging calls)", hung, m.hangs))
	}
	during, outside := percentile(m.lateDuring, 99), percentile(m.lateOutside, 99)
	measured := fmt.Sprintf("%d hanging calls of %s (then %s); other Canaries' steps while one hung: p99 %s, max %s (%d steps); otherwise p99 %s, max %s",
		m.hangs, hung, hungPhase, ms(during), ms(percentile(m.lateDuring, 100)), len(m.lateDuring), ms(outside), ms(percentile(m.lateOutside, 100)))
	return result{Row: 5, What: what, Target: target5, Measured: measured, Met: metText(during <= outside+100*time.Millisecond)}
}

// overlaps reports whether [from, to] meets any of periods.
func overlaps(from, to time.Time, periods [][2]time.Time) bool {
	for _, p := range periods {
		if !p[1].Before(from) && !p[0].After(to) {
			return true
		}
	}
	return false
}
