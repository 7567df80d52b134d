package playground

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"sigs.k8s.io/yaml"
)

// ScrapeTarget is one Prometheus scrape job.
type ScrapeTarget struct {
	// Job is the job name; a later target with the same job replaces it.
	Job string
	// Targets are host:port addresses to scrape.
	Targets []string
	// MetricsPath is the HTTP path; zero means /metrics.
	MetricsPath string
	// Interval is how often to scrape; zero means the global interval.
	Interval time.Duration
}

// PrometheusServer is a running Prometheus whose scrape targets can be
// changed while it runs.
type PrometheusServer struct {
	// URL is the base URL of the HTTP API, e.g. http://127.0.0.1:9090.
	URL string

	configPath     string
	scrapeInterval time.Duration
	process        *process

	mu      sync.Mutex
	targets []ScrapeTarget
}

// startPrometheus starts Prometheus in dir/prometheus with targets and waits
// until it is ready.
func startPrometheus(ctx context.Context, tools *Toolchain, dir string, interval time.Duration, targets []ScrapeTarget) (*PrometheusServer, error) {
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	promDir := filepath.Join(dir, "prometheus")
	if err := os.MkdirAll(promDir, 0o755); err != nil {
		return nil, err
	}
	ps := &PrometheusServer{
		URL:            "http://127.0.0.1:" + strconv.Itoa(ports[0]),
		configPath:     filepath.Join(promDir, "prometheus.yml"),
		scrapeInterval: interval,
		targets:        mergeTargets(nil, targets),
	}
	if err := ps.writeConfig(); err != nil {
		return nil, err
	}
	ps.process, err = startProcess(Prometheus, tools.Path(Prometheus), []string{
		"--config.file=" + ps.configPath,
		"--storage.tsdb.path=" + filepath.Join(promDir, "data"),
		"--storage.tsdb.retention.time=1d",
		"--web.listen-address=127.0.0.1:" + strconv.Itoa(ports[0]),
		// Lets AddScrapeTargets reload the configuration over HTTP.
		"--web.enable-lifecycle",
	}, dir)
	if err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	err = waitFor(ctx, 60*time.Second, ps.process, func() bool {
		return httpOK(ctx, http.MethodGet, ps.URL+"/-/ready")
	})
	if err != nil {
		ps.stop()
		return nil, err
	}
	return ps, nil
}

// AddScrapeTargets adds targets to the scrape configuration (replacing jobs
// of the same name) and has Prometheus reload it. It returns once Prometheus
// has accepted the new configuration.
func (ps *PrometheusServer) AddScrapeTargets(ctx context.Context, targets ...ScrapeTarget) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.targets = mergeTargets(ps.targets, targets)
	if err := ps.writeConfig(); err != nil {
		return err
	}
	if !httpOK(ctx, http.MethodPost, ps.URL+"/-/reload") {
		return fmt.Errorf("playground: prometheus refused the new configuration\n%s", ps.process.logTail(10))
	}
	return nil
}

// mergeTargets returns current with each of added appended or, when its job
// is already there, put in its place.
func mergeTargets(current, added []ScrapeTarget) []ScrapeTarget {
	merged := slices.Clone(current)
	for _, t := range added {
		i := slices.IndexFunc(merged, func(c ScrapeTarget) bool { return c.Job == t.Job })
		if i >= 0 {
			merged[i] = t
		} else {
			merged = append(merged, t)
		}
	}
	return merged
}

// writeConfig writes the Prometheus configuration for the current targets.
func (ps *PrometheusServer) writeConfig() error {
	data, err := renderPrometheusConfig(ps.scrapeInterval, ps.targets)
	if err != nil {
		return err
	}
	return writeFileAtomic(ps.configPath, data)
}

// renderPrometheusConfig returns the prometheus.yml for targets, scraping
// every interval unless a target says otherwise.
func renderPrometheusConfig(interval time.Duration, targets []ScrapeTarget) ([]byte, error) {
	type staticConfig struct {
		Targets []string `json:"targets"`
	}
	type scrapeConfig struct {
		JobName        string         `json:"job_name"`
		ScrapeInterval string         `json:"scrape_interval,omitempty"`
		MetricsPath    string         `json:"metrics_path,omitempty"`
		StaticConfigs  []staticConfig `json:"static_configs"`
	}
	config := struct {
		Global struct {
			ScrapeInterval     string `json:"scrape_interval"`
			EvaluationInterval string `json:"evaluation_interval"`
		} `json:"global"`
		ScrapeConfigs []scrapeConfig `json:"scrape_configs"`
	}{ScrapeConfigs: []scrapeConfig{}}
	config.Global.ScrapeInterval = model.Duration(interval).String()
	config.Global.EvaluationInterval = model.Duration(interval).String()
	for _, t := range targets {
		if t.Job == "" {
			return nil, fmt.Errorf("playground: scrape target %v: job is empty", t.Targets)
		}
		sc := scrapeConfig{JobName: t.Job, MetricsPath: t.MetricsPath, StaticConfigs: []staticConfig{{Targets: t.Targets}}}
		if t.Interval > 0 {
			sc.ScrapeInterval = model.Duration(t.Interval).String()
		}
		config.ScrapeConfigs = append(config.ScrapeConfigs, sc)
	}
	return yaml.Marshal(config)
}

// stop stops Prometheus.
func (ps *PrometheusServer) stop() {
	if ps != nil && ps.process != nil {
		ps.process.stop(10 * time.Second)
	}
}

// httpOK reports whether a request to url answers 200.
func httpOK(ctx context.Context, method, url string) bool {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
