package grafana_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/sluicehq/sluice/deploy/grafana"
	"github.com/sluicehq/sluice/reconciler"
)

// dashboard is the part of Grafana's dashboard model the test reads.
type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"` // a string, or {"query": "..."} in newer Grafanas
		} `json:"list"`
	} `json:"templating"`
}

// expression is one PromQL expression of the dashboard and where it is.
type expression struct{ where, promQL string }

func TestTheDashboardQueriesOnlyMetricsSluiceExportsInValidPromQL(t *testing.T) {
	var d dashboard
	if err := json.Unmarshal(grafana.Dashboard, &d); err != nil {
		t.Fatalf("sluice.json: %v", err)
	}
	exported := exportedSeries(t)
	variables := grafanaVariables()
	var exprs []expression
	for _, v := range d.Templating.List {
		variables[v.Name] = ".*"
		if v.Type == "query" {
			exprs = append(exprs, expression{"variable " + v.Name, labelValuesSelector(t, v.Name, v.Query)})
		}
	}
	for _, p := range d.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
		for _, target := range p.Targets {
			exprs = append(exprs, expression{"panel " + p.Title, target.Expr})
		}
	}

	p := parser.NewParser(parser.Options{})
	shown := map[string]bool{}
	for _, e := range exprs {
		expr, err := p.ParseExpr(substitute(t, e, variables))
		if err != nil {
			t.Errorf("%s: %q is not PromQL: %v", e.where, e.promQL, err)
			continue
		}
		for _, name := range metricNames(expr) {
			if exported[name] == "" {
				t.Errorf("%s: %q names %s, which sluice does not export", e.where, e.promQL, name)
			}
			shown[exported[name]] = true
		}
	}
	// The issue asks for these: a dashboard without one of them misses a
	// question an operator asks.
	for _, metric := range []string{"sluice_canary_phase", "sluice_canary_status", "sluice_canary_weight", "sluice_canary_failed_checks",
		"sluice_canary_rollouts_total", "sluice_git_polls_total", "sluice_sync_duration_seconds",
		"sluice_canary_undelivered_commit_statuses"} {
		if !shown[metric] {
			t.Errorf("the dashboard shows nothing of %s", metric)
		}
	}
}

// exportedSeries maps each series name sluice's reconciler exports to its
// metric: a histogram's _bucket, _sum and _count series to the histogram.
// It reads them from the collectors reconciler.New registers, so a metric
// renamed there fails this test until the dashboard follows.
func exportedSeries(t *testing.T) map[string]string {
	reg := &recordingRegisterer{}
	reconciler.New(nil, nil, nil, nil, reconciler.Options{Metrics: reg})
	if len(reg.names) == 0 {
		t.Fatal("the reconciler registers no metrics")
	}
	series := map[string]string{}
	for name, histogram := range reg.names {
		series[name] = name
		if histogram {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				series[name+suffix] = name
			}
		}
	}
	return series
}

// recordingRegisterer records the names of the metrics registered with it,
// and whether each is a histogram.
type recordingRegisterer struct{ names map[string]bool }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *recordingRegisterer) Register(c prometheus.Collector) error {
	if r.names == nil {
		r.names = map[string]bool{}
	}
	_, isHistogram := c.(prometheus.Histogram)
	_, isHistogramVec := c.(*prometheus.HistogramVec)
	descs := make(chan *prometheus.Desc)
	go func() { c.Describe(descs); close(descs) }()
	for desc := range descs {
		if m := fqName.FindStringSubmatch(desc.String()); m != nil {
			r.names[m[1]] = isHistogram || isHistogramVec
		}
	}
	return nil
}

func (r *recordingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (r *recordingRegisterer) Unregister(prometheus.Collector) bool { return false }

// grafanaVariables are Grafana's built-in variables the dashboard may use,
// with a value that makes the expression PromQL.
func grafanaVariables() map[string]string {
	return map[string]string{"__range": "1h", "__rate_interval": "1m", "__interval": "15s"}
}

var variableRef = regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)`)

// substitute replaces the Grafana variables of e by values; a variable the
// dashboard does not define fails the test.
func substitute(t *testing.T, e expression, variables map[string]string) string {
	return variableRef.ReplaceAllStringFunc(e.promQL, func(ref string) string {
		name := strings.Trim(ref, "${}")
		value, ok := variables[name]
		if !ok {
			t.Errorf("%s: %q uses $%s, which the dashboard does not define", e.where, e.promQL, name)
		}
		return value
	})
}

var labelValues = regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)

// labelValuesSelector is the series selector of a variable's
// label_values(selector, label) query.
func labelValuesSelector(t *testing.T, name string, query any) string {
	q, _ := query.(string)
	if m, ok := query.(map[string]any); ok {
		q, _ = m["query"].(string)
	}
	m := labelValues.FindStringSubmatch(strings.TrimSpace(q))
	if m == nil {
		t.Errorf("variable %s: %q is not label_values(selector, label)", name, q)
		return "sluice_canary_status"
	}
	return m[1]
}

// metricNames lists the metric names the selectors of expr name.
func metricNames(expr parser.Expr) []string {
	var names []string
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name == "__name__" {
					name = m.Value
				}
			}
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		return nil
	})
	return names
}
