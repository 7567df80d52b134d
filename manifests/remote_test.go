package manifests

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// serveFile starts an HTTP server that serves content at every path and
// counts the requests.
func serveFile(t *testing.T, content string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var requests atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		_, _ = w.Write([]byte(content))
	}))
	t.Cleanup(server.Close)
	return server, &requests
}

func TestRenderRefusesARemoteFileBeforeFetchingIt(t *testing.T) {
	server, requests := serveFile(t, deploymentYAML("detail"))
	root := writeRepo(t, map[string]string{
		"kustomization.yaml":      "resources: [base]\n",
		"base/kustomization.yaml": "resources: [" + server.URL + "/deployment.yaml]\n",
	}, nil)

	_, err := Render(root, ".", Options{})

	var invalid *InvalidError
	if !errors.As(err, &invalid) || invalid.Field != "resources[0]" {
		t.Fatalf("Render error = %v; want an *InvalidError on resources[0]", err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the remote file was fetched %d times before being refused", n)
	}
}

func TestRenderFetchesARemoteFileWhenAllowed(t *testing.T) {
	server, requests := serveFile(t, deploymentYAML("detail"))
	root := writeRepo(t, map[string]string{
		"kustomization.yaml": "namespace: flagger\nresources: [" + server.URL + "/deployment.yaml, canary.yaml]\n",
		"canary.yaml":        canaryYAML("detail", "Deployment", "detail"),
	}, nil)

	rendering, err := Render(root, ".", Options{AllowRemoteBases: true})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}

	if n := requests.Load(); n == 0 {
		t.Errorf("the remote file was not fetched")
	}
	if diff := cmp.Diff([]string{"canary.yaml", "kustomization.yaml"}, rendering.Targets[0].SourceFiles); diff != "" {
		t.Errorf("SourceFiles (-want +got), a remote file is never listed:\n%s", diff)
	}
}

func TestRenderClonesARemoteBaseWhenAllowed(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	// A git repository on disk, reached with a file:// URL: a remote base
	// that kustomize clones with git into a temporary directory, outside
	// the checkout, where the sandbox lets it read only because it is
	// allowed.
	upstream := writeRepo(t, map[string]string{
		"detail/kustomization.yaml": "resources: [deployment.yaml]\n",
		"detail/deployment.yaml":    deploymentYAML("detail"),
	}, nil)
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "."},
		{"-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "detail"},
	} {
		cmd := exec.Command(git, args...)
		cmd.Dir = upstream
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	root := writeRepo(t, map[string]string{
		"kustomization.yaml": "namespace: flagger\nresources: ['file://" + upstream + "//detail?ref=main', canary.yaml]\n",
		"canary.yaml":        canaryYAML("detail", "Deployment", "detail"),
	}, nil)
	before := kustomizeClones(t)

	rendering, err := Render(root, ".", Options{AllowRemoteBases: true})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}

	if got := rendering.Targets[0].Deployment.Name; got != "detail" {
		t.Errorf("target Deployment = %q, want detail", got)
	}
	if diff := cmp.Diff([]string{"canary.yaml", "kustomization.yaml"}, rendering.Targets[0].SourceFiles); diff != "" {
		t.Errorf("SourceFiles (-want +got), files of a remote base are never listed:\n%s", diff)
	}
	if after := kustomizeClones(t); after > before {
		t.Errorf("%d clones of kustomize left in the temporary directory", after-before)
	}
}

// kustomizeClones counts kustomize's clone directories in the temporary
// directory.
func kustomizeClones(t *testing.T) int {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(os.TempDir(), "kustomize-*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(matches)
}
