package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/reconciler"
)

func newRunCommand() *cobra.Command {
	var flags syncFlags
	var branch string
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Keep the cluster converged to a Git branch",
		Long: `Poll a branch of a Git repository, render its manifests with kustomize and
server-side apply them. Every Canary target gets a primary from the first
revision seen; later revisions of a target are recorded on the Canary as
pending rollouts. Every flag can also be set with SLUICE_<FLAG>, e.g.
SLUICE_REPO, SLUICE_TOKEN_FILE.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := envDefaults(cmd); err != nil {
				return err
			}
			log := newLogger()
			source, err := flags.source(branch)
			if err != nil {
				return err
			}
			rec, c, err := flags.reconciler(source, reconciler.Options{Interval: interval, Log: log})
			if err != nil {
				return err
			}
			if err := reconciler.EnsureCRD(cmd.Context(), c); err != nil {
				return err
			}
			log.Info(fmt.Sprintf("Watching %s branch %s every %s", source.URL(), branch, interval))
			return rec.Run(cmd.Context())
		},
	}
	flags.register(cmd.Flags())
	cmd.Flags().StringVar(&branch, "branch", "main", "branch to sync")
	cmd.Flags().DurationVar(&interval, "interval", 30*time.Second, "how often to poll the branch (and correct drift)")
	return cmd
}
