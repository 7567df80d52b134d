package playground

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Names of the binaries the playground runs.
const (
	Etcd                  = "etcd"
	KubeAPIServer         = "kube-apiserver"
	KubeControllerManager = "kube-controller-manager"
	KubeScheduler         = "kube-scheduler"
	Kubectl               = "kubectl"
	Kwok                  = "kwok"
	Prometheus            = "prometheus"
)

// kwokStagesFile is the kwok configuration, next to the kwok binary, that
// makes fake nodes Ready and their pods Running and Ready.
const kwokStagesFile = "kwok-stages.yaml"

//go:embed toolchain
var toolchainFS embed.FS

// toolSource is one helper Go module, pinned by the go.mod and go.sum under
// toolchain/<name>, that builds a set of binaries from the Go module proxy.
type toolSource struct {
	name     string
	version  string
	binaries map[string]string // binary name → main package
	ldflags  string
	// tags are the build tags, comma-separated; empty means none.
	tags string
	// coldBuild is roughly how long the first build takes on 2 cores; it is
	// told to the user before a build starts.
	coldBuild time.Duration
}

// buildArgs are the arguments of the go command that builds the packages
// pkgs of src into the directory out.
func (src toolSource) buildArgs(out string, pkgs []string) []string {
	args := []string{"build", "-trimpath", "-ldflags", src.ldflags}
	if src.tags != "" {
		args = append(args, "-tags", src.tags)
	}
	return append(append(args, "-o", out+string(filepath.Separator)), pkgs...)
}

// toolSources lists every binary the playground needs, grouped by the helper
// module that builds it. A version bump changes the cache directory, so a
// stale binary is never reused.
var toolSources = []toolSource{
	{
		name:    "kubernetes",
		version: "v1.37.2",
		binaries: map[string]string{
			KubeAPIServer:         "k8s.io/kubernetes/cmd/kube-apiserver",
			KubeControllerManager: "k8s.io/kubernetes/cmd/kube-controller-manager",
			KubeScheduler:         "k8s.io/kubernetes/cmd/kube-scheduler",
			Kubectl:               "k8s.io/kubernetes/cmd/kubectl",
		},
		// Without a stamped version the binaries report v0.0.0-master, which
		// clients that check the server version refuse.
		ldflags: "-s -w" +
			" -X k8s.io/component-base/version.gitVersion=v1.37.2" +
			" -X k8s.io/component-base/version.gitMajor=1" +
			" -X k8s.io/component-base/version.gitMinor=37" +
			" -X k8s.io/client-go/pkg/version.gitVersion=v1.37.2" +
			" -X k8s.io/client-go/pkg/version.gitMajor=1" +
			" -X k8s.io/client-go/pkg/version.gitMinor=37",
		coldBuild: 15 * time.Minute,
	},
	{
		name:      "etcd",
		version:   "v3.6.6",
		binaries:  map[string]string{Etcd: "go.etcd.io/etcd/server/v3"},
		ldflags:   "-s -w",
		coldBuild: 2 * time.Minute,
	},
	{
		name:      "kwok",
		version:   "v0.8.0",
		binaries:  map[string]string{Kwok: "sigs.k8s.io/kwok/cmd/kwok"},
		ldflags:   "-s -w",
		coldBuild: 2 * time.Minute,
	},
	{
		name:     "prometheus",
		version:  "v0.316.0",
		binaries: map[string]string{Prometheus: "github.com/prometheus/prometheus/cmd/prometheus"},
		ldflags:  "-s -w",
		// The playground's Prometheus scrapes static targets only: its
		// bundled service discovery (Kubernetes, the clouds, Consul, …) is
		// left out of the build, which is most of its dependencies.
		tags:      "remove_all_sd",
		coldBuild: 10 * time.Minute,
	},
}

// kwokStages are the stage configurations of the kwok module that the
// playground uses: nodes become Ready at once and keep a heartbeat, pods
// become Ready as soon as they are scheduled.
var kwokStages = []string{
	"kustomize/stage/node/fast/node-initialize.yaml",
	"kustomize/stage/node/heartbeat/node-heartbeat.yaml",
	"kustomize/stage/pod/fast/pod-ready.yaml",
	"kustomize/stage/pod/fast/pod-complete.yaml",
	"kustomize/stage/pod/fast/pod-delete.yaml",
}

// ToolchainOptions configures EnsureToolchain. The zero value is ready to use.
type ToolchainOptions struct {
	// CacheDir is where binaries are built and kept. Zero means CacheDir().
	CacheDir string
	// Log receives progress while building. Nil discards it.
	Log *slog.Logger
	// Getenv reads the environment (KUBEBUILDER_ASSETS, PATH). Nil means os.Getenv.
	Getenv func(string) string
}

// Toolchain holds the absolute path of every playground binary.
type Toolchain struct {
	paths      map[string]string
	kwokStages string
}

// Path returns the absolute path of the named binary (one of the constants
// Etcd … Prometheus), or "" when the toolchain has no such binary.
func (t *Toolchain) Path(name string) string { return t.paths[name] }

// KwokStages returns the path of the kwok stage configuration.
func (t *Toolchain) KwokStages() string { return t.kwokStages }

// CacheDir returns $SLUICE_CACHE when set, else the user cache directory
// followed by /sluice.
func CacheDir() (string, error) {
	if dir := os.Getenv("SLUICE_CACHE"); dir != "" {
		return filepath.Abs(dir)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("playground: cache directory: %w (set SLUICE_CACHE)", err)
	}
	return filepath.Join(base, "sluice"), nil
}

// EnsureToolchain finds every playground binary, building the missing ones
// from the Go module proxy into the cache directory. A binary is taken, in
// this order, from KUBEBUILDER_ASSETS, from the cache directory, or from PATH;
// only when none has it is its helper module built. It is safe to call from
// several processes at once: they take turns on a lock in the cache directory,
// and a binary appears in the cache only once it is completely built.
func EnsureToolchain(ctx context.Context, opts ToolchainOptions) (*Toolchain, error) {
	opts = opts.withDefaults()
	if opts.CacheDir == "" {
		dir, err := CacheDir()
		if err != nil {
			return nil, err
		}
		opts.CacheDir = dir
	}
	if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("playground: cache directory: %w", err)
	}
	unlock, err := lockDir(ctx, opts.CacheDir, opts.Log)
	if err != nil {
		return nil, err
	}
	defer unlock()

	tc := &Toolchain{paths: map[string]string{}}
	for _, src := range toolSources {
		if err := tc.ensureSource(ctx, src, opts); err != nil {
			return nil, err
		}
	}
	stages, err := ensureKwokStages(ctx, opts)
	if err != nil {
		return nil, err
	}
	tc.kwokStages = stages
	return tc, nil
}

func (o ToolchainOptions) withDefaults() ToolchainOptions {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	return o
}

// ensureSource fills tc with the binaries of src, building src when one of
// them is found nowhere.
func (tc *Toolchain) ensureSource(ctx context.Context, src toolSource, opts ToolchainOptions) error {
	built := src.dir(opts.CacheDir)
	missing := false
	for name := range src.binaries {
		path := findBinary(name, built, opts.Getenv)
		if path == "" {
			missing = true
			continue
		}
		tc.paths[name] = path
	}
	if !missing {
		return nil
	}
	if err := buildSource(ctx, src, opts); err != nil {
		return err
	}
	for name := range src.binaries {
		tc.paths[name] = filepath.Join(built, name)
	}
	return nil
}

// dir is where the binaries of src live in the cache.
func (src toolSource) dir(cacheDir string) string {
	return filepath.Join(cacheDir, src.name+"-"+src.version)
}

// findBinary looks for an executable named name in KUBEBUILDER_ASSETS, then
// in cacheDir, then on PATH, and returns "" when there is none.
func findBinary(name, cacheDir string, getenv func(string) string) string {
	dirs := []string{getenv("KUBEBUILDER_ASSETS"), cacheDir}
	dirs = append(dirs, filepath.SplitList(getenv("PATH"))...)
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		path := filepath.Join(dir, name)
		if isExecutable(path) {
			abs, err := filepath.Abs(path)
			if err == nil {
				return abs
			}
		}
	}
	return ""
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}

// buildSource writes the helper module of src into the cache and builds its
// binaries there, reporting progress while the build runs.
func buildSource(ctx context.Context, src toolSource, opts ToolchainOptions) error {
	srcDir := filepath.Join(opts.CacheDir, "src", src.name+"-"+src.version)
	if err := writeHelperModule(src.name, srcDir); err != nil {
		return fmt.Errorf("playground: build %s %s: %w", src.name, src.version, err)
	}
	names, pkgs := src.sortedBinaries()
	opts.Log.Info(fmt.Sprintf("Building %s %s from the Go module proxy; the first build takes several minutes (about %s on 2 cores)",
		src.name, src.version, src.coldBuild),
		"binaries", names, "cacheDir", opts.CacheDir)

	started := time.Now()
	stop := reportProgress(src, started, opts.Log)
	defer stop()

	staging, err := os.MkdirTemp(opts.CacheDir, ".build-"+src.name+"-")
	if err != nil {
		return fmt.Errorf("playground: build %s %s: %w", src.name, src.version, err)
	}
	defer os.RemoveAll(staging)
	if err := runGo(ctx, srcDir, src.buildArgs(staging, pkgs)...); err != nil {
		return fmt.Errorf("playground: build %s %s: %w", src.name, src.version, err)
	}
	// Renaming whole binaries into place means a reader of the cache sees a
	// binary complete or not at all, even if this build is interrupted.
	final := src.dir(opts.CacheDir)
	if err := os.MkdirAll(final, 0o755); err != nil {
		return err
	}
	for i, name := range names {
		if err := os.Rename(filepath.Join(staging, goBinaryName(pkgs[i])), filepath.Join(final, name)); err != nil {
			return fmt.Errorf("playground: build %s %s: %w", src.name, src.version, err)
		}
	}
	opts.Log.Info(fmt.Sprintf("Built %s %s in %s", src.name, src.version, time.Since(started).Round(time.Second)))
	return nil
}

// sortedBinaries returns the binary names of src and their packages, in a
// stable order.
func (src toolSource) sortedBinaries() (names, pkgs []string) {
	for name := range src.binaries {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		pkgs = append(pkgs, src.binaries[name])
	}
	return names, pkgs
}

// goBinaryName returns the name go build gives the binary of pkg: the last
// element of its import path that is not a major version suffix.
func goBinaryName(pkg string) string {
	base := path.Base(pkg)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" {
		return path.Base(path.Dir(pkg))
	}
	return base
}

// reportProgress logs how long the build of src has taken every 30 seconds
// until the returned function is called.
func reportProgress(src toolSource, started time.Time, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	go func() {
		ticker := time.NewTicker(30 * time.Second)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				log.Info(fmt.Sprintf("Still building %s %s: %s so far, about %s in all",
					src.name, src.version, time.Since(started).Round(time.Second), src.coldBuild))
			}
		}
	}()
	return func() { close(done) }
}

// writeHelperModule copies toolchain/<name>/{go.mod,go.sum,tools.go}.txt to dir
// without the .txt suffix. The files carry that suffix in this repository so
// that Go does not take the directory for a nested module.
func writeHelperModule(name, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := fs.ReadDir(toolchainFS, "toolchain/"+name)
	if err != nil {
		return err
	}
	for _, entry := range entries {
		data, err := toolchainFS.ReadFile("toolchain/" + name + "/" + entry.Name())
		if err != nil {
			return err
		}
		target := filepath.Join(dir, strings.TrimSuffix(entry.Name(), ".txt"))
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// runGo runs the go command in dir, isolated from any workspace of the
// caller, and returns its output's tail in the error when it fails.
func runGo(ctx context.Context, dir string, args ...string) error {
	_, err := outputGo(ctx, dir, args...)
	return err
}

func outputGo(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("the go command is not on PATH: %w", err)
		}
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.String(), 40))
	}
	return out, nil
}

// ensureKwokStages writes the kwok stage configuration next to the kwok
// binary in the cache, taking the stages from the kwok module.
func ensureKwokStages(ctx context.Context, opts ToolchainOptions) (string, error) {
	var kwok toolSource
	for _, src := range toolSources {
		if src.name == "kwok" {
			kwok = src
		}
	}
	path := filepath.Join(kwok.dir(opts.CacheDir), kwokStagesFile)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	srcDir := filepath.Join(opts.CacheDir, "src", kwok.name+"-"+kwok.version)
	if err := writeHelperModule(kwok.name, srcDir); err != nil {
		return "", fmt.Errorf("playground: kwok stages: %w", err)
	}
	out, err := outputGo(ctx, srcDir, "mod", "download", "-json", "sigs.k8s.io/kwok@"+kwok.version)
	if err != nil {
		return "", fmt.Errorf("playground: kwok stages: %w", err)
	}
	var module struct{ Dir string }
	if err := json.Unmarshal(out, &module); err != nil || module.Dir == "" {
		return "", fmt.Errorf("playground: kwok stages: go mod download gave no module directory: %v", err)
	}
	var stages bytes.Buffer
	for _, rel := range kwokStages {
		data, err := os.ReadFile(filepath.Join(module.Dir, rel))
		if err != nil {
			return "", fmt.Errorf("playground: kwok stages: %w", err)
		}
		stages.WriteString("---\n")
		stages.Write(data)
		stages.WriteString("\n")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	if err := writeFileAtomic(path, stages.Bytes()); err != nil {
		return "", fmt.Errorf("playground: kwok stages: %w", err)
	}
	return path, nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
