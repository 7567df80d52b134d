package demo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// diagnosisWindow is how far back a diagnosis looks.
const diagnosisWindow = 30 * time.Second

// diagnosisQueries are what a diagnosis asks Prometheus: the requests the
// gateway counted per workload and code, and whether its scrapes
// succeeded and how long they took. A metric check that found no data
// reads the first; the others say whether Prometheus saw the gateway at
// all.
var diagnosisQueries = []string{
	`http_requests_total{namespace="` + Namespace + `"}`,
	`up{job="gateway"}`,
	`scrape_duration_seconds{job="gateway"}`,
}

// diagnose returns what Prometheus holds of the last diagnosisWindow, one
// line per series with its samples, for the error of a step that went
// wrong: a metric check without data is otherwise hard to tell apart from a
// gateway that served nothing or a Prometheus that did not scrape. It never
// fails: a question Prometheus did not answer is a line saying so.
func diagnose(ctx context.Context, prometheusURL string) string {
	client, err := promapi.NewClient(promapi.Config{Address: prometheusURL})
	if err != nil {
		return "Prometheus: " + err.Error()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	api := promv1.NewAPI(client)
	now := time.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "what Prometheus held at %s, the last %s:", now.UTC().Format("15:04:05.000"), diagnosisWindow)
	for _, q := range diagnosisQueries {
		query := fmt.Sprintf("%s[%s]", q, model.Duration(diagnosisWindow))
		value, _, _, err := api.Query(ctx, query, now)
		if err != nil {
			fmt.Fprintf(&b, "\n  %s: %v", query, err)
			continue
		}
		b.WriteString(describeSamples(query, value))
	}
	return b.String()
}

// describeSamples writes a range query's series, one per line, each sample
// as time=value.
func describeSamples(query string, value model.Value) string {
	matrix, ok := value.(model.Matrix)
	if !ok {
		return fmt.Sprintf("\n  %s: a %s, not a range", query, value.Type())
	}
	if len(matrix) == 0 {
		return fmt.Sprintf("\n  %s: no series", query)
	}
	sort.Slice(matrix, func(i, j int) bool { return matrix[i].Metric.String() < matrix[j].Metric.String() })
	var b strings.Builder
	for _, series := range matrix {
		fmt.Fprintf(&b, "\n  %s:", series.Metric)
		for _, s := range series.Values {
			fmt.Fprintf(&b, " %s=%s", s.Timestamp.Time().UTC().Format("05.000"), s.Value)
		}
	}
	return b.String()
}
