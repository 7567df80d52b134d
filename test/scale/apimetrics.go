package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"
)

// requestCounts are apiserver_request_total summed by "VERB resource" (the
// resource with its subresource, resource/subresource, followed by
// dryRunMark for dry runs).
type requestCounts map[string]float64

// parseRequestCounts reads the API server's /metrics text and sums
// apiserver_request_total by verb and resource, whatever the code, group
// and scope.
func parseRequestCounts(r io.Reader) (requestCounts, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("apiserver metrics: %w", err)
	}
	counts := requestCounts{}
	family, ok := families["apiserver_request_total"]
	if !ok {
		return counts, nil
	}
	for _, m := range family.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		resource := labels["resource"]
		if sub := labels["subresource"]; sub != "" {
			resource += "/" + sub
		}
		if labels["dry_run"] != "" {
			resource += dryRunMark
		}
		counts[labels["verb"]+" "+resource] += m.GetCounter().GetValue()
	}
	return counts, nil
}

// since returns the counts that grew from before to c, by how much.
func (c requestCounts) since(before requestCounts) requestCounts {
	delta := requestCounts{}
	for key, value := range c {
		if d := value - before[key]; d > 0 {
			delta[key] = d
		}
	}
	return delta
}

// total sums the counts whose key keep accepts (all when keep is nil).
func (c requestCounts) total(keep func(verb, resource string) bool) float64 {
	var sum float64
	for key, value := range c {
		verb, resource, _ := strings.Cut(key, " ")
		if keep == nil || keep(verb, resource) {
			sum += value
		}
	}
	return sum
}

// top lists at most n counts whose key keep accepts, the largest first,
// each divided by per, as "VERB resource ×value".
func (c requestCounts) top(n int, per float64, keep func(verb, resource string) bool) string {
	keys := slices.Collect(maps.Keys(c))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(c[b], c[a]), cmp.Compare(a, b)) })
	var parts []string
	for _, key := range keys {
		verb, resource, _ := strings.Cut(key, " ")
		if keep != nil && !keep(verb, resource) {
			continue
		}
		if len(parts) == n {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%s %s ×%.3g", verb, resource, c[key]/per))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// dryRunMark ends the resource of a dry run's count.
const dryRunMark = " (dry run)"

// isDryRun reports whether resource, from a key of requestCounts, counts
// dry runs.
func isDryRun(resource string) bool { return strings.HasSuffix(resource, dryRunMark) }

// isWrite reports whether verb changes something.
func isWrite(verb string) bool {
	switch verb {
	case "POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION", "APPLY", "CREATE", "UPDATE":
		return true
	}
	return false
}

// byControlPlane reports whether requests on resource come from the
// playground's own components (scheduler, controllers, kwok) rather than
// from sluice: sluice never writes pods, replica sets, nodes, leases
// (without --leader-elect), endpoints or a Deployment's status.
func byControlPlane(resource string) bool {
	base, sub, _ := strings.Cut(strings.TrimSuffix(resource, dryRunMark), "/")
	switch base {
	case "pods", "replicasets", "nodes", "leases", "endpointslices", "endpoints", "serviceaccounts":
		return true
	case "deployments":
		return sub == "status"
	}
	return false
}

// readRequestCounts fetches the API server's /metrics with config's
// credentials.
func readRequestCounts(ctx context.Context, config *rest.Config) (requestCounts, error) {
	client, err := rest.HTTPClientFor(config)
	if err != nil {
		return nil, fmt.Errorf("apiserver metrics: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(config.Host, "/")+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("apiserver metrics: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("apiserver metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("apiserver metrics: %s", resp.Status)
	}
	return parseRequestCounts(resp.Body)
}

// splitKey splits a key of requestCounts into its verb and resource.
func splitKey(key string) (verb, resource string) {
	verb, resource, _ = strings.Cut(key, " ")
	return verb, resource
}
