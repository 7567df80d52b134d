package demo

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// cluster is what the story reads and writes in the playground's API
// server, through client-go's clients (which, unlike controller-runtime's,
// need no process-wide logger).
type cluster struct {
	core    kubernetes.Interface
	crds    apiextensionsclient.Interface
	routes  gatewayclient.Interface
	dynamic dynamic.Interface
}

// newCluster returns the clients of the API server at config.
func newCluster(config *rest.Config) (*cluster, error) {
	c := &cluster{}
	var err error
	if c.core, err = kubernetes.NewForConfig(config); err != nil {
		return nil, err
	}
	if c.crds, err = apiextensionsclient.NewForConfig(config); err != nil {
		return nil, err
	}
	if c.routes, err = gatewayclient.NewForConfig(config); err != nil {
		return nil, err
	}
	if c.dynamic, err = dynamic.NewForConfig(config); err != nil {
		return nil, err
	}
	return c, nil
}

// canary returns the app's Canary; nil, without error, when there is none
// yet.
func (c *cluster) canary(ctx context.Context) (*v1alpha1.Canary, error) {
	u, err := c.dynamic.Resource(v1alpha1.GroupVersion.WithResource("canaries")).Namespace(Namespace).Get(ctx, App, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read the Canary: %w", err)
	}
	var canary v1alpha1.Canary
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &canary); err != nil {
		return nil, fmt.Errorf("read the Canary: %w", err)
	}
	return &canary, nil
}

// route returns the app's HTTPRoute.
func (c *cluster) route(ctx context.Context) (*gatewayv1.HTTPRoute, error) {
	route, err := c.routes.GatewayV1().HTTPRoutes(Namespace).Get(ctx, App, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("read the HTTPRoute %s.%s: %w", App, Namespace, err)
	}
	return route, nil
}

// deployment returns a Deployment of the app's namespace.
func (c *cluster) deployment(ctx context.Context, name string) (*appsv1.Deployment, error) {
	d, err := c.core.AppsV1().Deployments(Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("read the Deployment %s.%s: %w", name, Namespace, err)
	}
	return d, nil
}

// installCRD creates crd unless it exists and waits until it is
// established.
func (c *cluster) installCRD(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) error {
	crds := c.crds.ApiextensionsV1().CustomResourceDefinitions()
	if _, err := crds.Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("install CRD %s: %w", crd.Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if live, err := crds.Get(ctx, crd.Name, metav1.GetOptions{}); err == nil && established(live) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("CRD %s not established: %w", crd.Name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, cond := range crd.Status.Conditions {
		if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}
