// Package playgroundtest gives a test package one playground for all its
// tests: start it from TestMain with Main, then give each test its own
// namespace with Namespace.
//
//	func TestMain(m *testing.M) { playgroundtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		ns := playgroundtest.Namespace(t)
//		c := playgroundtest.Client()
//		…
//	}
package playgroundtest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/sluicehq/sluice/playground"
)

var (
	current *playground.Playground
	shared  client.Client
)

// Main starts a playground, runs the package's tests and stops the
// playground, whatever the tests' outcome, then exits with their code. It
// builds the playground's binaries first when they are missing; the first
// build takes several minutes, with progress on stderr. Ctrl-C stops the
// playground before the process exits.
func Main(m *testing.M, opts ...func(*playground.Options)) {
	os.Exit(run(m, opts))
}

func run(m *testing.M, optFuncs []func(*playground.Options)) int {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	logHandler := slog.NewJSONHandler(os.Stderr, nil)
	ctrllog.SetLogger(logr.FromSlogHandler(logHandler))
	opts := playground.Options{Log: slog.New(logHandler)}
	for _, f := range optFuncs {
		f(&opts)
	}
	pg, err := playground.Start(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "playgroundtest:", err)
		return 1
	}
	defer pg.Stop()
	// A signal stops the playground even while a test hangs.
	testsDone := make(chan struct{})
	defer close(testsDone)
	go func() {
		select {
		case <-ctx.Done():
			pg.Stop()
			os.Exit(130)
		case <-testsDone:
		}
	}()
	shared, err = client.New(pg.ControlPlane.Config, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, "playgroundtest:", err)
		return 1
	}
	current = pg
	return m.Run()
}

// Playground returns the package's playground. It panics outside Main.
func Playground() *playground.Playground {
	if current == nil {
		panic("playgroundtest: no playground; call playgroundtest.Main from TestMain")
	}
	return current
}

// Client returns an admin client of the playground's API server, using
// client-go's scheme.
func Client() client.Client {
	Playground()
	return shared
}

// Kubeconfig returns the path of the playground's admin kubeconfig.
func Kubeconfig() string { return Playground().ControlPlane.Kubeconfig }

var unsafeName = regexp.MustCompile(`[^a-z0-9-]+`)

// Namespace creates a namespace for t, named after the test, and deletes it
// when the test ends.
func Namespace(t testing.TB) string {
	t.Helper()
	base := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 50 {
		base = base[:50]
	}
	name := strings.Trim(base, "-") + "-" + rand.String(5)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Client().Create(ctx, ns); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := Client().Delete(ctx, ns); err != nil {
			t.Errorf("delete namespace %s: %v", name, err)
		}
	})
	return name
}
