package playground

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ControlPlane is a running Kubernetes control plane: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok with fake nodes.
type ControlPlane struct {
	// Kubeconfig is the path of an admin kubeconfig for the API server.
	Kubeconfig string
	// Config is the admin client configuration of the API server.
	Config *rest.Config
	// Nodes are the names of the fake nodes kwok keeps Ready.
	Nodes []string

	log *slog.Logger
	// mu guards processes and stopping: kwok is restarted by a goroutine
	// of keepRunning while stop may run.
	mu        sync.Mutex
	processes []*process
	stopping  bool
}

// maxRestarts is how many times keepRunning restarts a component before it
// gives up on it.
const maxRestarts = 5

// controllers are the kube-controller-manager controllers the playground runs:
// enough for Deployments to roll out, fake nodes to lose their not-ready
// taint, deleted namespaces and owners to be cleaned up, and
// HorizontalPodAutoscalers to hold their Deployments within their
// bounds, DaemonSets to run a pod on every fake node, and aggregated ClusterRoles
// (sluice's deploy/rbac.yaml) to gather their rules. The playground serves no metrics API, so an autoscaler never
// scales on its metrics: it brings a Deployment below its minReplicas up
// and one above its maxReplicas down, and leaves a count within them as
// it is (its ScalingActive condition says it cannot read the metrics).
var controllers = []string{
	"deployment-controller",
	"replicaset-controller",
	"node-lifecycle-controller",
	"namespace-controller",
	"garbage-collector-controller",
	"serviceaccount-controller",
	"horizontal-pod-autoscaler-controller",
	"daemonset-controller",
	"clusterrole-aggregation-controller",
}

// startControlPlane starts every component in dir and returns once the API
// server is ready and every fake node is Ready and schedulable. On error,
// whatever it started is stopped.
func startControlPlane(ctx context.Context, tools *Toolchain, dir string, nodes int, log *slog.Logger) (*ControlPlane, error) {
	cp := &ControlPlane{log: log}
	if err := cp.startAll(ctx, tools, dir, nodes); err != nil {
		cp.stop()
		return nil, err
	}
	return cp, nil
}

// startAll starts the components in dependency order: etcd, the API
// server, then the components that only need the API server.
func (cp *ControlPlane) startAll(ctx context.Context, tools *Toolchain, dir string, nodes int) error {
	certs, err := newPKI(dir)
	if err != nil {
		return fmt.Errorf("playground: certificates: %w", err)
	}
	etcdURL, err := cp.startEtcd(ctx, tools, dir)
	if err != nil {
		return err
	}
	if err := cp.startAPIServer(ctx, tools, dir, etcdURL, certs); err != nil {
		return err
	}
	for _, name := range []string{KubeControllerManager, KubeScheduler, Kwok} {
		if err := cp.startClientComponent(tools, dir, name); err != nil {
			return err
		}
	}
	return cp.addNodes(ctx, nodes)
}

// startEtcd starts etcd on two free loopback ports and waits until it is
// healthy. Durability is traded for speed: the data dies with the playground.
func (cp *ControlPlane) startEtcd(ctx context.Context, tools *Toolchain, dir string) (string, error) {
	ports, err := freePorts(2)
	if err != nil {
		return "", err
	}
	clientURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	p, err := cp.start(Etcd, tools, dir,
		"--name=playground",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=playground="+peerURL,
		"--unsafe-no-fsync=true",
		"--quota-backend-bytes=4294967296",
	)
	if err != nil {
		return "", err
	}
	err = waitFor(ctx, 30*time.Second, p, func() bool {
		resp, err := http.Get(clientURL + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return clientURL, err
}

// startAPIServer starts kube-apiserver, writes the admin kubeconfig and waits
// until /readyz answers ok.
func (cp *ControlPlane) startAPIServer(ctx context.Context, tools *Toolchain, dir, etcdURL string, certs *pki) error {
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	p, err := cp.start(KubeAPIServer, tools, dir,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(ports[0]),
		"--cert-dir="+filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file="+certs.servingCertFile,
		"--tls-private-key-file="+certs.servingKeyFile,
		"--client-ca-file="+certs.caCertFile,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+certs.serviceAccountPubFile,
		"--service-account-signing-key-file="+certs.serviceAccountKeyFile,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		// No kubelet mounts service account tokens here, and without this
		// pods of a new namespace race the creation of its default account.
		"--disable-admission-plugins=ServiceAccount",
		// The kubernetes Service cannot point at a loopback address.
		"--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	)
	if err != nil {
		return err
	}
	cp.Config = &rest.Config{
		Host: "https://127.0.0.1:" + strconv.Itoa(ports[0]),
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   certs.caCertPEM,
			CertData: certs.adminCertPEM,
			KeyData:  certs.adminKeyPEM,
		},
		QPS:   200,
		Burst: 400,
	}
	cp.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(cp.Kubeconfig, cp.Config); err != nil {
		return fmt.Errorf("playground: kubeconfig: %w", err)
	}
	client, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	return waitFor(ctx, 60*time.Second, p, func() bool {
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && strings.TrimSpace(string(body)) == "ok"
	})
}

// startClientComponent starts a component that only needs the admin
// kubeconfig to talk to the API server.
func (cp *ControlPlane) startClientComponent(tools *Toolchain, dir, name string) error {
	kubeconfig := "--kubeconfig=" + cp.Kubeconfig
	var args []string
	switch name {
	case KubeControllerManager:
		args = []string{kubeconfig,
			"--controllers=" + strings.Join(controllers, ","),
			"--leader-elect=false", "--secure-port=0",
			"--concurrent-deployment-syncs=10", "--concurrent-replicaset-syncs=10",
			// The default 20 requests a second made the controllers, not
			// sluice, the bottleneck of a thousand Deployments rolling out
			// (make scale: 1,000 apps took 11 minutes to install).
			"--kube-api-qps=200", "--kube-api-burst=400",
			// Tests wait seconds, not the default 15s, for an autoscaler.
			"--horizontal-pod-autoscaler-sync-period=1s",
		}
	case KubeScheduler:
		args = []string{kubeconfig, "--leader-elect=false", "--secure-port=0", "--kube-api-qps=200", "--kube-api-burst=400"}
	case Kwok:
		args = []string{kubeconfig, "--manage-all-nodes=true",
			"--server-address=127.0.0.1:0", "--config=" + tools.KwokStages()}
	default:
		return fmt.Errorf("playground: unknown component %q", name)
	}
	p, err := cp.start(name, tools, dir, args...)
	if err == nil && name == Kwok {
		// kwok plays the kubelets, and keeps no state of its own: like a
		// node's service manager restarting a crashed kubelet, the
		// playground restarts it, and the new one picks the nodes and
		// pods up where the old one left them. (kwok v0.8.0 has been seen
		// to panic on start, once in many runs.)
		cp.keepRunning(p, func() (*process, error) { return startProcess(name, tools.Path(name), args, dir) })
	}
	return err
}

// start starts one component and remembers it for stop.
func (cp *ControlPlane) start(name string, tools *Toolchain, dir string, args ...string) (*process, error) {
	p, err := startProcess(name, tools.Path(name), args, dir)
	if err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.processes = append(cp.processes, p)
	return p, nil
}

// keepRunning restarts p with restart whenever it exits before stop, up to
// maxRestarts times, logging why it exited. The log of each run that ended
// is kept next to the new one as <name>.log.<n>.
func (cp *ControlPlane) keepRunning(p *process, restart func() (*process, error)) {
	go func() {
		for n := 1; ; n++ {
			<-p.exited
			cp.mu.Lock()
			if cp.stopping {
				cp.mu.Unlock()
				return
			}
			crash := p.crashExcerpt(20)
			if n > maxRestarts {
				cp.mu.Unlock()
				cp.log.Error(fmt.Sprintf("%s exited again, after %d restarts: giving up on it", p.name, maxRestarts), "error", fmt.Sprint(p.waitErr), "log", crash)
				return
			}
			cp.log.Warn(fmt.Sprintf("%s exited, restarting it", p.name), "error", fmt.Sprint(p.waitErr), "restart", n, "log", crash)
			_ = os.Rename(p.logPath, p.logPath+"."+strconv.Itoa(n))
			next, err := restart()
			if err != nil {
				cp.mu.Unlock()
				cp.log.Error(fmt.Sprintf("%s could not be restarted", p.name), "error", err.Error())
				return
			}
			for i := range cp.processes {
				if cp.processes[i] == p {
					cp.processes[i] = next
				}
			}
			cp.mu.Unlock()
			p = next
		}
	}()
}

// running returns the components that run now.
func (cp *ControlPlane) running() []*process {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return append([]*process(nil), cp.processes...)
}

// addNodes registers n fake nodes for kwok and waits until each is Ready
// and no longer tainted not-ready, so that pods can be scheduled at once.
func (cp *ControlPlane) addNodes(ctx context.Context, n int) error {
	client, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	for i := range n {
		name := "kwok-node-" + strconv.Itoa(i)
		if _, err := client.CoreV1().Nodes().Create(ctx, fakeNode(name), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("playground: node %s: %w", name, err)
		}
		cp.Nodes = append(cp.Nodes, name)
	}
	for _, name := range cp.Nodes {
		err := waitFor(ctx, 60*time.Second, nil, func() bool {
			node, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			return err == nil && nodeSchedulable(node)
		})
		if err != nil {
			return fmt.Errorf("playground: node %s not Ready: %w\n%s", name, err, cp.logs())
		}
	}
	return nil
}

// fakeNode is a node that kwok manages, with room for many pods.
func fakeNode(name string) *corev1.Node {
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("250"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Labels:      map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "type": "kwok"},
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
		},
		Status: corev1.NodeStatus{Allocatable: resources, Capacity: resources},
	}
}

// nodeSchedulable reports whether node is Ready and carries no NoSchedule or
// NoExecute taint.
func nodeSchedulable(node *corev1.Node) bool {
	for _, taint := range node.Spec.Taints {
		if taint.Effect == corev1.TaintEffectNoSchedule || taint.Effect == corev1.TaintEffectNoExecute {
			return false
		}
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// stop stops the components in the reverse order of their start; none is
// restarted from then on.
func (cp *ControlPlane) stop() {
	cp.mu.Lock()
	cp.stopping = true
	processes := append([]*process(nil), cp.processes...)
	cp.mu.Unlock()
	for i := len(processes) - 1; i >= 0; i-- {
		processes[i].stop(10 * time.Second)
	}
}

// logs returns the end of every component's log, for error messages: the
// crash of a component that exited, the last lines of the others.
func (cp *ControlPlane) logs() string {
	var b strings.Builder
	for _, p := range cp.running() {
		fmt.Fprintf(&b, "--- %s\n%s\n", p.name, p.crashExcerpt(10))
	}
	return b.String()
}

// writeKubeconfig writes an admin kubeconfig for config to path.
func writeKubeconfig(path string, config *rest.Config) error {
	kubeconfig := clientcmdapi.NewConfig()
	kubeconfig.Clusters["playground"] = &clientcmdapi.Cluster{
		Server:                   config.Host,
		CertificateAuthorityData: config.CAData,
	}
	kubeconfig.AuthInfos["admin"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: config.CertData,
		ClientKeyData:         config.KeyData,
	}
	kubeconfig.Contexts["playground"] = &clientcmdapi.Context{Cluster: "playground", AuthInfo: "admin"}
	kubeconfig.CurrentContext = "playground"
	return clientcmd.WriteToFile(*kubeconfig, path)
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("playground: free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitFor polls ready every 100ms until it returns true, the timeout passes,
// ctx ends or p (when not nil) exits.
func waitFor(ctx context.Context, timeout time.Duration, p *process, ready func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if ready() {
			return nil
		}
		if p != nil {
			if err := p.exitedEarly(); err != nil {
				return fmt.Errorf("playground: %w", err)
			}
		}
		if time.Now().After(deadline) {
			name := "condition"
			if p != nil {
				name = p.name + "\n" + p.logTail(20)
			}
			return fmt.Errorf("playground: timed out after %s waiting for %s", timeout, name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
