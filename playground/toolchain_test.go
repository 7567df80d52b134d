package playground

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// writeExecutable makes an empty executable file at dir/name.
func writeExecutable(t *testing.T, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFindBinaryLooksInAssetsThenCacheThenPath(t *testing.T) {
	root := t.TempDir()
	assets, cache, path1, path2 := filepath.Join(root, "assets"), filepath.Join(root, "cache"), filepath.Join(root, "p1"), filepath.Join(root, "p2")
	for _, dir := range []string{assets, cache, path1, path2} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeExecutable(t, assets, "etcd")
	writeExecutable(t, cache, "etcd")
	writeExecutable(t, cache, "kwok")
	writeExecutable(t, path1, "kwok")
	writeExecutable(t, path2, "prometheus")
	// Not executable: must be skipped.
	if err := os.WriteFile(filepath.Join(path1, "prometheus"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KUBEBUILDER_ASSETS": assets, "PATH": path1 + string(filepath.ListSeparator) + path2}
	tests := []struct {
		name, binary, want string
	}{
		{"KUBEBUILDER_ASSETS wins over the cache", "etcd", filepath.Join(assets, "etcd")},
		{"the cache wins over PATH", "kwok", filepath.Join(cache, "kwok")},
		{"a non-executable file on PATH is skipped", "prometheus", filepath.Join(path2, "prometheus")},
		{"a binary found nowhere is empty", "kube-apiserver", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findBinary(tt.binary, cache, func(k string) string { return env[k] })
			if got != tt.want {
				t.Errorf("findBinary(%q) = %q, want %q", tt.binary, got, tt.want)
			}
		})
	}
}

func TestEnsureToolchainUsesBinariesAlreadyInTheCache(t *testing.T) {
	cache := t.TempDir()
	want := map[string]string{}
	for _, src := range toolSources {
		for name := range src.binaries {
			want[name] = writeExecutable(t, src.dir(cache), name)
		}
		if src.name == "kwok" {
			if err := os.WriteFile(filepath.Join(src.dir(cache), kwokStagesFile), []byte("kind: Stage\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A build would take minutes; the deadline makes one fail the test.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tc, err := EnsureToolchain(ctx, ToolchainOptions{CacheDir: cache, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for name := range want {
		got[name] = tc.Path(name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("toolchain paths (-want +got):\n%s", diff)
	}
	if tc.KwokStages() != filepath.Join(cache, "kwok-v0.8.0", kwokStagesFile) {
		t.Errorf("kwok stages at %q, want the cached file", tc.KwokStages())
	}
}

func TestHelperModulesPinTheVersionsTheToolchainNames(t *testing.T) {
	for _, src := range toolSources {
		t.Run(src.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := writeHelperModule(src.name, dir); err != nil {
				t.Fatal(err)
			}
			for _, file := range []string{"go.mod", "go.sum", "tools.go"} {
				if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
					t.Errorf("helper module has no %s: %v", file, err)
				}
			}
			goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err != nil {
				t.Fatal(err)
			}
			tools, err := os.ReadFile(filepath.Join(dir, "tools.go"))
			if err != nil {
				t.Fatal(err)
			}
			for _, pkg := range src.binaries {
				if !strings.Contains(string(tools), `"`+pkg+`"`) {
					t.Errorf("tools.go does not import %s, so go.sum may lack its dependencies", pkg)
				}
			}
			if !strings.Contains(string(goMod), " "+src.version+"\n") {
				t.Errorf("go.mod does not require version %s:\n%s", src.version, goMod)
			}
		})
	}
}

func TestGoBinaryNameSkipsMajorVersionSuffix(t *testing.T) {
	tests := map[string]string{
		"go.etcd.io/etcd/server/v3":                       "server",
		"k8s.io/kubernetes/cmd/kube-apiserver":            "kube-apiserver",
		"github.com/prometheus/prometheus/cmd/prometheus": "prometheus",
		"example.com/tools/vault":                         "vault",
	}
	for pkg, want := range tests {
		if got := goBinaryName(pkg); got != want {
			t.Errorf("goBinaryName(%q) = %q, want %q", pkg, got, want)
		}
	}
}

func TestLockDirMakesASecondHolderWait(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	unlock, err := lockDir(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancel()
	if _, err := lockDir(waitCtx, dir, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("second lockDir succeeded while the first held the lock")
	}
	unlock()
	unlock2, err := lockDir(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("lockDir after unlock: %v", err)
	}
	unlock2()
}

func TestRenderPrometheusConfig(t *testing.T) {
	targets := mergeTargets(nil, []ScrapeTarget{
		{Job: "gateway", Targets: []string{"127.0.0.1:9000"}},
		{Job: "app", Targets: []string{"127.0.0.1:9100", "127.0.0.1:9101"}, MetricsPath: "/stats", Interval: 5 * time.Second},
	})
	// A later target with the same job replaces the earlier one in place.
	targets = mergeTargets(targets, []ScrapeTarget{{Job: "gateway", Targets: []string{"127.0.0.1:9001"}}})
	got, err := renderPrometheusConfig(2*time.Second, targets)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "prometheus.yml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("prometheus.yml (-want +got):\n%s", diff)
	}
}

func TestRenderPrometheusConfigRefusesATargetWithoutJob(t *testing.T) {
	_, err := renderPrometheusConfig(time.Second, []ScrapeTarget{{Targets: []string{"127.0.0.1:1"}}})
	if err == nil || !strings.Contains(err.Error(), "job is empty") {
		t.Errorf("err = %v, want one saying the job is empty", err)
	}
}

func TestRemoveStaleDirsKeepsLivePlaygrounds(t *testing.T) {
	tmp := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(tmp, dirPrefix+strconv.Itoa(dead.Process.Pid)+"-1")
	live := filepath.Join(tmp, dirPrefix+strconv.Itoa(os.Getpid())+"-2")
	other := filepath.Join(tmp, "unrelated-"+strconv.Itoa(dead.Process.Pid))
	for _, dir := range []string{stale, live, other} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleDirs(tmp, slog.New(slog.DiscardHandler))
	for dir, wantExists := range map[string]bool{stale: false, live: true, other: true} {
		_, err := os.Stat(dir)
		if exists := err == nil; exists != wantExists {
			t.Errorf("%s exists = %v, want %v", filepath.Base(dir), exists, wantExists)
		}
	}
}

// TestPrometheusIsBuiltWithoutServiceDiscovery: the playground's
// Prometheus scrapes static targets only, so it is built with the
// remove_all_sd tag, which leaves out every bundled discovery provider.
func TestPrometheusIsBuiltWithoutServiceDiscovery(t *testing.T) {
	for _, src := range toolSources {
		if src.name != "prometheus" {
			continue
		}
		args := strings.Join(src.buildArgs("/out", []string{"github.com/prometheus/prometheus/cmd/prometheus"}), " ")
		if !strings.Contains(args, "-tags remove_all_sd ") {
			t.Errorf("go %s: want -tags remove_all_sd", args)
		}
		return
	}
	t.Fatal("no prometheus among the tool sources")
}
