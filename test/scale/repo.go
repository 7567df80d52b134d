package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// appName is the name of app i of a generated repository.
func appName(i int) string { return fmt.Sprintf("app-%04d", i) }

// renderFiles is manifests' BenchmarkRender1000Apps repository (manyApps
// in manifests/render_bench_test.go): n apps, each a Deployment, a
// Service, a ConfigMap and a Canary, under a root kustomization. tag is
// the image tag of every app.
func renderFiles(n int, tag string) map[string]string {
	files := map[string]string{}
	var root strings.Builder
	root.WriteString("resources:\n")
	for i := range n {
		name := appName(i)
		dir := "apps/" + name + "/"
		fmt.Fprintf(&root, "  - apps/%s\n", name)
		files[dir+"kustomization.yaml"] = "namespace: apps\nresources: [deployment.yaml, service.yaml, configmap.yaml, canary.yaml]\n"
		files[dir+"deployment.yaml"] = renderDeploymentYAML(name, tag)
		files[dir+"service.yaml"] = "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + "}\nspec:\n  selector: {app: " + name + "}\n  ports: [{port: 3000}]\n"
		files[dir+"configmap.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: {size: '20'}\n"
		files[dir+"canary.yaml"] = `apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata:
  name: ` + name + `
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: ` + name + `}
  service:
    port: 3000
    gatewayRefs: [{name: public, namespace: gateway}]
  analysis:
    interval: 1m
    threshold: 1
    stepWeight: 5
    maxWeight: 15
    webhooks: [{name: gate, type: pre-rollout, url: "http://gate/"}]
`
	}
	files["kustomization.yaml"] = root.String()
	return files
}

func renderDeploymentYAML(name, tag string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
spec:
  selector:
    matchLabels: {app: ` + name + `}
  template:
    metadata:
      labels: {app: ` + name + `}
    spec:
      containers:
        - name: app
          image: public.ecr.aws/u2g6w7p2/eks-microservice-demo/detail:` + tag + `
          volumeMounts: [{name: config, mountPath: /etc/app}]
      volumes: [{name: config, configMap: {name: ` + name + `}}]
`
}

// configMapFiles is a repository of n ConfigMaps under a root
// kustomization (row 3).
func configMapFiles(n int) map[string]string {
	files := map[string]string{}
	var root strings.Builder
	root.WriteString("resources:\n")
	for i := range n {
		name := fmt.Sprintf("cm-%04d", i)
		fmt.Fprintf(&root, "  - configmaps/%s.yaml\n", name)
		files["configmaps/"+name+".yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: {size: '20', index: '" + fmt.Sprint(i) + "'}\n"
	}
	files["kustomization.yaml"] = root.String()
	return files
}

// fleet describes the Canaries of rows 4 to 6.
type fleet struct {
	// Apps is how many apps, named appName(i).
	Apps int
	// WebhookURL receives every Canary's rollout webhook.
	WebhookURL string
}

// fleetInterval is the analysis interval of every Canary of the fleet,
// and fleetWebhookTimeout the timeout of its webhook.
const (
	fleetInterval       = 10 * time.Second
	fleetIterations     = 3
	fleetWebhookTimeout = "3s"
)

// files returns the repository of the fleet at image tag: each app a
// Deployment and a blue/green Canary (provider kubernetes: no router)
// whose every step calls the webhook and checks the app's metric.
func (f fleet) files(tag string) map[string]string {
	files := map[string]string{}
	var root strings.Builder
	root.WriteString("resources:\n")
	for i := range f.Apps {
		name := appName(i)
		fmt.Fprintf(&root, "  - apps/%s.yaml\n", name)
		files["apps/"+name+".yaml"] = `apiVersion: apps/v1
kind: Deployment
metadata: {name: ` + name + `}
spec:
  replicas: 1
  selector: {matchLabels: {app: ` + name + `}}
  template:
    metadata: {labels: {app: ` + name + `}}
    spec:
      containers: [{name: app, image: "example.com/` + name + `:` + tag + `"}]
---
apiVersion: sluice.dev/v1alpha1
kind: Canary
metadata: {name: ` + name + `}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: ` + name + `}
  provider: kubernetes
  service: {port: 3000}
  analysis:
    interval: 10s
    iterations: 3
    threshold: 2
    metrics:
    - name: app-up
      query: 'min_over_time(` + appMetric + `{app="{{ target }}"}[30s])'
      interval: 30s
      thresholdRange: {min: 1}
    webhooks:
    - {name: gate, type: rollout, url: "` + f.WebhookURL + `", timeout: ` + fleetWebhookTimeout + `}
`
	}
	files["kustomization.yaml"] = root.String()
	return files
}

// gitRepo is a local Git repository sluice pulls from (file://).
type gitRepo struct{ dir string }

// newGitRepo creates a repository in dir on branch main with files as its
// first commit.
func newGitRepo(ctx context.Context, dir string, files map[string]string) (*gitRepo, string, error) {
	repo := &gitRepo{dir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	if _, err := repo.git(ctx, "init", "-q", "-b", "main"); err != nil {
		return nil, "", err
	}
	sha, err := repo.commit(ctx, "first", files)
	return repo, sha, err
}

// commit writes files (replacing those of the same name) and commits
// them all, returning the new commit's SHA.
func (r *gitRepo) commit(ctx context.Context, message string, files map[string]string) (string, error) {
	if err := writeFiles(r.dir, files); err != nil {
		return "", err
	}
	if _, err := r.git(ctx, "add", "-A"); err != nil {
		return "", err
	}
	if _, err := r.git(ctx, "commit", "-q", "-m", message); err != nil {
		return "", err
	}
	sha, err := r.git(ctx, "rev-parse", "HEAD")
	return strings.TrimSpace(sha), err
}

// url is the repository's file:// URL.
func (r *gitRepo) url() string { return "file://" + r.dir }

func (r *gitRepo) git(ctx context.Context, args ...string) (string, error) {
	return runGit(ctx, r.dir, args...)
}

// runGit runs git in dir with a fixed identity and no user configuration.
func runGit(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "user.name=scale", "-c", "user.email=scale@sluice.dev", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// writeFiles writes files, named by slash-separated paths, under dir.
func writeFiles(dir string, files map[string]string) error {
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}
