package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func TestDescribeSamplesShowsEverySampleOfEverySeries(t *testing.T) {
	at := func(sec int) model.Time {
		return model.TimeFromUnixNano(time.Date(2026, 12, 7, 14, 39, sec, 0, time.UTC).UnixNano())
	}
	matrix := model.Matrix{
		{Metric: model.Metric{"workload": "detail-primary", "code": "200"}, Values: []model.SamplePair{{Timestamp: at(40), Value: 938}}},
		{Metric: model.Metric{"workload": "detail", "code": "200"}, Values: []model.SamplePair{{Timestamp: at(40), Value: 62}, {Timestamp: at(41), Value: 64}}},
	}
	got := describeSamples("http_requests_total[30s]", matrix)
	want := "\n  {code=\"200\", workload=\"detail\"}: 40.000=62 41.000=64" +
		"\n  {code=\"200\", workload=\"detail-primary\"}: 40.000=938"
	if got != want {
		t.Errorf("describeSamples =\n%s\nwant\n%s", got, want)
	}
	if got := describeSamples("up[30s]", model.Matrix{}); !strings.HasSuffix(got, "up[30s]: no series") {
		t.Errorf("an empty range = %q, want it to say there is no series", got)
	}
	if got := describeSamples("up", model.Vector{}); !strings.Contains(got, "not a range") {
		t.Errorf("a vector = %q, want it to say it is not a range", got)
	}
}
