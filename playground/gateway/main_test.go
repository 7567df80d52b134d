package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	"sigs.k8s.io/yaml"

	"github.com/sluicehq/sluice/playground/demoapp"
	"github.com/sluicehq/sluice/playground/gateway"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// TestMain runs the tests on a playground. The gateway re-executes this
// test binary for every app process: RunIfChild turns those into apps.
func TestMain(m *testing.M) {
	demoapp.RunIfChild()
	playgroundtest.Main(m)
}

var httpRouteCRD struct {
	once sync.Once
	err  error
}

// installHTTPRouteCRD installs, once per test binary, the HTTPRoute CRD of
// the gateway-api module in go.mod and waits until it is established.
func installHTTPRouteCRD(t *testing.T) {
	t.Helper()
	httpRouteCRD.once.Do(func() { httpRouteCRD.err = installCRD(context.Background()) })
	if httpRouteCRD.err != nil {
		t.Fatalf("install the HTTPRoute CRD: %v", httpRouteCRD.err)
	}
}

func installCRD(ctx context.Context) error {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		return fmt.Errorf("locate the gateway-api module: %w", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard", "gateway.networking.k8s.io_httproutes.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		return err
	}
	c, err := client.New(playgroundtest.Playground().ControlPlane.Config, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(doc, crd); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if crd.Name == "" {
			continue
		}
		if err := c.Create(ctx, crd); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		if err := waitEstablished(ctx, c, crd.Name); err != nil {
			return err
		}
	}
}

// waitEstablished waits until the CRD name is established.
func waitEstablished(ctx context.Context, c client.Client, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
			return err
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("crd %s: not established: %w", name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startGateway starts a gateway on the playground for t, the apps at the
// given versions failing from the start, and closes it when t ends.
func startGateway(t *testing.T, faultyVersions ...string) *gateway.Gateway {
	t.Helper()
	installHTTPRouteCRD(t)
	gw, err := gateway.New(gateway.Options{
		Config: playgroundtest.Playground().ControlPlane.Config,
		Faulty: gateway.FaultyVersions(faultyVersions...),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := gw.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return gw
}

// routes returns a client of the playground's Gateway API objects.
func routes(t *testing.T) gatewayclient.Interface {
	t.Helper()
	c, err := gatewayclient.NewForConfig(playgroundtest.Playground().ControlPlane.Config)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// detail is the Canary target "detail" of one test, laid out as sluice
// lays it out for the gatewayapi provider.
type detail struct {
	t         *testing.T
	namespace string
	// host is the hostname of the HTTPRoute, unique to the test: routes of
	// earlier tests outlive them in namespaces that never finish deleting.
	host string
}

// deployDetail creates the Deployments detail (canary) and detail-primary
// at the given images, one replica each, the Services detail,
// detail-primary and detail-canary, and the HTTPRoute detail with
// canaryWeight for the canary. It deletes the Deployments and the route
// when t ends, so that later gateways do not run their apps.
func deployDetail(t *testing.T, namespace, canaryImage, primaryImage string, canaryWeight int32) *detail {
	t.Helper()
	ctx := context.Background()
	c := playgroundtest.Client()
	d := &detail{t: t, namespace: namespace, host: "detail." + namespace + ".example.com"}
	objects := []client.Object{
		deployment(namespace, "detail", canaryImage),
		deployment(namespace, "detail-primary", primaryImage),
		service(namespace, "detail", "detail-primary"),
		service(namespace, "detail-primary", "detail-primary"),
		service(namespace, "detail-canary", "detail"),
	}
	for _, obj := range objects {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	route := &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "detail", Namespace: namespace},
		Spec: gatewayv1.HTTPRouteSpec{
			Hostnames: []gatewayv1.Hostname{gatewayv1.Hostname(d.host)},
			Rules:     []gatewayv1.HTTPRouteRule{{BackendRefs: backendRefs(canaryWeight)}},
		},
	}
	if _, err := routes(t).GatewayV1().HTTPRoutes(namespace).Create(ctx, route, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, name := range []string{"detail", "detail-primary"} {
			obj := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
			if err := c.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("delete deployment %s: %v", name, err)
			}
		}
		err := routes(t).GatewayV1().HTTPRoutes(namespace).Delete(ctx, "detail", metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete httproute detail: %v", err)
		}
	})
	return d
}

func deployment(namespace, name, image string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "detail", Image: image, Ports: []corev1.ContainerPort{{ContainerPort: 3000}},
				}}},
			},
		},
	}
}

func service(namespace, name, app string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": app},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 3000}},
		},
	}
}

// backendRefs returns the weighted backends of the route's rule.
func backendRefs(canaryWeight int32) []gatewayv1.HTTPBackendRef {
	port := gatewayv1.PortNumber(3000)
	ref := func(name string, weight int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: &port},
			Weight:                 ptr.To(weight),
		}}
	}
	return []gatewayv1.HTTPBackendRef{ref("detail-primary", 100-canaryWeight), ref("detail-canary", canaryWeight)}
}

// setWeight routes canaryWeight percent of the route's traffic to the
// canary.
func (d *detail) setWeight(canaryWeight int32) {
	d.t.Helper()
	ctx := context.Background()
	client := routes(d.t).GatewayV1().HTTPRoutes(d.namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		route, err := client.Get(ctx, "detail", metav1.GetOptions{})
		if err != nil {
			return err
		}
		route.Spec.Rules[0].BackendRefs = backendRefs(canaryWeight)
		_, err = client.Update(ctx, route, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
}

// updateDeployment changes the Deployment name with edit.
func (d *detail) updateDeployment(name string, edit func(*appsv1.Deployment)) {
	d.t.Helper()
	ctx := context.Background()
	c := playgroundtest.Client()
	// The deployment controller writes the object too, so a conflict is
	// retried on a fresh read.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj := &appsv1.Deployment{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: d.namespace, Name: name}, obj); err != nil {
			return err
		}
		edit(obj)
		return c.Update(ctx, obj)
	})
	if err != nil {
		d.t.Fatal(err)
	}
}

// answer is what one request through the gateway got: the version that
// answered 200, or the status code.
func answer(resp *http.Response) string {
	body, _ := io.ReadAll(resp.Body)
	var got demoapp.Detail
	switch {
	case json.Unmarshal(body, &got) != nil || got.Version == "":
		return fmt.Sprint(resp.StatusCode)
	case resp.StatusCode == http.StatusOK:
		return got.Version
	default:
		return fmt.Sprintf("%d %s", resp.StatusCode, got.Version)
	}
}

// get sends GET path with host as Host header through gw and returns the
// answer.
func get(t *testing.T, gw *gateway.Gateway, host, path string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, gw.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return answer(resp)
}

// sample sends n requests for /catalogDetail with host as Host header
// through gw, eight at a time, and counts the answers.
func sample(t *testing.T, gw *gateway.Gateway, host string, n int) map[string]int {
	t.Helper()
	const workers = 8
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		errs   []error
		wg     sync.WaitGroup
	)
	transport := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: workers}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				req, _ := http.NewRequest(http.MethodGet, gw.URL()+"/catalogDetail", nil)
				req.Host = host
				resp, err := client.Do(req)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					counts[answer(resp)]++
					resp.Body.Close()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d requests failed, the first with %v", len(errs), errs[0])
	}
	return counts
}

// waitUntil polls ok every 50ms until it holds, failing t with what after
// timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// running reports whether gw runs a process for the Deployment.
func running(gw *gateway.Gateway, namespace, deployment string) bool {
	for _, p := range gw.Processes() {
		if p.Namespace == namespace && p.Deployment == deployment {
			return true
		}
	}
	return false
}

// processesOf returns the processes gw runs in namespace, without their
// pid and address.
func processesOf(gw *gateway.Gateway, namespace string) []gateway.Process {
	var list []gateway.Process
	for _, p := range gw.Processes() {
		if p.Namespace == namespace {
			list = append(list, gateway.Process{App: p.App})
		}
	}
	return list
}
