package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/analysis"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/reconciler"
)

func newRunCommand() *cobra.Command {
	var flags syncFlags
	var branch string
	var interval time.Duration
	var prometheusURL string
	var metricsAddr string
	var webhookAddr, webhookSecretFile string
	var gitTimeout, forgeTimeout, healthzStall, renderTimeout time.Duration
	var workers int
	var shardKey string
	var webhookAllow []string
	var election leaderElectionFlags
	var forgeOpts forgeFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Keep the cluster converged to a Git branch",
		Long: `Poll a branch of a Git repository, render its manifests with kustomize and
server-side apply them. Every Canary target gets a primary from the first
revision seen; a later revision of a target is rolled out progressively:
the canary gets traffic in weight steps, each gated on the Canary's metrics
(queried from --prometheus-url) and webhooks, then is promoted or rolled
back. Without --prometheus-url metrics cannot be checked: every metric check
is an error that holds the analysis and, after analysis.maxErrors of them,
rolls it back (a check that cannot be evaluated never passes). Every flag
can also be set with SLUICE_<FLAG>, e.g.
SLUICE_REPO, SLUICE_TOKEN_FILE.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := envDefaults(cmd); err != nil {
				return err
			}
			log := newLogger()
			logEffectiveConfig(log, cmd.Flags())
			if prometheusURL != "" {
				if _, err := analysis.NewChecker(analysis.CheckerOptions{Address: prometheusURL}); err != nil {
					return fmt.Errorf("--prometheus-url: %w", err)
				}
			}
			flags.app.apiURL = forgeOpts.apiURL
			source, cleanup, err := flags.source(branch)
			if err != nil {
				return err
			}
			defer cleanup()
			fg, commitURL, err := forgeOpts.forge(&flags)
			if err != nil {
				return err
			}
			checks, _ := forgeOpts.checks() // checked by forge
			opts := reconciler.Options{Interval: interval, Log: log, PrometheusURL: prometheusURL, Forge: fg, CommitURL: commitURL, StatusURL: forgeOpts.statusURL, CommitChecks: checks,
				GitTimeout: gitTimeout, ForgeTimeout: forgeTimeout, Workers: workers, RenderTimeout: renderTimeout}
			opts.Webhooks.Allow = webhookAllow
			if _, err := analysis.NewWebhooks(opts.Webhooks); err != nil {
				return fmt.Errorf("--webhook-allow: %w", err)
			}
			p := &probes{}
			if metricsAddr != "" {
				ctx, stop := context.WithCancel(cmd.Context())
				reg, _, stopped, err := metricsServer(ctx, metricsAddr, log, p)
				if err != nil {
					stop()
					return err
				}
				defer stopped()
				defer stop()
				opts.Metrics = reg
			}
			// A shard has its own inventory and Lease unless told otherwise.
			flags.useShard(cmd, shardKey, &opts)
			if shardKey != "" && !cmd.Flags().Changed("leader-election-id") {
				election.name += "-" + shardKey
			}
			rec, c, err := flags.reconciler(source, opts)
			if err != nil {
				return err
			}
			defer flags.closeWatches()
			maxStall := healthzStall
			if maxStall == 0 {
				maxStall = max(5*interval, 2*gitTimeout+interval)
			}
			p.health = func() error { return rec.Health(time.Now(), maxStall) }
			p.ready = rec.Ready
			if webhookAddr != "" {
				secret, err := readWebhookSecret(webhookSecretFile)
				if err != nil {
					return err
				}
				ctx, stop := context.WithCancel(cmd.Context())
				hook := &pushHook{secret: secret, branch: branch, repoURL: flags.repo, trigger: rec.Trigger, log: log}
				_, stopped, err := webhookServer(ctx, webhookAddr, log, hook)
				if err != nil {
					stop()
					return err
				}
				defer stopped()
				defer stop()
			}
			if err := reconciler.EnsureCRD(cmd.Context(), c); err != nil {
				return err
			}
			if reads, ok := c.(*applier.CachedReads); ok {
				// A manual request (sluice promote, abort, pause, resume)
				// is carried out when the watch sees it, not at the
				// Canary's next scheduled step.
				reads.NotifyCanaryChanges(rec.CanaryChanged)
				if err := reads.Start(cmd.Context(), time.Minute); err != nil {
					log.Warn(err.Error())
				} else {
					defer reads.Stop()
				}
			}
			log.Info(fmt.Sprintf("Watching %s branch %s every %s", source.URL(), branch, interval))
			if !election.enabled {
				return rec.Run(cmd.Context())
			}
			le, err := election.options()
			if err != nil {
				return err
			}
			kube, err := flags.kube()
			if err != nil {
				return err
			}
			return rec.RunElected(cmd.Context(), kube, le)
		},
	}
	flags.register(cmd.Flags())
	cmd.Flags().StringVar(&branch, "branch", "main", "branch to sync")
	cmd.Flags().DurationVar(&interval, "interval", 30*time.Second, "how often to poll the branch (and correct drift)")
	election.register(cmd.Flags())
	cmd.Flags().BoolVar(&flags.cacheReads, "cache-reads", true, "read Canaries, Deployments, DaemonSets and Services from watches instead of asking the API server at every sync and rollout step (needs list and watch on them)")
	forgeOpts.register(cmd.Flags())
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "", `address to serve Prometheus metrics (/metrics), liveness (/healthz) and readiness (/readyz) on, e.g. ":8080"; empty serves none`)
	cmd.Flags().StringVar(&webhookAddr, "webhook-addr", "", `address to serve GitHub push webhooks on (POST /hooks/github), e.g. ":9292": a signed push to --branch polls at once instead of at the next --interval; empty serves none`)
	cmd.Flags().StringVar(&webhookSecretFile, "webhook-secret-file", "", "file holding the secret of the GitHub webhook, which signs every delivery (X-Hub-Signature-256); required with --webhook-addr")
	cmd.Flags().DurationVar(&gitTimeout, "git-timeout", reconciler.DefaultGitTimeout, "deadline of each call to the Git remote (a poll, a revert's fetch or push)")
	cmd.Flags().DurationVar(&forgeTimeout, "forge-timeout", reconciler.DefaultForgeTimeout, "deadline of each call to the forge (a commit status, a pull request), retries included")
	cmd.Flags().StringSliceVar(&webhookAllow, "webhook-allow", nil, "host names and networks (CIDRs) Canary webhooks may reach; empty allows any address but link-local ones (cloud metadata), which only a listed network allows")
	cmd.Flags().DurationVar(&renderTimeout, "render-timeout", manifests.DefaultRenderTimeout, "deadline of rendering a commit; a commit that takes longer is refused")
	cmd.Flags().StringVar(&shardKey, "shard-key", "", shardFlagUsage)
	cmd.Flags().IntVar(&workers, "workers", reconciler.DefaultWorkers, "rollout steps taken at once, each Canary's on its own, so that one that waits delays no other")
	cmd.Flags().DurationVar(&healthzStall, "healthz-stall", 0, "/healthz fails when the sync loop has not finished a turn for this long (default: 5 × --interval, at least 2 × --git-timeout + --interval)")
	cmd.Flags().StringVar(&prometheusURL, "prometheus-url", "", "base URL of the Prometheus HTTP API the metric checks query, e.g. http://prometheus.monitoring:9090; without it every metric check is an error that holds the analysis")
	groupFlagsInHelp(cmd, runFlagGroups)
	return cmd
}
