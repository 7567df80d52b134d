package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMarkdownTableEscapesCellsAndKeepsTheOrderGiven(t *testing.T) {
	got := markdownTable([]result{
		{Row: 2, What: "one app changed", Target: "< 50 ms", Measured: "10ms", Met: "yes"},
		{Row: 1, What: "render | plan", Target: "< 2 s", Measured: "not measured:\n  boom", Met: "—"},
	})
	want := "| # | measurement | target | measured | met |\n|---|---|---|---|---|\n" +
		"| 2 | one app changed | < 50 ms | 10ms | yes |\n" +
		"| 1 | render \\| plan | < 2 s | not measured: boom | — |\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestReplaceSection(t *testing.T) {
	const section = "## Scale\n\nnew table\n"
	tests := []struct {
		name, doc, want string
	}{
		{"a document without the section gets it appended after a blank line",
			"# Performance\n\n## Merge\n\ntext\n", "# Performance\n\n## Merge\n\ntext\n\n## Scale\n\nnew table\n"},
		{"the section at the end is replaced whole",
			"# P\n\n## Scale\n\nold\nold\n", "# P\n\n## Scale\n\nnew table\n"},
		{"a section followed by another keeps the other",
			"# P\n\n## Scale\n\nold\n\n## Later\n\nkept\n", "# P\n\n## Scale\n\nnew table\n\n## Later\n\nkept\n"},
		{"a level-3 heading inside the section goes with it",
			"## Scale\n\n### Notes\n\nold\n", "## Scale\n\nnew table\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, replaceSection(tt.doc, "Scale", section)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLatenessIsTheGapBetweenSortedCallsMinusTheInterval(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	calls := []time.Time{start.Add(20500 * time.Millisecond), start, start.Add(10 * time.Second)}
	got := lateness(calls, 10*time.Second)
	if diff := cmp.Diff([]time.Duration{0, 500 * time.Millisecond}, got); diff != "" {
		t.Errorf("lateness (-want +got):\n%s", diff)
	}
	if got := lateness(calls[:1], time.Second); len(got) != 0 {
		t.Errorf("one call has lateness %v, want none", got)
	}
}

func TestPercentileByNearestRank(t *testing.T) {
	var values []time.Duration
	for i := 100; i >= 1; i-- {
		values = append(values, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(values, tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if values[0] != 100*time.Millisecond {
		t.Error("percentile sorted its argument in place")
	}
	if got := percentile(nil, 99); got != 0 {
		t.Errorf("p99 of nothing = %v, want 0", got)
	}
}

func TestParseRequestCountsSumsByVerbAndResource(t *testing.T) {
	const metrics = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="GET",version="v1"} 7
apiserver_request_total{code="404",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="GET",version="v1"} 3
apiserver_request_total{code="200",component="apiserver",dry_run="All",group="apps",resource="deployments",scope="resource",subresource="",verb="APPLY",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="status",verb="PUT",version="v1"} 5
# HELP other_total Another.
# TYPE other_total counter
other_total 9
`
	got, err := parseRequestCounts(strings.NewReader(metrics))
	if err != nil {
		t.Fatal(err)
	}
	want := requestCounts{"GET configmaps": 10, "APPLY deployments (dry run)": 2, "PUT deployments/status": 5}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	later := requestCounts{"GET configmaps": 12, "APPLY deployments (dry run)": 2, "PUT deployments/status": 9, "PATCH events": 4}
	delta := later.since(got)
	if diff := cmp.Diff(requestCounts{"GET configmaps": 2, "PUT deployments/status": 4, "PATCH events": 4}, delta); diff != "" {
		t.Errorf("since (-want +got):\n%s", diff)
	}
	sluiceWrites := func(verb, resource string) bool { return isWrite(verb) && !byControlPlane(resource) }
	if got := delta.total(sluiceWrites); got != 4 {
		t.Errorf("writes but the control plane's = %v, want 4 (the events)", got)
	}
	if got, want := delta.top(2, 2, nil), "PATCH events ×2, PUT deployments/status ×2, …"; got != want {
		t.Errorf("top = %q, want %q", got, want)
	}
}

func TestParseProcFiles(t *testing.T) {
	// The command name holds spaces and a parenthesis, as a process may
	// name itself.
	stat := "4242 (sluice (run) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 75 0 0 20 0 12 0 100 1000000 5000\n"
	cpu, err := parseCPUSeconds(stat)
	if err != nil || cpu != 2.25 {
		t.Errorf("parseCPUSeconds = %v, %v; want 2.25 (225 ticks)", cpu, err)
	}
	if _, err := parseCPUSeconds("4242 sluice S 1"); err == nil {
		t.Error("parseCPUSeconds accepted a line without a command name")
	}
	status := "Name:\tsluice\nVmPeak:\t 900000 kB\nVmHWM:\t   92160 kB\nVmRSS:\t 80000 kB\n"
	rss, err := parsePeakRSS(status)
	if err != nil || rss != 90<<20 {
		t.Errorf("parsePeakRSS = %v, %v; want 90 MiB", rss, err)
	}
	if _, err := parsePeakRSS("Name:\tsluice\n"); err == nil {
		t.Error("parsePeakRSS accepted a status without VmHWM")
	}
}

func TestAStepOverlapsAHangWhenTheirPeriodsMeet(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(s), 0) }
	hangs := [][2]time.Time{{at(100), at(103)}}
	for _, tt := range []struct {
		from, to int
		want     bool
	}{{90, 99, false}, {95, 100, true}, {101, 102, true}, {103, 110, true}, {104, 110, false}} {
		if got := overlaps(at(tt.from), at(tt.to), hangs); got != tt.want {
			t.Errorf("overlaps(%d, %d) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestMeasureFleetLeavesTheHungCanaryOutOfTheLateness(t *testing.T) {
	at := func(ms int) time.Time { return time.UnixMilli(int64(ms)) }
	calls := map[string][]time.Time{
		"ns/a":    {at(0), at(10_200), at(20_200)},
		"ns/b":    {at(1000), at(11_000), at(21_900)},
		"ns/hung": {at(0), at(10_000)},
	}
	hangs := [][2]time.Time{{at(15_000), at(16_000)}}
	delta := requestCounts{"PATCH canaries/status": 6, "POST events": 5, "PUT pods/status": 50, "GET canaries": 9, "APPLY deployments (dry run)": 4}
	m := measureFleet(calls, "ns/hung", hangs, delta, 2)
	if m.steps != 8 {
		t.Errorf("steps = %d, want 8 (every call, the hung Canary's too)", m.steps)
	}
	if diff := cmp.Diff([]time.Duration{0, 0, 200 * time.Millisecond, 900 * time.Millisecond}, sortedDurations(m.late)); diff != "" {
		t.Errorf("lateness (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{0, 900 * time.Millisecond}, sortedDurations(m.lateDuring)); diff != "" {
		t.Errorf("lateness during the hang (-want +got):\n%s", diff)
	}
	if got := m.sluiceWrites(); got != 8 {
		t.Errorf("sluice's writes = %v, want 8 (canaries/status and sluice's 2 events of the 5)", got)
	}
	if got := m.dryRuns(); got != 4 {
		t.Errorf("dry runs = %v, want 4", got)
	}
}

func sortedDurations(d []time.Duration) []time.Duration {
	out := append([]time.Duration(nil), d...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
