package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// rolloutAppFiles is detail with a Canary that rolls out blue/green (the
// kubernetes provider) in one iteration of a second, gated by a webhook at
// gate, so that a whole rollout fits in a test.
func rolloutAppFiles(ns, tag, gate string) map[string]string {
	files := appFiles(ns, tag)
	files["canary.yaml"] = `apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata: {name: detail}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  provider: kubernetes
  service: {port: 3000}
  analysis: {interval: 1s, iterations: 1, webhooks: [{name: gate, type: pre-rollout, url: "` + gate + `"}]}
`
	return files
}

// TestRunAsTheInstalledServiceAccountSyncsAndRollsOut runs sluice with
// nothing but the RBAC of deploy/ (a token of the sluice ServiceAccount
// from the TokenRequest API) through a first sync and a whole rollout, and
// then has it refuse a CronJob in Git naming the permission and the role
// to extend.
func TestRunAsTheInstalledServiceAccountSyncsAndRollsOut(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	kubeconfig := installedServiceAccountKubeconfig(ctx, t)
	gate := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer gate.Close()
	repo := t.TempDir()
	gitInit(t, repo)
	gitCommit(t, repo, "detail 1.0", rolloutAppFiles(ns, "1.0", gate.URL))

	stopRun := runInBackground(t, ctx, "run", "--repo", repo, "--kubeconfig", kubeconfig, "--namespace", ns, "--inventory-namespace", ns,
		"--owner", "rbac-test", "--interval", "1s", "--prune", "--leader-elect", "--leader-election-namespace", ns)
	defer stopRun()
	admin, err := client.New(playgroundtest.Playground().ControlPlane.Config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	waitCanary := func(what string, done func(*v1alpha1.Canary) bool) {
		t.Helper()
		for {
			var canary v1alpha1.Canary
			err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &canary)
			if err == nil && done(&canary) {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("canary never %s: %v %+v", what, err, canary.Status)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	waitCanary("Initialized", func(c *v1alpha1.Canary) bool { return c.Status.Phase == v1alpha1.PhaseInitialized })

	gitCommit(t, repo, "detail 2.0", rolloutAppFiles(ns, "2.0", gate.URL))
	waitCanary("promoted 2.0", func(c *v1alpha1.Canary) bool {
		return c.Status.Phase == v1alpha1.PhaseSucceeded && c.Status.PendingRevision == ""
	})

	files := rolloutAppFiles(ns, "2.0", gate.URL)
	files["kustomization.yaml"] = "namespace: " + ns + "\nresources: [deployment.yaml, canary.yaml, cronjob.yaml]\n"
	files["cronjob.yaml"] = `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: nightly, image: busybox}]}}}}
`
	gitCommit(t, repo, "a nightly job", files)
	waitCanary("refused the CronJob", func(c *v1alpha1.Canary) bool {
		for _, cond := range c.Status.Conditions {
			if strings.Contains(cond.Message, "may not patch cronjobs.batch") && strings.Contains(cond.Message, "ClusterRole sluice-extra") {
				return true
			}
		}
		return false
	})
}

// installedServiceAccountKubeconfig applies deploy/'s RBAC (and its
// Namespace and CRDs) as the admin, waits until the aggregated role holds
// sluice-core's rules, and writes a kubeconfig holding a token of the
// sluice ServiceAccount.
func installedServiceAccountKubeconfig(ctx context.Context, t *testing.T) string {
	t.Helper()
	rendering, err := manifests.Render("../..", "deploy", manifests.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var install []*unstructured.Unstructured
	for _, obj := range rendering.Objects {
		if obj.GetKind() != "Deployment" {
			install = append(install, obj)
		}
	}
	a, err := applier.New(playgroundtest.Client(), applier.Options{Owner: "rbac-install", OwnerNamespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, install); err != nil {
		t.Fatalf("apply deploy/ without its Deployment: %v", err)
	}
	adminConfig := playgroundtest.Playground().ControlPlane.Config
	kube, err := kubernetes.NewForConfig(adminConfig)
	if err != nil {
		t.Fatal(err)
	}
	for {
		role, err := kube.RbacV1().ClusterRoles().Get(ctx, "sluice", metav1.GetOptions{})
		if err == nil && len(role.Rules) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the ClusterRole sluice never aggregated sluice-core: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return serviceAccountKubeconfig(ctx, t, "sluice")
}

// serviceAccountKubeconfig writes a kubeconfig holding a token of the
// ServiceAccount sluice-system/name from the TokenRequest API.
func serviceAccountKubeconfig(ctx context.Context, t *testing.T, name string) string {
	t.Helper()
	adminConfig := playgroundtest.Playground().ControlPlane.Config
	kube, err := kubernetes.NewForConfig(adminConfig)
	if err != nil {
		t.Fatal(err)
	}
	token, err := kube.CoreV1().ServiceAccounts("sluice-system").CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("request a token for sluice-system/%s: %v", name, err)
	}
	config := clientcmdapi.NewConfig()
	config.Clusters["playground"] = &clientcmdapi.Cluster{Server: adminConfig.Host, CertificateAuthorityData: adminConfig.CAData}
	config.AuthInfos["sluice"] = &clientcmdapi.AuthInfo{Token: token.Status.Token}
	config.Contexts["sluice"] = &clientcmdapi.Context{Cluster: "playground", AuthInfo: "sluice"}
	config.CurrentContext = "sluice"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*config, path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunWithTheNamespacedVariantSyncsAndRollsOutInItsNamespace runs sluice
// --namespace with nothing but the Roles of deploy/namespaced (bound to a
// ServiceAccount of its own here, so that the cluster-wide binding of the
// other test does not help it) through a sync, a rollout and a promotion.
func TestRunWithTheNamespacedVariantSyncsAndRollsOutInItsNamespace(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	installNamespacedVariant(ctx, t, ns, "sluice-namespaced")
	kubeconfig := serviceAccountKubeconfig(ctx, t, "sluice-namespaced")
	gate := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer gate.Close()
	repo := t.TempDir()
	gitInit(t, repo)
	gitCommit(t, repo, "detail 1.0", rolloutAppFiles(ns, "1.0", gate.URL))

	stopRun := runInBackground(t, ctx, "run", "--repo", repo, "--kubeconfig", kubeconfig, "--namespace", ns, "--inventory-namespace", "sluice-system",
		"--owner", "rbac-namespaced-test", "--interval", "1s", "--prune")
	defer stopRun()
	admin, err := client.New(playgroundtest.Playground().ControlPlane.Config, client.Options{Scheme: reconciler.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	waitCanary := func(what string, done func(*v1alpha1.Canary) bool) {
		t.Helper()
		for {
			var canary v1alpha1.Canary
			err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "detail"}, &canary)
			if err == nil && done(&canary) {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("canary never %s: %v %+v", what, err, canary.Status)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	waitCanary("Initialized", func(c *v1alpha1.Canary) bool { return c.Status.Phase == v1alpha1.PhaseInitialized })
	gitCommit(t, repo, "detail 2.0", rolloutAppFiles(ns, "2.0", gate.URL))
	waitCanary("promoted 2.0", func(c *v1alpha1.Canary) bool {
		return c.Status.Phase == v1alpha1.PhaseSucceeded && c.Status.PendingRevision == ""
	})
}

// installNamespacedVariant renders deploy/ with the component
// deploy/namespaced, as a user's install kustomization does, binds its
// Roles to the ServiceAccount sluice-system/account and its "apps" to ns,
// and applies its RBAC.
func installNamespacedVariant(ctx context.Context, t *testing.T, ns, account string) {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "deploy"), os.DirFS("../../deploy")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "install"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "install", "kustomization.yaml"), []byte("resources: [../deploy]\ncomponents: [../deploy/namespaced]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rendering, err := manifests.Render(root, "install", manifests.Options{})
	if err != nil {
		t.Fatal(err)
	}
	install := []*unstructured.Unstructured{{Object: map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": account, "namespace": "sluice-system"},
	}}}
	for _, obj := range rendering.Objects {
		switch obj.GetKind() {
		case "Role", "RoleBinding":
			if obj.GetNamespace() == "apps" {
				obj.SetNamespace(ns)
			}
			obj.SetName(account + "-" + obj.GetName())
			if obj.GetKind() == "RoleBinding" {
				_ = unstructured.SetNestedField(obj.Object, account+"-"+obj.Object["roleRef"].(map[string]any)["name"].(string), "roleRef", "name")
				_ = unstructured.SetNestedSlice(obj.Object, []any{map[string]any{"kind": "ServiceAccount", "name": account, "namespace": "sluice-system"}}, "subjects")
			}
			install = append(install, obj)
		case "ClusterRoleBinding":
			obj.SetName(account + "-" + obj.GetName())
			_ = unstructured.SetNestedSlice(obj.Object, []any{map[string]any{"kind": "ServiceAccount", "name": account, "namespace": "sluice-system"}}, "subjects")
			install = append(install, obj)
		case "ClusterRole", "CustomResourceDefinition", "Namespace":
			install = append(install, obj)
		}
	}
	a, err := applier.New(playgroundtest.Client(), applier.Options{Owner: "rbac-namespaced-install", OwnerNamespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, install); err != nil {
		t.Fatalf("apply deploy/namespaced's RBAC: %v", err)
	}
}
