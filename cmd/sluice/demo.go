package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/playground/demo"
)

func newDemoCommand() *cobra.Command {
	var opts demo.Options
	var sluiceLog string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Play the seed story on the embedded playground: install, promote, roll back, revert, retry",
		Long: `Bring up the playground (a Kubernetes control plane with fake nodes,
Prometheus, a gateway that routes by HTTPRoute weights to real processes of
the demo app "detail", a load tester, and a GitHub emulator holding the
app's repository), start "sluice run" against it, and play the story of a
canary rollout with short intervals, in a few minutes:

  1. Git holds detail 1.0: sluice installs it;
  2. a pull request to 2.0 is merged: promoted through 5/10/15 %, the merge
     commit's status goes from pending to success;
  3. a pull request to 3.0 is merged and the canary is made to fail: halted
     at 5 %, rolled back, status failure, a revert pull request is opened;
  4. the revert pull request is merged: Git says 2.0 again, nothing rolls
     out, status success;
  5. 3.0 is retried without the fault (an annotation change in the pod
     template): promoted through 5/10/15/20 %.

It narrates each step, streams sluice's messages, shows the canary weight
and the commit status as they change, and prints the commands to run
meanwhile (kubectl, curl). It exits 0 when the story went as told, non-zero
with the reason otherwise. Ctrl-C stops everything; --keep leaves
everything up at the end until Ctrl-C, still streaming sluice's messages.
The summary says how long the story took and, apart, how long bringing up
the playground took.

--story compare plays another story instead, where the Canary judges the
canary against the primary (metrics[].compare) rather than by fixed
thresholds alone:

  1. Git holds detail 1.0: sluice installs it;
  2. slow: a pull request to 2.0 is merged, which the playground runs
     slow from its start (a tenth of its answers wait 200 ms more); its
     p99 (about 235 ms) passes
     the 500 ms threshold, but the comparison with the primary fails it:
     rolled back, with "p99 latency of canary … vs primary …" as reason;
  3. shared-fault: 5 % of the primary's answers fail, a pull request to
     3.0 is merged and 5 % of the canary's fail too; a 99 % success-rate
     threshold would roll it back, the comparison promotes it.

The first run builds the playground's binaries from the Go module proxy
(about 30 minutes on 2 cores); later runs start in seconds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("demo: locate the sluice binary: %w", err)
			}
			opts.Sluice = self
			opts.Out = cmd.OutOrStdout()
			if sluiceLog != "" {
				f, err := os.Create(sluiceLog)
				if err != nil {
					return fmt.Errorf("demo: --sluice-log: %w", err)
				}
				defer f.Close()
				opts.SluiceLog = f
			}
			ctx := cmd.Context()
			_, err = demo.Run(ctx, opts)
			// Whatever step Ctrl-C cut short, say so rather than how.
			if err != nil && ctx.Err() != nil {
				return errors.New("demo: interrupted; everything it started was stopped")
			}
			return err
		},
	}
	cmd.Flags().StringVar(&opts.Story, "story", demo.StorySeed, "the story to play: "+strings.Join(demo.Stories, " or "))
	cmd.Flags().BoolVar(&opts.Keep, "keep", false, "leave everything up once the story is over, streaming sluice's messages, until Ctrl-C")
	cmd.Flags().StringVar(&sluiceLog, "sluice-log", "", "write the JSON log of sluice run to this file")
	cmd.Flags().DurationVar(&opts.StepTimeout, "step-timeout", 3*time.Minute, "give up when a step of the story takes longer")
	cmd.Flags().StringVar(&opts.CacheDir, "cache-dir", "", "where the playground's binaries are built and kept (default $SLUICE_CACHE, else the user cache directory + /sluice)")
	return cmd
}
