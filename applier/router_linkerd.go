package applier

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// linkerdRouting routes with the HTTPRoute of gatewayAPIRouting attached
// to the apex Service on spec.service.port instead of to Gateways: Gateway
// API's mesh pattern (GAMMA), which the proxies of Linkerd 2.14 and later
// read, so that every meshed caller of the apex Service gets the split. It
// is written, read and owned as gatewayAPIRouting's; the HTTPRoute has no
// hostnames (validation refuses gatewayRefs and hosts with this provider)
// and no URL rewrite, which Linkerd's proxies do not implement.
type linkerdRouting struct{ gatewayAPIRouting }

func (linkerdRouting) objects(_ context.Context, _ client.Reader, canary *v1alpha1.Canary, s split) ([]*unstructured.Unstructured, error) {
	return httpRouteObjects(canary, s, []gatewayv1.ParentReference{apexParent(canary)})
}

// apexParent is the parent of a mesh HTTPRoute: the apex Service (core
// group) on spec.service.port.
func apexParent(canary *v1alpha1.Canary) gatewayv1.ParentReference {
	return gatewayv1.ParentReference{
		Group:     ptr.To(gatewayv1.Group("")),
		Kind:      ptr.To(gatewayv1.Kind("Service")),
		Namespace: ptr.To(gatewayv1.Namespace(canary.Namespace)),
		Name:      gatewayv1.ObjectName(canary.ApexServiceName()),
		Port:      ptr.To(gatewayv1.PortNumber(canary.Spec.Service.Port)),
	}
}
