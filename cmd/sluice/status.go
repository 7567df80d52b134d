package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/planner"
	"github.com/sluicehq/sluice/reconciler"
)

// statusEvents is how many of a Canary's latest Events status shows.
const statusEvents = 12

func newStatusCommand() *cobra.Command {
	var flags syncFlags
	var namespace string
	var all bool
	cmd := &cobra.Command{
		Use:   "status [CANARY]",
		Short: "Show where the Canaries' rollouts stand",
		Long: `Without an argument, list the Canaries of a namespace (--all-namespaces:
of every namespace) with their phase, canary weight, failed checks, the
commit the primary runs and what is happening. With a Canary's name, show
it in detail: the revisions and commits it runs, is rolling out or last
failed (and why), the open revert pull request, the commit statuses not yet
delivered, its conditions and its latest events.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := envDefaults(cmd); err != nil {
				return err
			}
			config, err := flags.restConfig()
			if err != nil {
				return fmt.Errorf("cluster config: %w", err)
			}
			c, err := client.New(config, client.Options{Scheme: reconciler.Scheme()})
			if err != nil {
				return err
			}
			if namespace == "" {
				namespace = defaultNamespace(flags.kubeconfig)
			}
			ctx := cmd.Context()
			if len(args) == 0 {
				var list v1alpha1.CanaryList
				opts := []client.ListOption{}
				if !all {
					opts = append(opts, client.InNamespace(namespace))
				}
				if err := c.List(ctx, &list, opts...); err != nil {
					return fmt.Errorf("list canaries: %w", err)
				}
				for i := range list.Items {
					list.Items[i].Default() // show the values sluice acts on
				}
				return printCanaries(cmd.OutOrStdout(), list.Items, time.Now())
			}
			var canary v1alpha1.Canary
			if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: args[0]}, &canary); err != nil {
				return fmt.Errorf("canary %s/%s: %w", namespace, args[0], err)
			}
			canary.Default()
			kube, err := kubernetes.NewForConfig(config)
			if err != nil {
				return err
			}
			events, err := canaryEvents(ctx, kube, &canary)
			if err != nil {
				return err
			}
			return printCanary(cmd.OutOrStdout(), &canary, events, time.Now())
		},
	}
	cmd.Flags().StringVar(&flags.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, in-cluster config, ~/.kube/config)")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the Canaries (default: the kubeconfig's, else default)")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list the Canaries of every namespace")
	flags.kubeAPIQPS, flags.kubeAPIBurst = 20, 40
	return cmd
}

// defaultNamespace is the namespace of the kubeconfig's current context,
// else "default".
func defaultNamespace(kubeconfig string) string {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	ns, _, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).Namespace()
	if err != nil || ns == "" {
		return "default"
	}
	return ns
}

// canaryEvents returns the latest Events of canary, oldest first.
func canaryEvents(ctx context.Context, kube kubernetes.Interface, canary *v1alpha1.Canary) ([]corev1.Event, error) {
	selector := fields.Set{"involvedObject.kind": "Canary", "involvedObject.name": canary.Name}.AsSelector().String()
	list, err := kube.CoreV1().Events(canary.Namespace).List(ctx, metav1.ListOptions{FieldSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("events of canary %s/%s: %w", canary.Namespace, canary.Name, err)
	}
	events := list.Items
	slices.SortStableFunc(events, func(a, b corev1.Event) int {
		return cmp.Or(eventTime(a).Compare(eventTime(b)), cmp.Compare(a.Name, b.Name))
	})
	return events[max(0, len(events)-statusEvents):], nil
}

// eventTime is when an Event last happened.
func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	default:
		return e.CreationTimestamp.Time
	}
}

// printCanaries writes one line per Canary.
func printCanaries(out io.Writer, canaries []v1alpha1.Canary, now time.Time) error {
	if len(canaries) == 0 {
		_, err := fmt.Fprintln(out, "No Canaries found.")
		return err
	}
	slices.SortFunc(canaries, func(a, b v1alpha1.Canary) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAMESPACE\tNAME\tPHASE\tWEIGHT\tFAILED CHECKS\tPRIMARY COMMIT\tSINCE\tSTATE")
	for i := range canaries {
		c := &canaries[i]
		st := c.Status
		fmt.Fprintf(w, "%s\t%s\t%s\t%d%%\t%d/%d\t%s\t%s\t%s\n", c.Namespace, c.Name, orDash(string(st.Phase)),
			st.CanaryWeight, st.FailedChecks, c.Spec.Analysis.Threshold, orDash(short(st.LastPromotedCommit)),
			since(st.LastTransitionTime, now), summary(c))
	}
	return w.Flush()
}

// summary says in a few words what a Canary is doing.
func summary(c *v1alpha1.Canary) string {
	st := c.Status
	switch st.Phase {
	case v1alpha1.PhaseFailed:
		s := fmt.Sprintf("rolled back %s: %s", short(st.LastFailedCommit), orDash(st.FailureReason))
		if st.RevertPullRequest > 0 {
			s += fmt.Sprintf("; revert #%d open", st.RevertPullRequest)
		}
		return s
	case v1alpha1.PhaseProgressing, v1alpha1.PhaseWaitingPromotion, v1alpha1.PhasePromoting, v1alpha1.PhaseFinalising:
		if paused := meta.FindStatusCondition(st.Conditions, planner.ConditionPaused); paused != nil && paused.Status == metav1.ConditionTrue {
			return fmt.Sprintf("rolling out %s, %s", short(st.LastAppliedCommit), strings.TrimSuffix(paused.Message, "."))
		}
		return fmt.Sprintf("rolling out %s", short(st.LastAppliedCommit))
	case v1alpha1.PhaseWaiting:
		return fmt.Sprintf("%s waits to roll out", short(st.PendingCommit))
	case v1alpha1.PhaseSucceeded, v1alpha1.PhaseInitialized:
		return "primary runs Git's revision"
	default:
		return "installing"
	}
}

// printCanary writes one Canary in detail.
func printCanary(out io.Writer, c *v1alpha1.Canary, events []corev1.Event, now time.Time) error {
	st := c.Status
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "Canary\t%s/%s (target %s %s, provider %s)\n", c.Namespace, c.Name, c.Spec.TargetRef.Kind, c.Spec.TargetRef.Name, orDash(c.Spec.Provider))
	fmt.Fprintf(w, "Phase\t%s, since %s\n", orDash(string(st.Phase)), since(st.LastTransitionTime, now))
	fmt.Fprintf(w, "Canary weight\t%d%%\n", st.CanaryWeight)
	fmt.Fprintf(w, "Failed checks\t%d of %d (threshold)\n", st.FailedChecks, c.Spec.Analysis.Threshold)
	fmt.Fprintf(w, "Primary runs\t%s\n", revision(st.LastPromotedRevision, st.LastPromotedCommit))
	if st.PendingRevision != "" {
		fmt.Fprintf(w, "Pending\t%s\n", revision(st.PendingRevision, st.PendingCommit))
	}
	if rolling := st.Phase != v1alpha1.PhaseSucceeded && st.Phase != v1alpha1.PhaseFailed && st.LastAppliedRevision != st.LastPromotedRevision; rolling && st.LastAppliedRevision != "" {
		fmt.Fprintf(w, "Rolling out\t%s\n", revision(st.LastAppliedRevision, st.LastAppliedCommit))
	}
	if st.LastFailedRevision != "" {
		fmt.Fprintf(w, "Last failed\t%s at weight %d%%: %s\n", revision(st.LastFailedRevision, st.LastFailedCommit), st.FailedWeight, orDash(st.FailureReason))
	}
	if st.RevertPullRequest > 0 {
		fmt.Fprintf(w, "Revert pull request\t#%d (open)\n", st.RevertPullRequest)
	}
	if n := len(st.UndeliveredStatuses); n > 0 {
		fmt.Fprintf(w, "Undelivered statuses\t%d, oldest: %s on %s\n", n, st.UndeliveredStatuses[0].State, short(st.UndeliveredStatuses[0].Commit))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(st.Conditions) > 0 {
		fmt.Fprintln(out, "\nConditions:")
		w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		for _, cond := range st.Conditions {
			fmt.Fprintf(w, "  %s=%s\t%s\t%s\n", cond.Type, cond.Status, cond.Reason, cond.Message)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "\nEvents:")
	if len(events) == 0 {
		fmt.Fprintln(out, "  none")
		return nil
	}
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, e := range events {
		fmt.Fprintf(w, "  %s ago\t%s\t%s\n", age(now.Sub(eventTime(e))), e.Type, e.Message)
	}
	return w.Flush()
}

// revision describes a revision and the commit that produced it.
func revision(rev, commit string) string {
	if rev == "" {
		return "-"
	}
	return fmt.Sprintf("revision %s from commit %s", short(rev), orDash(short(commit)))
}

// since says how long ago t was, or "-".
func since(t *metav1.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	return age(now.Sub(t.Time)) + " ago"
}

// age rounds a duration the way kubectl's AGE column does.
func age(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// short is the first 7 characters of a commit or revision.
func short(s string) string {
	return s[:min(7, len(s))]
}

func orDash(s string) string {
	return cmp.Or(strings.TrimSpace(s), "-")
}
