package main

import (
	"errors"
	"os"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"

	"github.com/sluicehq/sluice/reconciler"
)

// leaderElectionFlags are run's flags for running several replicas.
type leaderElectionFlags struct {
	enabled   bool
	namespace string
	name      string
}

func (f *leaderElectionFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.enabled, "leader-elect", false, "run only while holding a Lease, so that one of several replicas syncs")
	fs.StringVar(&f.namespace, "leader-election-namespace", "", "namespace of the Lease; empty means $POD_NAMESPACE")
	fs.StringVar(&f.name, "leader-election-id", "sluice", "name of the Lease")
}

// options returns the reconciler's leader election settings.
func (f *leaderElectionFlags) options() (reconciler.LeaderElection, error) {
	namespace := f.namespace
	if namespace == "" {
		namespace = os.Getenv("POD_NAMESPACE")
	}
	if namespace == "" {
		return reconciler.LeaderElection{}, errors.New("--leader-elect: set --leader-election-namespace (or POD_NAMESPACE)")
	}
	return reconciler.LeaderElection{Namespace: namespace, Name: f.name, Identity: os.Getenv("POD_NAME")}, nil
}

// kube returns a typed clientset for the cluster of the flags.
func (f *syncFlags) kube() (kubernetes.Interface, error) {
	config, err := f.restConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(config)
}
