package reconciler

import (
	"context"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// EnsureCRD installs the CRDs of sluice (Canary, MetricTemplate,
// AlertProvider) that the cluster lacks and waits until each is
// established. An existing CRD is left as it is.
func EnsureCRD(ctx context.Context, c client.Client) error {
	crds, err := v1alpha1.CRDs()
	if err != nil {
		return err
	}
	for _, crd := range crds {
		if err := ensureCRD(ctx, c, crd); err != nil {
			return err
		}
	}
	return nil
}

// ensureCRD installs one CRD when missing and waits until it is
// established.
func ensureCRD(ctx context.Context, c client.Client, crd *apiextensionsv1.CustomResourceDefinition) error {
	var live apiextensionsv1.CustomResourceDefinition
	err := c.Get(ctx, client.ObjectKeyFromObject(crd), &live)
	switch {
	case apierrors.IsNotFound(err):
		if err := c.Create(ctx, crd); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("install CRD %s: %w", crd.Name, err)
		}
	case err != nil:
		return fmt.Errorf("read CRD %s: %w", crd.Name, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := c.Get(ctx, client.ObjectKeyFromObject(crd), &live); err == nil && established(&live) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CRD %s not established after 30s", crd.Name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
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
