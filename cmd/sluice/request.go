package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/reconciler"
)

// requestHelp is what each manual request does, for its command's help.
var requestHelp = map[v1alpha1.RequestAction]struct{ short, long string }{
	v1alpha1.RequestPromote: {"Promote a Canary now, skipping the rest of its analysis",
		`Skip the remaining weights and checks of the analysis in flight and
promote the canary once it is ready, as an open confirm-promotion gate
would.`},
	v1alpha1.RequestAbort: {"Roll a Canary's rollout back at its next step",
		`Roll the analysis (or the promotion) in flight back at its next step, as a
failed analysis would: the route all on the primary, the canary scaled down,
the commit status "failure" and a revert pull request, each saying "aborted
by <you>".`},
	v1alpha1.RequestPause: {"Hold a Canary's rollout where it stands",
		`Hold the rollout where it stands until sluice resume: no weight change, no
check, no promotion, no new revision started; the progress deadline does not
count while paused.`},
	v1alpha1.RequestResume: {"Go on with a paused Canary's rollout",
		`End a pause: the rollout goes on where it stopped, the next step taken at
once if it is due.`},
}

// newRequestCommands returns the commands that write a manual request
// (promote, abort, pause, resume) on a Canary for sluice run to carry out.
func newRequestCommands() []*cobra.Command {
	var cmds []*cobra.Command
	for _, action := range v1alpha1.RequestActions() {
		cmds = append(cmds, newRequestCommand(action))
	}
	return cmds
}

func newRequestCommand(action v1alpha1.RequestAction) *cobra.Command {
	var flags syncFlags
	var namespace string
	help := requestHelp[action]
	cmd := &cobra.Command{
		Use:   string(action) + " CANARY",
		Short: help.short,
		Long: help.long + `

The request is written as annotations on the Canary (` + v1alpha1.RequestAnnotation + `,
` + v1alpha1.RequestedByAnnotation + `, ` + v1alpha1.RequestedAtAnnotation + `), its spec left as Git has it;
sluice run carries it out at the Canary's next step and then removes them.
It needs RBAC to patch canaries.sluice.dev.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := envDefaults(cmd); err != nil {
				return err
			}
			config, err := flags.restConfig()
			if err != nil {
				return fmt.Errorf("cluster config: %w", err)
			}
			if namespace == "" {
				namespace = defaultNamespace(flags.kubeconfig)
			}
			key := client.ObjectKey{Namespace: namespace, Name: args[0]}
			req := v1alpha1.ManualRequest{Action: action, By: whoAmI(cmd.Context(), config, flags.kubeconfig), At: metav1.Now()}
			if err := writeRequest(cmd.Context(), config, key, req); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "canary %s/%s: %s requested by %s; sluice carries it out at the next step\n", namespace, args[0], action, req.By)
			return err
		},
	}
	cmd.Flags().StringVar(&flags.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, in-cluster config, ~/.kube/config)")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the Canary (default: the kubeconfig's, else default)")
	flags.kubeAPIQPS, flags.kubeAPIBurst, flags.kubeAPITimeout = 5, 10, 30*time.Second
	return cmd
}

// writeRequest writes req on the Canary key with a merge patch of its
// annotations, which fails if the Canary does not exist; writing the same
// request again only updates who and when.
func writeRequest(ctx context.Context, config *rest.Config, key client.ObjectKey, req v1alpha1.ManualRequest) error {
	c, err := client.New(config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		return err
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": req.Annotations()}})
	if err != nil {
		return err
	}
	canary := &v1alpha1.Canary{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	if err := c.Patch(ctx, canary, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("canary %s/%s: %s: %w", key.Namespace, key.Name, req.Action, err)
	}
	return nil
}

// whoAmI is the user the API server authenticates config as (a
// SelfSubjectReview, as kubectl auth whoami asks); when it cannot say, the
// kubeconfig's user of the current context; else "unknown".
func whoAmI(ctx context.Context, config *rest.Config, kubeconfig string) string {
	if kube, err := kubernetes.NewForConfig(config); err == nil {
		review, err := kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err == nil && review.Status.UserInfo.Username != "" {
			return review.Status.UserInfo.Username
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	raw, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).RawConfig()
	if err == nil {
		if current, ok := raw.Contexts[raw.CurrentContext]; ok && current.AuthInfo != "" {
			return current.AuthInfo
		}
	}
	return "unknown"
}
