package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/planner"
	"github.com/sluicehq/sluice/reconciler"
)

// statusEvents is how many of a Canary's latest Events status shows.
const statusEvents = 12

func newStatusCommand() *cobra.Command {
	var flags syncFlags
	var namespace, output string
	var all, watch bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "status [CANARY]",
		Short: "Show where the Canaries' rollouts stand",
		Long: `Without an argument, list the Canaries of a namespace (--all-namespaces:
of every namespace) with their phase, canary weight, failed checks, the
commit the primary runs and what is happening. With a Canary's name, show
it in detail: the revisions and commits it runs, is rolling out or last
failed (and why), the open revert pull request, the commit statuses not yet
delivered, its conditions and its latest events.

-o json or -o yaml prints the Canaries (a CanaryList without an argument)
as objects instead, with the defaults sluice acts on filled in. --watch
looks again every --interval and prints again whenever something changed,
until interrupted; on a terminal it redraws the screen.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := envDefaults(cmd); err != nil {
				return err
			}
			if !slices.Contains([]string{"", "json", "yaml"}, output) {
				return fmt.Errorf("--output %q: want json or yaml (or nothing, for a table)", output)
			}
			config, err := flags.restConfig()
			if err != nil {
				return fmt.Errorf("cluster config: %w", err)
			}
			c, err := client.New(config, client.Options{Scheme: reconciler.Scheme()})
			if err != nil {
				return err
			}
			kube, err := kubernetes.NewForConfig(config)
			if err != nil {
				return err
			}
			if namespace == "" {
				namespace = defaultNamespace(flags.kubeconfig)
			}
			look := statusLook{client: c, kube: kube, namespace: namespace, all: all}
			if len(args) == 1 {
				look.name = args[0]
			}
			if !watch {
				view, err := look.fetch(cmd.Context())
				if err != nil {
					return err
				}
				return view.print(cmd.OutOrStdout(), output, time.Now())
			}
			return watchStatus(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), look.fetch, output, interval, isTerminal(cmd.OutOrStdout()))
		},
	}
	cmd.Flags().StringVar(&flags.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, in-cluster config, ~/.kube/config)")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the Canaries (default: the kubeconfig's, else default)")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list the Canaries of every namespace")
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml: print the Canary objects instead of a table")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "keep looking, and print again whenever something changed, until interrupted")
	cmd.Flags().DurationVar(&interval, "interval", 2*time.Second, "how often --watch looks")
	flags.kubeAPIQPS, flags.kubeAPIBurst = 20, 40
	return cmd
}

// statusLook is one question status asks the cluster: the Canaries of a
// namespace (of all of them with all), or the Canary name and its Events.
type statusLook struct {
	client    client.Reader
	kube      kubernetes.Interface
	namespace string
	all       bool
	name      string // empty: list
}

// statusView is what a look found: a list of Canaries, or one Canary and
// its latest Events.
type statusView struct {
	list   []v1alpha1.Canary
	canary *v1alpha1.Canary
	events []corev1.Event
}

// fetch looks once. The Canaries have their defaults filled in: status
// shows the values sluice acts on.
func (l statusLook) fetch(ctx context.Context) (statusView, error) {
	if l.name == "" {
		var list v1alpha1.CanaryList
		opts := []client.ListOption{}
		if !l.all {
			opts = append(opts, client.InNamespace(l.namespace))
		}
		if err := l.client.List(ctx, &list, opts...); err != nil {
			return statusView{}, fmt.Errorf("list canaries: %w", err)
		}
		for i := range list.Items {
			list.Items[i].Default()
		}
		return statusView{list: list.Items}, nil
	}
	var canary v1alpha1.Canary
	if err := l.client.Get(ctx, client.ObjectKey{Namespace: l.namespace, Name: l.name}, &canary); err != nil {
		return statusView{}, fmt.Errorf("canary %s/%s: %w", l.namespace, l.name, err)
	}
	canary.Default()
	events, err := canaryEvents(ctx, l.kube, &canary)
	if err != nil {
		return statusView{}, err
	}
	return statusView{canary: &canary, events: events}, nil
}

// print writes the view as a table (format ""), or as JSON or YAML objects.
func (v statusView) print(out io.Writer, format string, now time.Time) error {
	if format == "" {
		if v.canary != nil {
			return printCanary(out, v.canary, v.events, now)
		}
		return printCanaries(out, v.list, now)
	}
	var obj any
	if v.canary != nil {
		c := v.canary.DeepCopy()
		c.APIVersion, c.Kind = v1alpha1.GroupVersion.String(), "Canary"
		obj = c
	} else {
		list := &v1alpha1.CanaryList{Items: slices.Clone(v.list)}
		list.APIVersion, list.Kind = v1alpha1.GroupVersion.String(), "CanaryList"
		for i := range list.Items {
			list.Items[i].APIVersion, list.Items[i].Kind = v1alpha1.GroupVersion.String(), "Canary"
		}
		obj = list
	}
	if format == "yaml" {
		b, err := yaml.Marshal(obj)
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(obj)
}

// watchStatus fetches every interval until ctx ends and prints the view
// each time it differs from the last one printed: ages that merely grew
// are no change. With redraw (a terminal) it clears the screen first;
// otherwise it appends, a YAML document separator between YAML views and
// an empty line between tables. A failed fetch is reported on errOut and
// tried again at the next interval: a watch outlives an API server hiccup.
func watchStatus(ctx context.Context, out, errOut io.Writer, fetch func(context.Context) (statusView, error), format string, interval time.Duration, redraw bool) error {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var last []byte
	for printed := false; ; {
		view, err := fetch(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			fmt.Fprintf(errOut, "%s: %v\n", time.Now().Format(time.TimeOnly), err)
		default:
			// Rendered as of the zero time every age is 0s, so only a
			// change of the objects changes the rendering.
			var key bytes.Buffer
			if err := view.print(&key, format, time.Time{}); err != nil {
				return err
			}
			if !bytes.Equal(key.Bytes(), last) {
				last = key.Bytes()
				switch {
				case redraw:
					fmt.Fprint(out, "\x1b[H\x1b[2J")
				case printed && format == "yaml":
					fmt.Fprintln(out, "---")
				case printed && format == "":
					fmt.Fprintln(out)
				}
				if err := view.print(out, format, time.Now()); err != nil {
					return err
				}
				printed = true
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// isTerminal says whether out is a terminal, which --watch redraws.
func isTerminal(out io.Writer) bool {
	f, ok := out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
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
	sortEvents(events)
	return events[max(0, len(events)-statusEvents):], nil
}

// sortEvents orders events oldest first: by when each last happened, then
// by the order the API server stored them in.
//
// Regression: events of the same second came out of order ("Canary
// failed!" before "Halt … advancement"), because LastTimestamp has whole
// seconds and the tie was broken by the Events' random names. The
// resourceVersion of an Event nobody updated is the etcd revision that
// created it, which grows with every write; it is opaque by contract, so
// it is compared as a number only when both are numbers, else by name.
func sortEvents(events []corev1.Event) {
	slices.SortStableFunc(events, func(a, b corev1.Event) int {
		return cmp.Or(eventTime(a).Compare(eventTime(b)), compareStored(a, b))
	})
}

// compareStored orders two Events by their resourceVersions, else names.
func compareStored(a, b corev1.Event) int {
	ra, errA := strconv.ParseUint(a.ResourceVersion, 10, 64)
	rb, errB := strconv.ParseUint(b.ResourceVersion, 10, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(ra, rb)
	}
	return cmp.Compare(a.Name, b.Name)
}

// eventTime is when an Event last happened, as precisely as it says:
// its series' last observation or its event time (microseconds) before
// its last timestamp (seconds).
func eventTime(e corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.FirstTimestamp.IsZero():
		return e.FirstTimestamp.Time
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
