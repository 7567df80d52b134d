package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/ptr"

	"github.com/sluicehq/sluice/playground/demoapp"
	"github.com/sluicehq/sluice/playground/gateway"
)

// Split is the traffic split measured through the gateway: requests to
// Host, told apart by the version in their answers, against the weights of
// the app's HTTPRoute, which did not change during the measurement.
type Split struct {
	// PrimaryWeight and CanaryWeight are the route's weights of the
	// Services detail-primary and detail-canary.
	PrimaryWeight, CanaryWeight int32
	// PrimaryVersion and CanaryVersion are the image tags the primary and
	// the canary Deployments run.
	PrimaryVersion, CanaryVersion string
	// Requests is the number of requests sent; PrimaryAnswers and
	// CanaryAnswers count the answers of each version, whatever their
	// status; Lost counts the requests answered by neither (an error from
	// the gateway, another version).
	Requests, PrimaryAnswers, CanaryAnswers, Lost int
}

// CanaryShare is the percentage of the requests that the canary answered.
func (s Split) CanaryShare() float64 {
	if s.Requests == 0 {
		return 0
	}
	return 100 * float64(s.CanaryAnswers) / float64(s.Requests)
}

// String reads like "route 95/5, measured 4.6% on 2.0 (1000 requests)".
func (s Split) String() string {
	return fmt.Sprintf("route %d/%d, measured %.1f%% on the canary %s (%d of %d requests; %d on the primary %s, %d lost)",
		s.PrimaryWeight, s.CanaryWeight, s.CanaryShare(), s.CanaryVersion, s.CanaryAnswers, s.Requests, s.PrimaryAnswers, s.PrimaryVersion, s.Lost)
}

// The size of a measurement: enough requests that the measured share is
// within about 5 percentage points of the weight (four standard
// deviations at weight 20), few enough to take well under a second.
const (
	splitRequests    = 1000
	splitConcurrency = 8
)

// gatewayLag is how long the gateway may take to see a route that the API
// server has: the gateway routes by a watch of HTTPRoutes, so a
// measurement that starts the moment sluice wrote new weights would send
// its first requests by the old ones.
const gatewayLag = 500 * time.Millisecond

// splitMeter measures the split of the app's route through the gateway.
type splitMeter struct {
	kube   *cluster
	client *http.Client
	url    string
}

// measure sends splitRequests requests to Host and counts the answers by
// version. ok is false when the route's weights or the primary's version
// changed meanwhile, or when primary and canary run the same version,
// which cannot be told apart.
func (m *splitMeter) measure(ctx context.Context) (split Split, ok bool, err error) {
	select {
	case <-ctx.Done():
		return Split{}, false, ctx.Err()
	case <-time.After(gatewayLag):
	}
	before, err := m.weights(ctx)
	if err != nil {
		return Split{}, false, err
	}
	split = before
	if split.PrimaryVersion, err = m.version(ctx, App+"-primary"); err != nil {
		return Split{}, false, err
	}
	if split.CanaryVersion, err = m.version(ctx, App); err != nil {
		return Split{}, false, err
	}
	if split.PrimaryVersion == split.CanaryVersion {
		return split, false, nil
	}
	versions, _ := m.send(ctx, splitRequests)
	after, err := m.weights(ctx)
	if err != nil {
		return Split{}, false, err
	}
	if after.PrimaryWeight != before.PrimaryWeight || after.CanaryWeight != before.CanaryWeight {
		return split, false, nil
	}
	// A promotion that began meanwhile gives the primary the canary's
	// version.
	if after.PrimaryVersion, err = m.version(ctx, App+"-primary"); err != nil {
		return Split{}, false, err
	}
	if after.PrimaryVersion != split.PrimaryVersion {
		return split, false, nil
	}
	split.Requests = splitRequests
	split.PrimaryAnswers = versions[split.PrimaryVersion]
	split.CanaryAnswers = versions[split.CanaryVersion]
	split.Lost = splitRequests - split.PrimaryAnswers - split.CanaryAnswers
	return split, true, ctx.Err()
}

// serving sends n requests to Host and returns the versions that answered
// them, with the number of requests that got no version.
func (m *splitMeter) serving(ctx context.Context, n int) (map[string]int, int) {
	return m.send(ctx, n)
}

// send sends n requests to Host, splitConcurrency at a time, and counts
// the answers by version; lost counts those without one.
func (m *splitMeter) send(ctx context.Context, n int) (versions map[string]int, lost int) {
	var mu sync.Mutex
	versions = map[string]int{}
	var next atomic.Int64
	var workers sync.WaitGroup
	for range splitConcurrency {
		workers.Go(func() {
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				version := m.get(ctx)
				mu.Lock()
				if version == "" {
					lost++
				} else {
					versions[version]++
				}
				mu.Unlock()
			}
		})
	}
	workers.Wait()
	return versions, lost
}

// get requests the catalog detail and returns the version that answered,
// empty when none did.
func (m *splitMeter) get(ctx context.Context) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
	if err != nil {
		return ""
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var detail demoapp.Detail
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&detail); err != nil {
		return ""
	}
	return detail.Version
}

// weights reads the weights of the app's HTTPRoute.
func (m *splitMeter) weights(ctx context.Context) (Split, error) {
	route, err := m.kube.route(ctx)
	if err != nil {
		return Split{}, err
	}
	var split Split
	for _, rule := range route.Spec.Rules {
		for _, ref := range rule.BackendRefs {
			weight := ptr.Deref(ref.Weight, 1)
			switch string(ref.Name) {
			case App + "-primary":
				split.PrimaryWeight = weight
			case App + "-canary":
				split.CanaryWeight = weight
			}
		}
	}
	return split, nil
}

// version returns the image tag of a Deployment of the app.
func (m *splitMeter) version(ctx context.Context, name string) (string, error) {
	d, err := m.kube.deployment(ctx, name)
	if err != nil {
		return "", err
	}
	if len(d.Spec.Template.Spec.Containers) == 0 {
		return "", fmt.Errorf("the Deployment %s.%s has no container", name, Namespace)
	}
	return gateway.VersionOf(d.Spec.Template.Spec.Containers[0].Image), nil
}
