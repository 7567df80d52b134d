// Command sluice is a GitOps reconciler for progressive delivery on
// Kubernetes.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/sluicehq/sluice/playground/demoapp"
)

func main() {
	// The playground's gateway runs the demo app as copies of this binary.
	demoapp.RunIfChild()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCommand().ExecuteContext(ctx)
	cancel()
	switch {
	case errors.Is(err, errChanges):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "sluice:", err)
		os.Exit(1)
	}
}

// newRootCommand returns the sluice command with every subcommand.
func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "sluice",
		Short:         "GitOps progressive delivery for Kubernetes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	if asKubectlPlugin(os.Args[0]) {
		// kubectl runs kubectl-sluice for `kubectl sluice`: the help
		// and usage say the command as the user types it.
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl sluice"}
	}
	root.AddCommand(newVersionCommand(), newRunCommand(), newPlanCommand(), newStatusCommand(), newConvertCommand(), newPlaygroundCommand(), newDemoCommand())
	root.AddCommand(newRequestCommands()...)
	return root
}

// asKubectlPlugin reports whether the program was installed as a kubectl
// plugin: named kubectl-sluice, which kubectl finds on PATH and runs for
// `kubectl sluice …` with the arguments after "sluice".
func asKubectlPlugin(program string) bool {
	name := strings.TrimSuffix(filepath.Base(program), ".exe")
	return name == "kubectl-sluice"
}

// newLogger returns the JSON logger every command writes to stderr. The
// Kubernetes client libraries (klog: leader election, client-side
// throttling) log through it too, so every line on stderr is JSON.
func newLogger() *slog.Logger {
	handler := slog.NewJSONHandler(os.Stderr, nil)
	klog.SetLogger(logr.FromSlogHandler(handler))
	return slog.New(handler)
}
