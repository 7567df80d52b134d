package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// idleRow measures row 3: the API requests of sluice's idle syncs of a
// repository of apps ConfigMaps, from the API server's own counters.
func idleRow(ctx context.Context, e *env, apps int) result {
	what := fmt.Sprintf("idle drift check of %d applied objects (ConfigMaps, `sluice run --interval 2s --prune`)", apps)
	const target = "0 API requests per idle sync for the objects"
	fail := func(err error) result { return notMeasured(3, what, target, err) }
	ns, done, err := e.namespace(ctx, "idle")
	if err != nil {
		return fail(err)
	}
	defer done()
	repo, _, err := newGitRepo(ctx, filepath.Join(e.dir, "idle-repo"), configMapFiles(apps))
	if err != nil {
		return fail(err)
	}
	s, err := startSluice(sluiceOptions{binary: e.sluice, repoURL: repo.url(), kubeconfig: e.pg.ControlPlane.Kubeconfig,
		namespace: ns, prometheusURL: e.pg.Prometheus.URL, dir: e.dir, owner: "scale-idle", interval: 2 * time.Second})
	if err != nil {
		return fail(err)
	}
	defer s.stop()
	if err := e.waitConfigMaps(ctx, ns, apps, s); err != nil {
		return fail(fmt.Errorf("the ConfigMaps were not applied: %w", err))
	}
	// Let the sync that applied them and the informers settle.
	time.Sleep(10 * time.Second)
	first, err := idleWindow(ctx, e, s)
	if err != nil {
		return fail(err)
	}
	measured, met := first.String(), first.perSync() <= inventoryReads
	if !met {
		// Say whether the checks die out: a second window a minute later.
		time.Sleep(time.Minute)
		later, err := idleWindow(ctx, e, s)
		if err != nil {
			return fail(err)
		}
		measured = "10 s after the apply: " + measured + "; 90 s later: " + later.String()
		met = later.perSync() <= inventoryReads
	}
	return result{Row: 3, What: what, Target: target, Measured: measured, Met: metText(met)}
}

// idleRequests are the API requests of sluice's idle syncs in a window.
type idleRequests struct {
	delta  requestCounts
	syncs  float64
	window time.Duration
}

// idleWindow counts the API requests and sluice's syncs in 30 s.
func idleWindow(ctx context.Context, e *env, s *sluiceRun) (idleRequests, error) {
	const window = 30 * time.Second
	before, err := readRequestCounts(ctx, e.pg.ControlPlane.Config)
	if err != nil {
		return idleRequests{}, err
	}
	syncsBefore, err := s.syncs(ctx)
	if err != nil {
		return idleRequests{}, err
	}
	time.Sleep(window)
	after, err := readRequestCounts(ctx, e.pg.ControlPlane.Config)
	if err != nil {
		return idleRequests{}, err
	}
	syncsAfter, err := s.syncs(ctx)
	if err != nil {
		return idleRequests{}, err
	}
	if syncsAfter == syncsBefore {
		return idleRequests{}, fmt.Errorf("no sync finished in %s; log tail:\n%s", window, s.tail(5))
	}
	return idleRequests{delta: after.since(before), syncs: float64(syncsAfter - syncsBefore), window: window}, nil
}

// perSync are the requests on configmaps per sync.
func (r idleRequests) perSync() float64 {
	return r.delta.total(func(_, resource string) bool { return resource == "configmaps" || resource == "configmaps"+dryRunMark }) / r.syncs
}

// String says what the requests were: on the objects' kind, and all of
// sluice's. The inventory is itself a ConfigMap, read twice a sync
// (ReadInventory, and WriteInventory's check that it changed): those two
// requests do not grow with the objects, a drift check of the objects
// would.
func (r idleRequests) String() string {
	notControlPlane := func(_, resource string) bool { return !byControlPlane(resource) }
	return fmt.Sprintf("%.2f requests per idle sync on configmaps, %.0f of them the inventory's GETs (%.0f syncs in %s; every request per sync but the control plane's: %.2f: %s)",
		r.perSync(), min(r.perSync(), inventoryReads), r.syncs, r.window, r.delta.total(notControlPlane)/r.syncs, r.delta.top(5, r.syncs, notControlPlane))
}

// inventoryReads are the GETs of the inventory ConfigMap in every sync.
const inventoryReads = 2

// waitConfigMaps polls ns until it holds n ConfigMaps named cm-*.
func (e *env) waitConfigMaps(ctx context.Context, ns string, n int, s *sluiceRun) error {
	for {
		if err := s.alive(); err != nil {
			return err
		}
		var list corev1.ConfigMapList
		if err := e.client.List(ctx, &list, client.InNamespace(ns)); err == nil {
			count := 0
			for _, cm := range list.Items {
				if strings.HasPrefix(cm.Name, "cm-") {
					count++
				}
			}
			if count == n {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; log tail:\n%s", ctx.Err(), s.tail(5))
		case <-time.After(2 * time.Second):
		}
	}
}
