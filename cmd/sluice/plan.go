package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/reconciler"
)

// errChanges makes `sluice plan` exit with code 2: the plan would change
// something.
var errChanges = errors.New("the plan would change the cluster")

func newPlanCommand() *cobra.Command {
	var flags syncFlags
	var ref, shardKey string
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Preview what run would do for a revision, changing nothing",
		Long: `Render a revision (a branch, tag or commit) and print what sluice run would do:
the objects it would create, update or prune, with a short diff, and for each
Canary whether a rollout would start and its steps. Nothing is written.

Exit code: 0 when nothing would change, 2 when something would, 1 on error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := envDefaults(cmd); err != nil {
				return err
			}
			source, cleanup, err := flags.source(ref)
			if err != nil {
				return err
			}
			defer cleanup()
			var opts reconciler.Options
			flags.useShard(cmd, shardKey, &opts)
			rec, _, err := flags.reconciler(source, opts)
			if err != nil {
				return err
			}
			defer flags.closeWatches()
			co, err := source.Checkout(cmd.Context(), ref)
			if err != nil {
				return err
			}
			plan, err := rec.Plan(cmd.Context(), co)
			if err != nil {
				return err
			}
			if err := plan.Format(cmd.OutOrStdout()); err != nil {
				return err
			}
			if plan.Changed() {
				return errChanges
			}
			return nil
		},
	}
	flags.register(cmd.Flags())
	cmd.Flags().StringVar(&ref, "ref", "main", "branch, tag or commit SHA to plan")
	cmd.Flags().StringVar(&shardKey, "shard-key", "", shardFlagUsage)
	return cmd
}
