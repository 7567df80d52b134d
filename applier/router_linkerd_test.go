package applier_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluicehq/sluice/api/v1alpha1"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

func TestRouteLinkerdAttachesTheHTTPRouteToTheApexService(t *testing.T) {
	ctx := context.Background()
	ns := playgroundtest.Namespace(t)
	a := newApplier(t, ns)
	r := routerFor(t, a, ns, v1alpha1.ProviderLinkerd)
	canary := detailCanary(ns, v1alpha1.ProviderLinkerd)
	canary.Spec.Service.Name = "shop"
	canary.Spec.Service.Timeout = "5s"
	canary.Spec.Service.Match = []v1alpha1.HTTPMatchRequest{{URI: &v1alpha1.StringMatch{Prefix: "/api"}}}
	if _, err := r.SetWeights(ctx, canary, 80, 20); err != nil {
		t.Fatal(err)
	}

	route := liveHTTPRouteNamed(t, ns, "shop")
	want := []gatewayv1.ParentReference{{
		Group: ptr.To(gatewayv1.Group("")), Kind: ptr.To(gatewayv1.Kind("Service")),
		Namespace: ptr.To(gatewayv1.Namespace(ns)), Name: "shop", Port: ptr.To(gatewayv1.PortNumber(3000)),
	}}
	if diff := cmp.Diff(want, route.Spec.ParentRefs); diff != "" {
		t.Errorf("parentRefs (-want +got):\n%s", diff)
	}
	if len(route.Spec.Hostnames) != 0 {
		t.Errorf("hostnames %v, want none: the route is the apex Service's", route.Spec.Hostnames)
	}
	rule := route.Spec.Rules[0]
	if diff := cmp.Diff([]string{"shop-primary:3000=80", "shop-canary:3000=20"}, backends(rule)); diff != "" {
		t.Errorf("backendRefs (-want +got):\n%s", diff)
	}
	wantMatch := []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/api")}}}
	if diff := cmp.Diff(wantMatch, rule.Matches); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
	if rule.Timeouts == nil || ptr.Deref(rule.Timeouts.Request, "") != "5s" {
		t.Errorf("timeouts %+v, want request 5s", rule.Timeouts)
	}
	if got := readWeights(t, r, canary); got != (weights{80, 20}) {
		t.Errorf("Weights = %v, want 80/20", got)
	}
}
