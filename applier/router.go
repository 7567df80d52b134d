package applier

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/api/v1alpha1"
)

// Router sets and reads the traffic split between the primary and the canary
// of one Canary. The routing objects are named after the Canary's apex
// Service (spec.service.name, or the target's name: see
// v1alpha1.Canary.ApexServiceName) and live in the Canary's namespace; they
// route to the Services <apex>-primary and <apex>-canary (see Services) on
// spec.service.port.
//
// With spec.analysis.match (A/B testing), the split applies to the matching
// requests only and every other request goes to the primary: SetWeights(0,
// 100) sends all the matching requests to the canary, SetWeights(100, 0)
// none.
//
// With spec.analysis.mirror (providers gatewayapi and istio), Mirror
// routes all the traffic to the primary and copies
// spec.analysis.mirrorWeight percent of the requests (zero: all of them)
// to the canary, whose answers are dropped; SetWeights stops the copies.
//
// With spec.analysis.sessionAffinity (providers gatewayapi and istio),
// while the canary's weight is above 0 its answers set a cookie
// (Set-Cookie: <cookieName>=<value>; Max-Age=<maxAge>; Path=/) and the
// requests that carry it go to the canary whatever the weights, so that a
// user the weights sent to the canary stays there: the value is kept from
// call to call on the routing object (SessionAffinityAnnotation) and is
// new for each rollout. At weight 0 the cookie routes nowhere. With
// sessionAffinity.primaryCookieName the primary's answers set that
// cookie, with the same value, and the requests that carry it go to the
// primary.
//
// Every write is a server-side apply with field manager FieldManager, dry-run
// first, so that a call that changes nothing writes nothing; the Changes
// returned say what was written. A Router keeps no state between calls and
// is safe for concurrent use. Obtain one from Applier.Router.
type Router interface {
	// Reconcile creates or updates the routing objects of the Canary so that
	// they match its spec (parents, hosts, port, match), keeping the split
	// they route now. When they do not exist yet, all the traffic goes to the
	// primary. It is idempotent. A routing object that exists but holds no
	// split Reconcile can read is an error: SetWeights overwrites it.
	Reconcile(ctx context.Context, canary *v1alpha1.Canary) (Changes, error)
	// SetWeights routes primaryWeight percent of the traffic to the primary
	// and canaryWeight percent to the canary, creating the routing objects
	// when missing. The weights are between 0 and 100 and sum to 100;
	// otherwise, or when the provider cannot route that split (kubernetes
	// switches all the traffic at once), the error is a *WeightsError and
	// nothing is written. It is idempotent.
	SetWeights(ctx context.Context, canary *v1alpha1.Canary, primaryWeight, canaryWeight int32) (Changes, error)
	// Weights reads the split back from the live routing objects, as written
	// on them. When they do not exist the error satisfies
	// apierrors.IsNotFound.
	Weights(ctx context.Context, canary *v1alpha1.Canary) (primaryWeight, canaryWeight int32, err error)
	// Mirror routes all the traffic to the primary and copies requests to
	// the canary (see above), creating the routing objects when missing.
	// A provider that cannot mirror is a *MirrorError and nothing is
	// written. It is idempotent.
	Mirror(ctx context.Context, canary *v1alpha1.Canary) (Changes, error)
	// Mirrored reads back whether the live routing objects copy requests
	// to the canary; false for a provider that cannot mirror. When they do
	// not exist the error satisfies apierrors.IsNotFound.
	Mirrored(ctx context.Context, canary *v1alpha1.Canary) (bool, error)
}

// routers is the registry behind Applier.Router: one entry per provider of
// v1alpha1.Providers, which a test checks.
var routers = map[string]routing{
	v1alpha1.ProviderGatewayAPI: gatewayAPIRouting{},
	v1alpha1.ProviderIstio:      istioRouting{},
	v1alpha1.ProviderAppMesh:    appMeshRouting{},
	v1alpha1.ProviderKubernetes: kubernetesRouting{},
	v1alpha1.ProviderLinkerd:    linkerdRouting{},
}

// Router returns the traffic router of provider (a Canary's spec.provider):
//
//   - gatewayapi: an HTTPRoute with two weighted backendRefs;
//   - istio: a VirtualService with two weighted destinations;
//   - appmesh: App Mesh virtual nodes, a virtual router with weighted
//     targets, and a virtual service (AWS ended App Mesh support in
//     September 2026: prefer gatewayapi);
//   - kubernetes: blue/green, the apex Service's selector switched between
//     the primary and the canary pods;
//   - linkerd: the HTTPRoute of gatewayapi attached to the apex Service
//     (Gateway API's mesh pattern, GAMMA), which Linkerd's proxies route
//     by.
//
// An unknown provider, the empty one included (v1alpha1's Default turns it
// into gatewayapi), is an *UnknownProviderError.
func (a *Applier) Router(provider string) (Router, error) {
	r, ok := routers[provider]
	if !ok {
		var known []string
		for _, name := range v1alpha1.Providers() {
			if _, ok := routers[name]; ok {
				known = append(known, name)
			}
		}
		return nil, &UnknownProviderError{Provider: provider, Known: known}
	}
	return &router{applier: a, routing: r, provider: provider}, nil
}

// UnknownProviderError is returned for a provider that has no router.
type UnknownProviderError struct {
	// Provider is the name asked for.
	Provider string
	// Known lists the providers that have a router.
	Known []string
}

func (e *UnknownProviderError) Error() string {
	return fmt.Sprintf("provider %q: no traffic router by that name (known: %s)", e.Provider, strings.Join(e.Known, ", "))
}

// WeightsError is returned for a split a router cannot route: a weight
// outside 0..100, weights that do not sum to 100, or, with provider
// kubernetes, anything but 100/0 and 0/100.
type WeightsError struct {
	// Primary and Canary are the weights asked for.
	Primary, Canary int32
	// Reason says what is wrong with them.
	Reason string
}

func (e *WeightsError) Error() string {
	return fmt.Sprintf("weights %d/%d: %s", e.Primary, e.Canary, e.Reason)
}

// MirrorError is returned by Mirror for a provider that cannot copy
// requests to the canary.
type MirrorError struct {
	// Provider is the Canary's provider.
	Provider string
}

func (e *MirrorError) Error() string {
	return fmt.Sprintf("provider %s cannot mirror requests: use gatewayapi or istio", e.Provider)
}

// mirrorProviders are the providers whose routing copies requests.
var mirrorProviders = map[string]bool{v1alpha1.ProviderGatewayAPI: true, v1alpha1.ProviderIstio: true}

// split is a traffic split in percent; mirror, with all the traffic on
// the primary, also copies requests to the canary; session is the session
// affinity cookie ("name=value", see withSession) that keeps the users
// the canary answered on it, empty for none.
type split struct {
	primary, canary int32
	mirror          bool
	session         string
}

// allToPrimary is where a new route starts.
var allToPrimary = split{primary: 100}

// check returns a *WeightsError unless s is two weights of 0..100 summing
// to 100.
func (s split) check() error {
	switch {
	case s.primary < 0 || s.primary > 100 || s.canary < 0 || s.canary > 100:
		return &WeightsError{Primary: s.primary, Canary: s.canary, Reason: "each weight must be between 0 and 100"}
	case s.primary+s.canary != 100:
		return &WeightsError{Primary: s.primary, Canary: s.canary, Reason: "the weights must sum to 100"}
	}
	return nil
}

// routing is what a provider brings to a router: the objects that route a
// split and the split read back from the live ones. Errors name the object
// ("httproute detail: …"), not the Canary, which the router adds.
type routing interface {
	// objects returns the routing objects of canary routing s, which has
	// passed split.check.
	objects(ctx context.Context, r client.Reader, canary *v1alpha1.Canary, s split) ([]*unstructured.Unstructured, error)
	// split reads the split from the live objects; a missing object is an
	// error satisfying apierrors.IsNotFound.
	split(ctx context.Context, r client.Reader, canary *v1alpha1.Canary) (split, error)
	// owned lists the kinds and names of the routing objects of canary.
	owned(canary *v1alpha1.Canary) []ownedObject
}

// ownedObject is the kind and name of a routing object, in the Canary's
// namespace.
type ownedObject struct {
	gvk  schema.GroupVersionKind
	name string
}

// RoutingInventory returns the inventory entries of the routing objects
// the router of canary's provider writes (see Router), whether or not
// they exist yet: what sluice owns for that Canary besides its Services,
// primary and config copies, and prunes when the Canary leaves Git. An
// unknown provider is an *UnknownProviderError.
func RoutingInventory(canary *v1alpha1.Canary) (Inventory, error) {
	r, ok := routers[canary.Spec.Provider]
	if !ok {
		return nil, &UnknownProviderError{Provider: canary.Spec.Provider, Known: v1alpha1.Providers()}
	}
	var objects []*unstructured.Unstructured
	for _, o := range r.owned(canary) {
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(o.gvk)
		obj.SetNamespace(canary.Namespace)
		obj.SetName(o.name)
		objects = append(objects, obj)
	}
	return InventoryOf(objects), nil
}

// router is a Router made of a provider's routing and the Applier that
// writes its objects.
type router struct {
	applier  *Applier
	routing  routing
	provider string
}

func (r *router) Reconcile(ctx context.Context, canary *v1alpha1.Canary) (Changes, error) {
	current, err := r.routing.split(ctx, r.applier.client, canary)
	switch {
	case apierrors.IsNotFound(err):
		current = allToPrimary
	case err != nil:
		return nil, canaryError(canary, err)
	}
	return r.apply(ctx, canary, current)
}

func (r *router) SetWeights(ctx context.Context, canary *v1alpha1.Canary, primaryWeight, canaryWeight int32) (Changes, error) {
	s := split{primary: primaryWeight, canary: canaryWeight}
	if err := s.check(); err != nil {
		return nil, canaryError(canary, err)
	}
	return r.apply(ctx, canary, s)
}

func (r *router) Weights(ctx context.Context, canary *v1alpha1.Canary) (int32, int32, error) {
	s, err := r.routing.split(ctx, r.applier.client, canary)
	if err != nil {
		return 0, 0, canaryError(canary, err)
	}
	return s.primary, s.canary, nil
}

func (r *router) Mirror(ctx context.Context, canary *v1alpha1.Canary) (Changes, error) {
	if !mirrorProviders[r.provider] {
		return nil, canaryError(canary, &MirrorError{Provider: r.provider})
	}
	return r.apply(ctx, canary, split{primary: 100, mirror: true})
}

func (r *router) Mirrored(ctx context.Context, canary *v1alpha1.Canary) (bool, error) {
	s, err := r.routing.split(ctx, r.applier.client, canary)
	if err != nil {
		return false, canaryError(canary, err)
	}
	return s.mirror, nil
}

// apply renders the routing objects of s, with its session affinity
// cookie, and applies them.
func (r *router) apply(ctx context.Context, canary *v1alpha1.Canary, s split) (Changes, error) {
	s, err := r.withSession(ctx, canary, s)
	if err != nil {
		return nil, canaryError(canary, err)
	}
	objects, err := r.routing.objects(ctx, r.applier.client, canary, s)
	if err != nil {
		return nil, canaryError(canary, err)
	}
	changes, err := r.applier.Apply(ctx, objects)
	if err != nil {
		return changes, canaryError(canary, err)
	}
	return changes, nil
}

// canaryError prefixes err with the Canary it is about: "canary
// flagger/detail: httproute detail: …".
func canaryError(canary *v1alpha1.Canary, err error) error {
	return fmt.Errorf("canary %s/%s: %w", canary.Namespace, canary.Name, err)
}

// routeLabels are the labels of every routing object, as on the Services.
func routeLabels() map[string]string {
	return map[string]string{"app.kubernetes.io/managed-by": "sluice"}
}

// getLive reads the object of kind gvk named name in the Canary's
// namespace. The error names the object in lower case ("httproute detail")
// and wraps the client's, so that apierrors.IsNotFound holds for a missing
// object.
func getLive(ctx context.Context, r client.Reader, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", strings.ToLower(gvk.Kind), name, err)
	}
	return obj, nil
}

// unstructuredOf converts a typed object, whose TypeMeta is set, for Apply.
func unstructuredOf(obj runtime.Object) (*unstructured.Unstructured, error) {
	objects, err := ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return objects[0], nil
}

// splitOf returns the split of weights, a weight per backend name; both the
// primary's and the canary's (named after the apex Service) must be there.
// subject names the object read.
func splitOf(subject string, weights map[string]int32, apex string) (split, error) {
	primaryWeight, hasPrimary := weights[PrimaryName(apex)]
	canaryWeight, hasCanary := weights[CanaryServiceName(apex)]
	switch {
	case !hasPrimary:
		return split{}, fmt.Errorf("%s: no route to %s", subject, PrimaryName(apex))
	case !hasCanary:
		return split{}, fmt.Errorf("%s: no route to %s", subject, CanaryServiceName(apex))
	}
	return split{primary: primaryWeight, canary: canaryWeight}, nil
}
