package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/client/config"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/reconciler"
)

// syncFlags are the flags `run` and `plan` share: where Git is, how to
// render it, and which cluster to talk to.
type syncFlags struct {
	repo, path, workDir            string
	username, tokenFile, tokenEnv  string
	sshKey, knownHosts             string
	insecureIgnoreHostKey          bool
	kubeconfig                     string
	namespace, defaultNamespace    string
	owner, inventoryNamespace      string
	allowRemoteBases, allowPlugins bool
	prune                          bool
	kubeAPIQPS                     float32
	kubeAPIBurst                   int
	kubeAPITimeout                 time.Duration
	maxFileBytes, maxRenderBytes   int64
	maxAliasNodes                  int64
	defaultProvider                string
	app                            githubAppFlags
	// cacheReads serves the reads of Canaries, workloads and Services
	// from watches (run --cache-reads); plan reads from the API server.
	cacheReads bool
	// applier is the one reconciler made, for closeWatches.
	applier *applier.Applier
}

// closeWatches stops the watches of the applier reconciler made, if any:
// a command run in a process that goes on (a test) leaves none behind.
func (f *syncFlags) closeWatches() {
	if f.applier != nil {
		f.applier.Close()
	}
}

func (f *syncFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.repo, "repo", "", "Git remote to sync: https://, ssh://, git@host:path, file:// or a local path (required)")
	fs.StringVar(&f.path, "path", ".", "directory of the kustomization (or plain YAML) inside the repository")
	fs.StringVar(&f.workDir, "work-dir", "", "where checkouts are kept (default: a temporary directory, removed when the command ends)")
	fs.StringVar(&f.username, "username", "", "user for HTTPS basic auth or SSH (default: the one in the URL, else git)")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the HTTPS password or access token")
	fs.StringVar(&f.tokenEnv, "token-env", "", "environment variable holding the HTTPS password or access token")
	fs.StringVar(&f.sshKey, "ssh-key", "", "private key file for ssh remotes")
	fs.StringVar(&f.knownHosts, "known-hosts", "", "known_hosts file for ssh remotes (default: ~/.ssh/known_hosts)")
	fs.BoolVar(&f.insecureIgnoreHostKey, "insecure-ignore-host-key", false, "accept any SSH host key (tests and closed networks only)")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, in-cluster config, ~/.kube/config)")
	fs.StringVar(&f.namespace, "namespace", "", "restrict sluice to this namespace; commits with objects elsewhere are refused")
	fs.StringVar(&f.defaultNamespace, "default-namespace", "default", "namespace of rendered objects that have none")
	fs.StringVar(&f.owner, "owner", "sluice", "name of this sync in owner labels and its inventory")
	fs.StringVar(&f.inventoryNamespace, "inventory-namespace", "", "namespace of the inventory ConfigMap (default: $POD_NAMESPACE, else default)")
	fs.BoolVar(&f.allowRemoteBases, "allow-remote-bases", false, "let kustomizations use remote bases and files")
	fs.BoolVar(&f.allowPlugins, "allow-exec-plugins", false, "let kustomize run exec and KRM function plugins")
	fs.BoolVar(&f.prune, "prune", false, "delete objects sluice applied that left Git")
	fs.Float32Var(&f.kubeAPIQPS, "kube-api-qps", 100, "client-side limit of API requests per second (an object costs about 2 per sync in which it or its live object changed, none otherwise)")
	fs.IntVar(&f.kubeAPIBurst, "kube-api-burst", 300, "burst of API requests above --kube-api-qps")
	fs.StringVar(&f.defaultProvider, "default-provider", "", "provider of Canaries that name none, as Flagger's -mesh-provider (default gatewayapi)")
	fs.Int64Var(&f.maxFileBytes, "max-file-size", manifests.DefaultMaxFileBytes, "bytes of the largest file a rendering may read; a larger one refuses the commit")
	fs.Int64Var(&f.maxRenderBytes, "max-render-size", manifests.DefaultMaxTotalBytes, "bytes of all the files one rendering may read together")
	fs.Int64Var(&f.maxAliasNodes, "max-yaml-alias-nodes", manifests.DefaultMaxAliasNodes, "nodes YAML aliases may add to one file once expanded (a 'billion laughs' adds 10^9)")
	fs.DurationVar(&f.kubeAPITimeout, "kube-api-timeout", 30*time.Second, "deadline of each request to the Kubernetes API server")
	f.app.register(fs)
}

// envDefaults lets every flag of cmd be set by an environment variable
// SLUICE_<FLAG> (upper case, dashes as underscores); a flag given on the
// command line wins.
func envDefaults(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		name := "SLUICE_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		if value, ok := os.LookupEnv(name); ok && !fl.Changed && err == nil {
			if setErr := fl.Value.Set(value); setErr != nil {
				err = fmt.Errorf("%s=%q: %w", name, value, setErr)
			}
		}
	})
	return err
}

// source returns the Git repository the flags describe, watching branch,
// and a cleanup that removes its checkouts when they live in a temporary
// directory of this process (without --work-dir).
func (f *syncFlags) source(branch string) (*gitsync.Repository, func(), error) {
	if f.repo == "" {
		return nil, nil, fmt.Errorf("--repo is required")
	}
	dir, cleanup := f.workDir, func() {}
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "sluice-checkouts-"); err != nil {
			return nil, nil, err
		}
		cleanup = func() { _ = os.RemoveAll(dir) }
	}
	auth := gitsync.Auth{
		Username: f.username, Password: gitsync.Secret{File: f.tokenFile, Env: f.tokenEnv},
		SSHKeyFile: f.sshKey, KnownHostsFile: f.knownHosts, InsecureIgnoreHostKey: f.insecureIgnoreHostKey,
	}
	if f.app.enabled() && (strings.HasPrefix(f.repo, "https://") || strings.HasPrefix(f.repo, "http://")) {
		if err := f.useApp(&auth); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	repo, err := gitsync.New(gitsync.Options{URL: f.repo, Branch: branch, Dir: dir, Auth: auth})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return repo, cleanup, nil
}

// useApp makes Git over HTTPS authenticate with the GitHub App's
// installation token, as GitHub documents: user x-access-token, the token
// as password. An SSH remote keeps its key; the App then serves the forge.
func (f *syncFlags) useApp(auth *gitsync.Auth) error {
	if f.tokenFile != "" || f.tokenEnv != "" {
		return errors.New("--github-app-id: set it or --token-file/--token-env, not both")
	}
	source, err := f.app.tokens(f.repo)
	if err != nil {
		return err
	}
	auth.Password, auth.PasswordSource = gitsync.Secret{}, source.Token
	auth.Username = orElse(f.username, "x-access-token")
	return nil
}

// restConfig returns the cluster configuration.
func (f *syncFlags) restConfig() (*rest.Config, error) {
	var config *rest.Config
	var err error
	if f.kubeconfig != "" {
		config, err = clientcmd.BuildConfigFromFlags("", f.kubeconfig)
	} else {
		config, err = ctrlconfig.GetConfig()
	}
	if err != nil {
		return nil, err
	}
	config.QPS, config.Burst, config.Timeout = f.kubeAPIQPS, f.kubeAPIBurst, f.kubeAPITimeout
	return config, nil
}

// metadataClient returns the client of the applier's watches: config
// without its request deadline, which would cut every watch after
// --kube-api-timeout.
func metadataClient(config *rest.Config) (metadata.Interface, error) {
	return metadata.NewForConfig(watchConfig(config))
}

// watchConfig is config without its request deadline, which would cut
// every watch after --kube-api-timeout.
func watchConfig(config *rest.Config) *rest.Config {
	config = rest.CopyConfig(config)
	config.Timeout = 0
	return config
}

// reconciler wires a Reconciler for source from the flags.
// shardFlagUsage is the help of --shard-key, in run and plan.
const shardFlagUsage = "act only on the objects of Git labelled " + reconciler.ShardLabel + "=<key> (without it: those without the label), so that several sluices split one repository; a shard's --owner and --leader-election-id default to theirs followed by -<key>"

// useShard makes opts act on shard key (none when empty) and, unless
// --owner was given, makes the inventory the shard's own: the owner
// followed by -<key>, as run and plan agree.
func (f *syncFlags) useShard(cmd *cobra.Command, key string, opts *reconciler.Options) {
	opts.Shard = key
	if key != "" && !cmd.Flags().Changed("owner") {
		f.owner += "-" + key
	}
}

func (f *syncFlags) reconciler(source reconciler.Source, opts reconciler.Options) (*reconciler.Reconciler, client.Client, error) {
	config, err := f.restConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("cluster config: %w", err)
	}
	c, err := client.New(config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		return nil, nil, err
	}
	if f.cacheReads {
		// Started by run once the CRDs exist (startCachedReads).
		c = applier.NewCachedReads(watchConfig(config), c, f.namespace)
	}
	events, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, nil, err
	}
	inventoryNamespace := f.inventoryNamespace
	if inventoryNamespace == "" {
		inventoryNamespace = os.Getenv("POD_NAMESPACE")
	}
	watch, err := metadataClient(config)
	if err != nil {
		return nil, nil, err
	}
	// The applier's watches start with its first Apply (plan never
	// applies) and stop with closeWatches.
	a, err := applier.New(c, applier.Options{Owner: f.owner, OwnerNamespace: inventoryNamespace,
		Metadata: watch, WatchNamespace: f.namespace, Log: opts.Log})
	if err != nil {
		return nil, nil, err
	}
	f.applier = a
	opts.Path = f.path
	opts.Prune = f.prune
	opts.Namespace = f.namespace
	opts.Render = manifests.Options{
		DefaultNamespace: f.defaultNamespace, AllowRemoteBases: f.allowRemoteBases, AllowExecPlugins: f.allowPlugins,
		MaxFileBytes: f.maxFileBytes, MaxTotalBytes: f.maxRenderBytes, MaxAliasNodes: f.maxAliasNodes,
		DefaultProvider: f.defaultProvider,
	}
	return reconciler.New(c, a, events, source, opts), c, nil
}
