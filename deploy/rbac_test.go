package deploy_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/applier"
	"github.com/sluicehq/sluice/manifests"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// TestSluiceAsItsServiceAccountWritesWhatItNeedsAndIsRefusedTheRest binds
// nothing but deploy/'s manifests: sluice, holding a token of the sluice
// ServiceAccount, applies a Deployment, Service and ConfigMap; a CronJob in
// Git is refused with the verb, the resource and the role to extend; a
// ClusterRole with the aggregation label then lets it through.
func TestSluiceAsItsServiceAccountWritesWhatItNeedsAndIsRefusedTheRest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	installManifests(ctx, t)
	waitForAggregatedRules(ctx, t, "sluice", "deployments")
	namespace := playgroundtest.Namespace(t)
	sluice, err := applier.New(serviceAccountClient(ctx, t, "sluice-system", "sluice"), applier.Options{Owner: "rbac-test", OwnerNamespace: namespace})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := sluice.Apply(ctx, unstructuredObjects(t, seedObjects(namespace)...)); err != nil {
		t.Fatalf("apply a Deployment, Service and ConfigMap as sluice: %v", err)
	}

	cronJob := unstructuredObjects(t, nightlyCronJob(namespace))
	_, err = sluice.Apply(ctx, cronJob)
	var forbidden *applier.ForbiddenError
	if !errors.As(err, &forbidden) {
		t.Fatalf("apply a CronJob as sluice: got %v, want an *applier.ForbiddenError", err)
	}
	if forbidden.Verb != "patch" || forbidden.Resource != "cronjobs.batch" {
		t.Errorf("refused verb and resource = %q %q, want \"patch\" \"cronjobs.batch\"", forbidden.Verb, forbidden.Resource)
	}
	for _, want := range []string{"may not patch cronjobs.batch", "ClusterRole sluice-extra", "rbac.authorization.k8s.io/aggregate-to-sluice"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}

	extendSluice(ctx, t, rbacv1.PolicyRule{APIGroups: []string{"batch"}, Resources: []string{"cronjobs"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}})
	err = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := sluice.Apply(ctx, cronJob)
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("the CronJob is still refused once a role labelled %s grants it", applier.AggregateLabel)
	}
}

func installManifests(ctx context.Context, t *testing.T) {
	t.Helper()
	rendering, err := manifests.Render(".", ".", manifests.Options{})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := applier.New(playgroundtest.Client(), applier.Options{Owner: "deploy-test", OwnerNamespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Apply(ctx, rendering.Objects); err != nil {
		t.Fatalf("apply the install manifests: %v", err)
	}
}

// waitForAggregatedRules waits until the controller manager has gathered
// into the ClusterRole name a rule for resource.
func waitForAggregatedRules(ctx context.Context, t *testing.T, name, resource string) {
	t.Helper()
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		var role rbacv1.ClusterRole
		if err := playgroundtest.Client().Get(ctx, client.ObjectKey{Name: name}, &role); err != nil {
			return false, nil
		}
		for _, rule := range role.Rules {
			for _, r := range rule.Resources {
				if r == resource {
					return true, nil
				}
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("ClusterRole %s never aggregated a rule for %s", name, resource)
	}
}

// serviceAccountClient returns a client authenticated as the ServiceAccount
// with a token from the TokenRequest API, as a pod's projected token is.
func serviceAccountClient(ctx context.Context, t *testing.T, namespace, name string) client.Client {
	t.Helper()
	admin := playgroundtest.Playground().ControlPlane.Config
	kube, err := kubernetes.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	token, err := kube.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("request a token for %s/%s: %v", namespace, name, err)
	}
	config := rest.AnonymousClientConfig(admin)
	config.BearerToken = token.Status.Token
	c, err := client.New(config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// extendSluice does what a user does for a kind their Git holds: a
// ClusterRole with the aggregation label.
func extendSluice(ctx context.Context, t *testing.T, rule rbacv1.PolicyRule) {
	t.Helper()
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "sluice-extra-" + strings.ToLower(strings.Join(rule.Resources, "-")), Labels: map[string]string{applier.AggregateLabel: "true"}},
		Rules:      []rbacv1.PolicyRule{rule},
	}
	if err := playgroundtest.Client().Create(ctx, role); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = playgroundtest.Client().Delete(context.Background(), role) })
}

func seedObjects(namespace string) []client.Object {
	labels := map[string]string{"app": "podinfo"}
	meta := metav1.ObjectMeta{Name: "podinfo", Namespace: namespace}
	return []client.Object{
		&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta, Data: map[string]string{"greeting": "hello"}},
		&corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: meta,
			Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80}}}},
		&appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: meta,
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "podinfo", Image: "podinfo:1"}}},
				},
			}},
	}
}

func nightlyCronJob(namespace string) client.Object {
	return &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: namespace},
		Spec: batchv1.CronJobSpec{
			Schedule: "0 3 * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "nightly", Image: "busybox"}},
			}}}},
		},
	}
}

func unstructuredObjects(t *testing.T, objects ...client.Object) []*unstructured.Unstructured {
	t.Helper()
	out := make([]*unstructured.Unstructured, len(objects))
	for i, obj := range objects {
		content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = &unstructured.Unstructured{Object: content}
	}
	return out
}

// The namespaced variant binds sluice to Roles in its namespace and
// sluice-system (and to a ClusterRole for its CRDs only), drops the binding
// of the cluster-wide role, and runs sluice with --namespace.
func TestTheNamespacedVariantBindsRolesAndRestrictsTheRun(t *testing.T) {
	// A user's install kustomization lives outside deploy/ (kustomize
	// refuses a kustomization under the base it includes).
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "deploy"), os.DirFS(".")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "install"), 0o755); err != nil {
		t.Fatal(err)
	}
	install := "resources: [../deploy]\ncomponents: [../deploy/namespaced]\n"
	if err := os.WriteFile(filepath.Join(root, "install", "kustomization.yaml"), []byte(install), 0o644); err != nil {
		t.Fatal(err)
	}
	rendering, err := manifests.Render(root, "install", manifests.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bindings := map[string]string{}
	var args []string
	for _, obj := range rendering.Objects {
		switch obj.GetKind() {
		case "RoleBinding", "ClusterRoleBinding":
			role, _, _ := unstructured.NestedString(obj.Object, "roleRef", "name")
			bindings[obj.GetKind()+"/"+obj.GetNamespace()+"/"+obj.GetName()] = role
		case "Deployment":
			containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
			args, _, _ = unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
		}
	}
	want := map[string]string{
		"RoleBinding/apps/sluice":                "sluice",
		"RoleBinding/sluice-system/sluice-state": "sluice-state",
		"ClusterRoleBinding//sluice-crds":        "sluice-crds",
	}
	if diff := cmp.Diff(want, bindings); diff != "" {
		t.Errorf("bindings of the namespaced variant (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"run", "--namespace=apps"}, args); diff != "" {
		t.Errorf("sluice's args (-want +got):\n%s", diff)
	}
}
