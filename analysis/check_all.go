package analysis

import (
	"context"
	"sync"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// CheckAll checks every metric of a Canary's analysis, concurrently, and
// returns their results in the order of spec.analysis.metrics with the
// verdict of the step (see Summarize). A Canary without metrics passes.
// Like Check, it never fails: errors are results. templates resolves the
// metrics' templateRefs (see Check).
func (c *Checker) CheckAll(ctx context.Context, canary *v1alpha1.Canary, templates TemplateLookup) ([]Result, Verdict) {
	metrics := canary.Spec.Analysis.Metrics
	results := make([]Result, len(metrics))
	var wg sync.WaitGroup
	for i, metric := range metrics {
		wg.Go(func() { results[i] = c.Check(ctx, canary, metric, templates) })
	}
	wg.Wait()
	return results, Summarize(results)
}
