package gateway_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/sluicehq/sluice/playground"
	"github.com/sluicehq/sluice/playground/gateway"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// scrape has the playground's Prometheus scrape gw's metrics every second.
func scrape(t *testing.T, gw *gateway.Gateway, job string) {
	t.Helper()
	u, err := url.Parse(gw.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	err = playgroundtest.Playground().Prometheus.AddScrapeTargets(context.Background(), playground.ScrapeTarget{
		Job: job, Targets: []string{u.Host}, MetricsPath: u.Path, Interval: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// query returns the value of a PromQL query that returns one sample, and
// false when it returns none.
func query(t *testing.T, promQL string) (float64, bool) {
	t.Helper()
	c, err := api.NewClient(api.Config{Address: playgroundtest.Playground().Prometheus.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	value, _, _, err := promv1.NewAPI(c).Query(ctx, promQL, time.Now())
	if err != nil {
		t.Fatalf("query %s: %v", promQL, err)
	}
	vector, ok := value.(model.Vector)
	if !ok {
		t.Fatalf("query %s: got a %s, want a vector", promQL, value.Type())
	}
	if len(vector) == 0 {
		return 0, false
	}
	return float64(vector[0].Value), true
}

// sendSteadily sends a request for /catalogDetail with host as Host header
// through gw every 20ms until the test ends.
func sendSteadily(t *testing.T, gw *gateway.Gateway, host string) {
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	t.Cleanup(func() { cancel(); done.Wait() })
	done.Go(func() {
		ticker := time.NewTicker(20 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, gw.URL()+"/catalogDetail", nil)
			req.Host = host
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	})
}

func TestGatewayMetricsAnswerTheAnalysisQueries(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	gw := startGateway(t)
	deployDetail(t, ns, "ghcr.io/sluicehq/detail:2.0", "ghcr.io/sluicehq/detail:1.0", 10)
	canary := "detail-canary." + ns + ":3000"
	waitUntil(t, 20*time.Second, "answering with the canary", func() bool {
		return get(t, gw, canary, "/catalogDetail") == "2.0"
	})
	scrape(t, gw, "gateway-"+ns)
	sendSteadily(t, gw, canary)

	requestRate := fmt.Sprintf(`sum(rate(http_requests_total{namespace=%q,workload="detail"}[30s]))`, ns)
	successRate := fmt.Sprintf(`100 * sum(rate(http_requests_total{namespace=%q,workload="detail",code!~"5.."}[30s]))`+
		` / sum(rate(http_requests_total{namespace=%q,workload="detail"}[30s]))`, ns, ns)
	duration := fmt.Sprintf(`1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace=%q,workload="detail"}[30s])))`, ns)

	waitUntil(t, 30*time.Second, "measuring the canary's request rate", func() bool {
		rate, ok := query(t, requestRate)
		return ok && rate > 0
	})
	// 100 × the ratio of two rates: equal rates may divide to 100 plus a
	// rounding error.
	if rate, ok := query(t, successRate); !ok || math.Abs(rate-100) > 1e-9 {
		t.Errorf("success rate of the healthy canary = %v (found: %v), want 100", rate, ok)
	}
	if ms, ok := query(t, duration); !ok || ms <= 0 {
		t.Errorf("p99 duration of the canary = %vms (found: %v), want a positive number", ms, ok)
	}

	if got := get(t, gw, canary, "/injectFault"); got != "200" {
		t.Fatalf("injectFault answered %s, want 200", got)
	}
	waitUntil(t, 30*time.Second, "measuring a success rate below 99%", func() bool {
		rate, ok := query(t, successRate)
		return ok && rate < 99
	})
}
