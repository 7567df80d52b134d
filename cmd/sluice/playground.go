package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/playground"
)

func newPlaygroundCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "playground",
		Short: "Run the local sandbox: Kubernetes control plane with fake nodes, and Prometheus",
	}
	cmd.AddCommand(newPlaygroundUpCommand(), newPlaygroundBuildCommand())
	return cmd
}

func newPlaygroundUpCommand() *cobra.Command {
	var opts playground.Options
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the playground and keep it up until interrupted",
		Long: `Start etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok
(fake nodes whose pods become Ready) and Prometheus on loopback ports, print
the kubeconfig path and the Prometheus URL, and keep them up until Ctrl-C,
which stops everything and removes the playground's directory.

The binaries are built from the Go module proxy the first time, into
$SLUICE_CACHE (default: the user cache directory + /sluice). The first build
takes several minutes; later starts take seconds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			opts.Log = newLogger()
			pg, err := playground.Start(ctx, opts)
			if err != nil {
				return err
			}
			defer pg.Stop()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "kubeconfig: %s\n", pg.ControlPlane.Kubeconfig)
			fmt.Fprintf(out, "prometheus: %s\n", pg.Prometheus.URL)
			fmt.Fprintf(out, "kubectl:    %s\n", pg.Tools.Path(playground.Kubectl))
			fmt.Fprintf(out, "\nTry: %s --kubeconfig %s get nodes\nPress Ctrl-C to stop.\n",
				pg.Tools.Path(playground.Kubectl), pg.ControlPlane.Kubeconfig)
			<-ctx.Done()
			fmt.Fprintln(out, "Stopping the playground")
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.CacheDir, "cache-dir", "", "where the playground's binaries are built and kept (default $SLUICE_CACHE, else the user cache directory + /sluice)")
	cmd.Flags().IntVar(&opts.Nodes, "nodes", 1, "number of fake nodes")
	cmd.Flags().DurationVar(&opts.ScrapeInterval, "scrape-interval", time.Second, "Prometheus scrape interval")
	return cmd
}

func newPlaygroundBuildCommand() *cobra.Command {
	var opts playground.ToolchainOptions
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build the playground's binaries into the cache, if missing, and print where they are",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Log = newLogger()
			tools, err := playground.EnsureToolchain(cmd.Context(), opts)
			if err != nil {
				return err
			}
			for _, name := range []string{playground.Etcd, playground.KubeAPIServer, playground.KubeControllerManager,
				playground.KubeScheduler, playground.Kubectl, playground.Kwok, playground.Prometheus} {
				fmt.Fprintf(cmd.OutOrStdout(), "%-24s %s\n", name, tools.Path(name))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.CacheDir, "cache-dir", "", "where the playground's binaries are built and kept (default $SLUICE_CACHE, else the user cache directory + /sluice)")
	return cmd
}
