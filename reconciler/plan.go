package reconciler

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/planner"
)

// Plan is what syncing a checkout would do, computed without writing.
type Plan struct {
	// Commit is the commit planned.
	Commit string
	// Objects are the objects Git defines, with what applying would do.
	Objects []applier.Diff
	// Prune lists the objects sluice owns that left Git ("group/version/Kind/namespace/name"),
	// deleted only when pruning is on.
	Prune applier.Inventory
	// Canaries says, per Canary, what would happen to its target.
	Canaries []CanaryPlan
}

// CanaryPlan is what a sync would do to one Canary target.
type CanaryPlan struct {
	Name, Namespace string
	// Action is "install" (first sight: primary created, no analysis),
	// "rollout" (a new revision: a progressive rollout would start),
	// "in-flight" (a rollout is under way; a sync leaves it to the
	// rollout), "failed" (the revision failed its last rollout: a retry
	// needs a new revision), "suspended" (spec.suspend: nothing of its
	// target is applied and no rollout step is taken) or "none".
	Action string
	// Phase and Weight are the live phase and canary weight.
	Phase  v1alpha1.CanaryPhase
	Weight int32
	// Revision is the target's revision in the planned commit.
	Revision string
	// Steps are the canary weights of a rollout, in order.
	Steps []int32
	// Interval is the time between steps.
	Interval string
	// Metrics are the checks of each step.
	Metrics []string
}

// Changed reports whether syncing would change anything in the cluster.
func (p Plan) Changed() bool {
	for _, d := range p.Objects {
		if d.Action != applier.Unchanged {
			return true
		}
	}
	for _, c := range p.Canaries {
		if c.Action == "install" || c.Action == "rollout" {
			return true
		}
	}
	return len(p.Prune) > 0
}

// Plan renders the checkout and reports what Sync would do, writing nothing:
// render → observe → plan → dry-run.
func (r *Reconciler) Plan(ctx context.Context, co gitsync.Checkout) (Plan, error) {
	plan := Plan{Commit: co.Commit}
	opts := r.opts.Render
	if opts.SecretKey == nil {
		// The key run uses, if it made one: the same revisions. A
		// cluster sluice cannot read (plan before any run) has none.
		opts.SecretKey, _ = r.applier.HashKey(ctx, false)
	}
	rendering, err := manifests.RenderWithin(r.opts.RenderTimeout, co.Dir, r.opts.Path, opts)
	// Shard: the plan of this shard's part, as run acts on it.
	var others *manifests.Rendering
	if err == nil {
		rendering, others, err = splitShard(rendering, r.opts.Shard)
	}
	if err == nil {
		err = r.checkScope(rendering)
	}
	if err != nil {
		return plan, fmt.Errorf("commit %s: %w", short(co.Commit), err)
	}
	observations, err := r.observe(ctx, rendering, co.Commit)
	if err != nil {
		return plan, err
	}
	decisions := make([]planner.SyncDecision, len(observations))
	for i, obs := range observations {
		decisions[i] = planner.DecideSync(obs)
		plan.Canaries = append(plan.Canaries, canaryPlan(rendering.Canaries[i], obs, decisions[i]))
	}
	live, err := r.liveReplicas(ctx, rendering)
	if err != nil {
		return plan, err
	}
	desired, err := desiredState(rendering, decisions, nil, live)
	if err != nil {
		return plan, err
	}
	if plan.Objects, err = r.applier.Diff(ctx, desired.objects); err != nil {
		return plan, err
	}
	previous, err := r.applier.ReadInventory(ctx)
	if err != nil {
		return plan, err
	}
	moved, err := r.otherShards(ctx, others, previous) // handed over, not pruned
	if err != nil {
		return plan, err
	}
	plan.Prune = previous.Minus(moved).Minus(desired.inventory)
	return plan, nil
}

// canaryPlan describes the decision for one Canary.
func canaryPlan(canary *v1alpha1.Canary, obs planner.SyncObservation, decision planner.SyncDecision) CanaryPlan {
	cp := CanaryPlan{Name: canary.Name, Namespace: canary.Namespace, Revision: obs.Revision, Action: "none",
		Steps: canary.Spec.Analysis.Steps(), Interval: canary.Spec.Analysis.Interval,
		Phase: obs.Status.Phase, Weight: obs.Status.CanaryWeight}
	for _, m := range canary.Spec.Analysis.Metrics {
		cp.Metrics = append(cp.Metrics, m.Name)
	}
	switch {
	case decision.Suspended:
		cp.Action = "suspended"
	case obs.Status.LastPromotedRevision == "":
		cp.Action = "install"
	case planner.RolloutOwns(obs.Status.Phase):
		cp.Action = "in-flight"
	case decision.Install:
	case obs.Revision == obs.Status.LastFailedRevision:
		cp.Action = "failed"
	case decision.Status.PendingRevision == obs.Revision:
		cp.Action = "rollout"
	}
	return cp
}

// Format writes the plan for people: one line per object that would
// change with its diff, then one paragraph per Canary.
func (p Plan) Format(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan for commit %s\n\n", short(p.Commit))
	unchanged := 0
	for _, d := range p.Objects {
		if d.Action == applier.Unchanged {
			unchanged++
			continue
		}
		fmt.Fprintf(&b, "  %-10s %s\n", d.Action, d.Subject)
		for _, line := range strings.Split(strings.TrimRight(d.Text, "\n"), "\n") {
			if line != "" {
				fmt.Fprintf(&b, "             %s\n", line)
			}
		}
	}
	for _, entry := range p.Prune {
		fmt.Fprintf(&b, "  %-10s %s (left Git; deleted with --prune)\n", "prune", entry)
	}
	fmt.Fprintf(&b, "  %d unchanged\n", unchanged)
	for _, c := range p.Canaries {
		fmt.Fprintf(&b, "\nCanary %s.%s: ", c.Name, c.Namespace)
		switch c.Action {
		case "install":
			fmt.Fprintf(&b, "install: %s-primary created from revision %s, no analysis\n", c.Name, short(c.Revision))
		case "rollout":
			fmt.Fprintf(&b, "a rollout of revision %s would start\n", short(c.Revision))
			fmt.Fprintf(&b, "  steps:    %s, one every %s\n", formatWeights(c.Steps), c.Interval)
			if len(c.Metrics) > 0 {
				fmt.Fprintf(&b, "  metrics:  %s\n", strings.Join(c.Metrics, ", "))
			}
		case "in-flight":
			fmt.Fprintf(&b, "a rollout is in flight (phase %s, canary weight %d%%); Git asks for revision %s\n", c.Phase, c.Weight, short(c.Revision))
		case "failed":
			fmt.Fprintf(&b, "no rollout (revision %s failed its last rollout; a retry needs a new revision)\n", short(c.Revision))
		case "suspended":
			fmt.Fprintf(&b, "suspended (phase %s, canary weight %d%%): nothing of its target is applied and no rollout step is taken until spec.suspend is false; Git asks for revision %s\n", c.Phase, c.Weight, short(c.Revision))
		default:
			fmt.Fprintf(&b, "no rollout (revision %s is the one the primary runs)\n", short(c.Revision))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatWeights(steps []int32) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = fmt.Sprintf("%d%%", s)
	}
	if len(parts) == 0 {
		return "promote at once"
	}
	return strings.Join(parts, " → ")
}
