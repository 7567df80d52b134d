// Command scale measures sluice at the scale of issue 17 (item 7): a
// 1,000-app repository and a 1,000-Canary fleet, rendered in-process and
// synced by the real `sluice run` binary on the playground. It prints a
// table of target, measured value and whether the target was met, and
// writes it into the "Scale" section of docs/performance.md.
//
//	go run ./test/scale [-apps 1000] [-rows 1,2,3] [-out docs/performance.md] [-keep]
//
// Run it from the module's root (make scale). Each row has its own
// deadline; a row that cannot be measured says why instead of hanging.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

func main() {
	apps := flag.Int("apps", 1000, "apps in the generated repositories and Canaries in the fleet")
	rowsFlag := flag.String("rows", "", "comma-separated rows to run (default all: 1,2,3,4,5,6,7); 4 and 5 are one run")
	out := flag.String("out", "docs/performance.md", `Markdown file whose "Scale" section receives the table; empty writes none`)
	fleetTimeout := flag.Duration("fleet-timeout", 0, "deadline of rows 4-5 (default 5 minutes + 1.2 s per app); past it they report the steps seen")
	keep := flag.Bool("keep", false, "keep the temporary directory (repositories, sluice's logs) and the namespaces")
	flag.Parse()
	ctrllog.SetLogger(logr.Discard())
	rows, err := parseRows(*rowsFlag)
	if err != nil || *apps < 3 {
		fmt.Fprintln(os.Stderr, "scale: -rows:", err, "(and -apps must be at least 3)")
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	started := time.Now()
	loadBefore, measuredCommit := loadAverage(), commit()
	results, dir := run(ctx, *apps, rows, *keep, *fleetTimeout)
	load := fmt.Sprintf("%s at the start, %s at the end", loadBefore, loadAverage())
	table := markdownTable(results)
	fmt.Println()
	fmt.Print(table)
	fmt.Printf("\n(%s in all; work directory %s)\n", time.Since(started).Round(time.Second), dir)
	if *out != "" && ctx.Err() == nil {
		if err := writeSection(*out, *apps, *rowsFlag, table, started, load, measuredCommit); err != nil {
			fmt.Fprintln(os.Stderr, "scale:", err)
			os.Exit(1)
		}
		fmt.Println("wrote the Scale section of", *out)
	}
}

// parseRows reads -rows; empty means every row.
func parseRows(text string) (func(int) bool, error) {
	if text == "" {
		return func(int) bool { return true }, nil
	}
	var rows []int
	for field := range strings.SplitSeq(text, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 || n > 7 {
			return nil, fmt.Errorf("%q is not a row from 1 to 7", field)
		}
		rows = append(rows, n)
	}
	return func(n int) bool { return slices.Contains(rows, n) }, nil
}

// run measures the rows wanted and returns their results in row order,
// with the work directory.
func run(ctx context.Context, apps int, want func(int) bool, keep bool, fleetTimeout time.Duration) ([]result, string) {
	dir, err := os.MkdirTemp("", "sluice-scale-")
	if err != nil {
		return []result{notMeasured(0, "everything", "", err)}, ""
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	var results []result
	step := func(name string, timeout time.Duration, f func(context.Context) []result) {
		fmt.Fprintf(os.Stderr, "%s scale: %s (up to %s)…\n", time.Now().Format(time.TimeOnly), name, timeout)
		rowCtx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		got := f(rowCtx)
		for _, r := range got {
			fmt.Fprintf(os.Stderr, "%s scale: row %d: %s (met: %s)\n", time.Now().Format(time.TimeOnly), r.Row, r.Measured, r.Met)
		}
		results = append(results, got...)
	}
	if want(1) || want(2) {
		step("rows 1-2, rendering", 15*time.Minute, func(ctx context.Context) []result { return renderRows(ctx, dir, apps, want) })
	}
	if want(3) || want(4) || want(5) || want(6) {
		results = append(results, clusterRows(ctx, dir, apps, want, keep, fleetTimeout, step)...)
	}
	if want(7) {
		results = append(results, detectionRow())
	}
	slices.SortStableFunc(results, func(a, b result) int { return a.Row - b.Row })
	return results, dir
}

// clusterRows starts the playground and measures rows 3 to 6 on it, row 6
// before the fleet so that the fleet's load does not weigh on it.
func clusterRows(ctx context.Context, dir string, apps int, want func(int) bool, keep bool, fleetTimeout time.Duration,
	step func(string, time.Duration, func(context.Context) []result)) []result {
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	fmt.Fprintf(os.Stderr, "%s scale: building sluice and starting the playground…\n", time.Now().Format(time.TimeOnly))
	e, err := startEnv(startCtx, dir, apps, keep)
	if err != nil {
		err = fmt.Errorf("the playground did not start: %w", err)
		var out []result
		for _, r := range []struct {
			row          int
			what, target string
		}{{3, "idle drift check", "0"}, {4, fmt.Sprintf(what4, apps, 0), target4}, {5, what5, target5}, {6, "cost of one Canary", "Flagger's"}} {
			if want(r.row) {
				out = append(out, notMeasured(r.row, r.what, r.target, err))
			}
		}
		return out
	}
	defer e.stop()
	if want(3) {
		step("row 3, idle drift check", 5*time.Minute, func(ctx context.Context) []result { return []result{idleRow(ctx, e, apps)} })
	}
	if want(6) {
		step("row 6, one Canary", 5*time.Minute, func(ctx context.Context) []result { return []result{soloRow(ctx, e)} })
	}
	if want(4) || want(5) {
		timeout := fleetTimeout
		if timeout == 0 {
			timeout = 5*time.Minute + time.Duration(apps)*1200*time.Millisecond
		}
		step("rows 4-5, the fleet", timeout, func(ctx context.Context) []result {
			var kept []result
			for _, r := range fleetRows(ctx, e, apps) {
				if want(r.Row) {
					kept = append(kept, r)
				}
			}
			return kept
		})
	}
	return nil
}

// detectionRow is row 7, copied from docs/performance.md's "Merge →
// detection" section rather than measured again.
func detectionRow() result {
	return result{Row: 7, What: "merge → `New revision detected` (not re-measured here: copied from \"Merge → detection\" above)",
		Target:   "under 1 s with the push webhook",
		Measured: "0.33–0.43 s with the push webhook (`--webhook-addr`); without it up to one `--interval` (0–30 s at 30s)",
		Met:      "yes"}
}

// writeSection replaces (or appends) the "Scale" section of the Markdown
// file path with the table and how it was measured.
func writeSection(path string, apps int, rows, table string, started time.Time, load, measuredCommit string) error {
	doc, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	command := "make scale"
	if args := os.Args[1:]; len(args) > 0 {
		command = "go run ./test/scale " + strings.Join(args, " ")
	}
	var b strings.Builder
	b.WriteString("## Scale\n\n")
	fmt.Fprintf(&b, "Issue 17's targets at the scale of %d apps, measured by `%s` (`test/scale`) on %s, %s, at commit %s. ",
		apps, command, machine(), started.UTC().Format("2006-01-02"), measuredCommit)
	b.WriteString("Rows 1–2 render in-process; rows 3–6 run the real `sluice run` binary on the playground ")
	b.WriteString("(kube-apiserver, etcd, kube-controller-manager, kube-scheduler, kwok nodes, Prometheus), ")
	b.WriteString("API requests counted by the API server itself (`apiserver_request_total`, the control plane's own resources left out: ")
	b.WriteString("pods, replica sets, nodes, leases, endpoints, a Deployment's status). ")
	b.WriteString("A step's lateness is the gap between two consecutive calls of a Canary's rollout webhook minus its 10 s interval. ")
	fmt.Fprintf(&b, "The machine's load average (1 min) was %s: other work may share its cores, and every figure includes that.\n\n", load)
	if rows != "" {
		fmt.Fprintf(&b, "Only rows %s were run.\n\n", rows)
	}
	b.WriteString(table)
	b.WriteString(sectionNotes)
	return os.WriteFile(path, []byte(replaceSection(string(doc), "Scale", b.String())), 0o644)
}

// machine describes this machine: CPU model, cores, memory.
func machine() string {
	model, memory := "unknown CPU", ""
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				model = strings.TrimSpace(value)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil {
					memory = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
				}
			}
		}
	}
	return fmt.Sprintf("%s, %d cores%s", model, numCPU(), memory)
}

// loadAverage returns the 1-minute load average, or "unknown".
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(data)); err == nil && len(fields) > 0 {
		return fields[0]
	}
	return "unknown"
}

// sectionNotes say how to read the rows, after the table.
const sectionNotes = `
How the rows are measured:

- 1, 2: ` + "`manifests.NewRenderer().Render`" + ` of a checkout of the generated
  repository (manifests' BenchmarkRender1000Apps shape), bytes from
  runtime.MemStats.TotalAlloc; the CLI is ` + "`kustomize build`" + ` of each app
  directory in turn. Row 2 commits an image tag change of one app to the
  origin, polls it with gitsync (the fetch and checkout are not timed) and
  times what a sync does next: ` + "`ChangedPaths`" + ` of the two checkouts and
  the warm Renderer's ` + "`RenderChanges`" + ` told them.
- 3: counters read 10 s after the last ConfigMap appeared, then again 30 s
  later; syncs from sluice's ` + "`sluice_sync_duration_seconds`" + ` count. The
  inventory is itself a ConfigMap, read twice a sync.
- 4, 5: writes are sluice's: every write on resources other than the control
  plane's, dry runs apart, Events counted from the Events whose source is
  sluice. A step is a call of the rollout webhook. Row 5 compares the
  lateness of the other Canaries' steps whose wait overlapped a hanging call
  with that of the rest of the run.
- 6: CPU from /proc/<pid>/stat (utime+stime), peak RSS from VmHWM.
`
