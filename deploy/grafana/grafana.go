// Package grafana holds sluice's Grafana dashboard, sluice.json: the
// Canaries by phase and their state over time, their weights, failed
// checks and measured metric values over time, the rollouts promoted and
// failed, the Git polls and sync durations, forge refusals and the commit
// statuses not delivered yet.
// Import it in Grafana (Dashboards → New → Import) and pick the Prometheus
// data source that scrapes sluice's --metrics-addr.
package grafana

import _ "embed"

// Dashboard is the JSON of sluice.json, the dashboard's Grafana model.
//
//go:embed sluice.json
var Dashboard []byte
