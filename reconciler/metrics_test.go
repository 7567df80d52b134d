package reconciler_test

import (
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// metricValue is the value of the series of name whose labels include
// labels in what reg gathers, and whether there is one.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, family := range families {
		if family.GetName() != name {
			continue
		}
		for _, m := range family.GetMetric() {
			if hasLabels(m, labels) {
				switch {
				case m.Gauge != nil:
					return m.GetGauge().GetValue(), true
				case m.Counter != nil:
					return m.GetCounter().GetValue(), true
				case m.Histogram != nil:
					return float64(m.GetHistogram().GetSampleCount()), true
				}
			}
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	found := 0
	for _, pair := range m.GetLabel() {
		if v, ok := want[pair.GetName()]; ok && v == pair.GetValue() {
			found++
		}
	}
	return found == len(want)
}

// assertMetric checks the value of a series.
//
// Values are compared to 1e-9 of want: a success rate Prometheus computes as
// 100 × a ratio of equal rates comes back as 100.00000000000001 at times
// (a flake of TestTheSeedRollouts… with an exact comparison).
func assertMetric(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string, want float64) {
	t.Helper()
	if got, ok := metricValue(t, reg, name, labels); !ok || math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s%v = %v (found: %v), want %v", name, labels, got, ok, want)
	}
}
