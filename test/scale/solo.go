package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// soloRow measures row 6: what one Canary costs sluice, idle and for one
// promotion, next to Flagger's figures from issue 17.
func soloRow(ctx context.Context, e *env) result {
	const what = "cost of one Canary next to Flagger (`sluice run --interval 2s`): idle CPU, CPU of one promotion, peak RSS"
	const target = "Flagger: 0.05 CPU-s/min idle, 0.10 CPU-s per promotion, 56 MiB; sluice before: 0.61, 0.30, 89 MiB"
	fail := func(err error) result { return notMeasured(6, what, target, err) }
	ns, done, err := e.namespace(ctx, "solo")
	if err != nil {
		return fail(err)
	}
	defer done()
	f := fleet{Apps: 1, WebhookURL: e.hookURL}
	repo, _, err := newGitRepo(ctx, filepath.Join(e.dir, "solo-repo"), f.files("1.0"))
	if err != nil {
		return fail(err)
	}
	s, err := startSluice(sluiceOptions{binary: e.sluice, repoURL: repo.url(), kubeconfig: e.pg.ControlPlane.Kubeconfig,
		namespace: ns, prometheusURL: e.pg.Prometheus.URL, dir: e.dir, owner: "scale-solo", interval: 2 * time.Second})
	if err != nil {
		return fail(err)
	}
	defer s.stop()
	if err := e.waitCanaries(ctx, ns, s, installed(1)); err != nil {
		return fail(fmt.Errorf("not installed: %w", err))
	}
	time.Sleep(5 * time.Second)
	const idleWindow = time.Minute
	idleStart, err := cpuSeconds(s.pid())
	if err != nil {
		return fail(err)
	}
	time.Sleep(idleWindow)
	idleEnd, err := cpuSeconds(s.pid())
	if err != nil {
		return fail(err)
	}
	sha, err := repo.commit(ctx, "2.0", f.files("2.0"))
	if err != nil {
		return fail(err)
	}
	committed := time.Now()
	if err := e.waitCanaries(ctx, ns, s, promoted(sha, "")); err != nil {
		return fail(fmt.Errorf("not promoted: %w", err))
	}
	took := time.Since(committed)
	promotionEnd, err := cpuSeconds(s.pid())
	if err != nil {
		return fail(err)
	}
	rss, err := peakRSS(s.pid())
	if err != nil {
		return fail(err)
	}
	idlePerMinute := (idleEnd - idleStart) / idleWindow.Minutes()
	promotion := promotionEnd - idleEnd
	measured := fmt.Sprintf("idle %.2f CPU-s/min, promotion %.2f CPU-s (commit → promoted in %s, %d steps of 10 s), peak RSS %s",
		idlePerMinute, promotion, took.Round(time.Second), fleetIterations, mib(rss))
	ok := idlePerMinute <= 0.05 && promotion <= 0.10 && rss <= 56<<20
	return result{Row: 6, What: what, Target: target, Measured: measured, Met: metText(ok) + " (vs Flagger)"}
}

// installed says whether all n Canaries are installed: Initialized, or
// Succeeded.
func installed(n int) func([]v1alpha1.Canary) (bool, string) {
	return func(list []v1alpha1.Canary) (bool, string) {
		ready := 0
		for _, c := range list {
			if c.Status.Phase == v1alpha1.PhaseInitialized || c.Status.Phase == v1alpha1.PhaseSucceeded {
				ready++
			}
		}
		return len(list) == n && ready == n, fmt.Sprintf("%d of %d Canaries installed (%d seen)", ready, n, len(list))
	}
}

// promoted says whether every Canary but except (a name, or "") has
// promoted commit sha.
func promoted(sha, except string) func([]v1alpha1.Canary) (bool, string) {
	return func(list []v1alpha1.Canary) (bool, string) {
		done, failed, want := 0, 0, 0
		for _, c := range list {
			if c.Name == except {
				continue
			}
			want++
			switch {
			case c.Status.LastPromotedCommit == sha && c.Status.Phase == v1alpha1.PhaseSucceeded:
				done++
			case c.Status.Phase == v1alpha1.PhaseFailed:
				failed++
			}
		}
		return want > 0 && done+failed == want, fmt.Sprintf("%d of %d promoted, %d failed", done, want, failed)
	}
}
