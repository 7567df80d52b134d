package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// flaggerFiles is an app whose Canary is written as Flagger's, with
// Flagger's older spellings.
func flaggerFiles(ns string) map[string]string {
	files := appFiles(ns, "1.0")
	files["canary.yaml"] = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: detail}
spec:
  provider: gatewayapi:v1
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: detail}
  service:
    port: 3000
    gatewayRefs: [{name: public, namespace: gateway, group: gateway.networking.k8s.io, kind: Gateway}]
  canaryAnalysis:
    interval: 1m
    threshold: 2
    stepWeight: 5
    maxWeight: 15
    metrics: [{name: request-success-rate, threshold: 99, interval: 1m}]
`
	return files
}

func TestConvertThenPlanGivesThePlanOfTheFlaggerCanary(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := t.TempDir()
	gitInit(t, repo)
	gitCommit(t, repo, "flagger canary", flaggerFiles(ns))
	common := []string{"--repo", repo, "--kubeconfig", playgroundtest.Kubeconfig(), "--namespace", ns, "--inventory-namespace", ns, "--owner", "convert-test"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before, err := sluice(ctx, append([]string{"plan", "--ref", "main"}, common...)...)
	if !strings.Contains(before, "install: detail-primary created from revision") {
		t.Fatalf("plan of the Flagger Canary: %v\n%s", err, before)
	}

	out, err := sluice(ctx, "convert", repo)
	if err != nil || !strings.Contains(out, "canary.yaml: canary detail: apiVersion flagger.app/v1beta1 → sluice.dev/v1alpha1") {
		t.Fatalf("convert: %v\n%s", err, out)
	}
	converted, err := os.ReadFile(filepath.Join(repo, "canary.yaml"))
	if err != nil || !strings.HasPrefix(string(converted), "apiVersion: sluice.dev/v1alpha1\nkind: Canary\n") ||
		!strings.Contains(string(converted), "    metrics: [{name: request-success-rate, threshold: 99, interval: 1m}]\n") {
		t.Fatalf("converted file (%v):\n%s", err, converted)
	}
	gitCommit(t, repo, "converted", map[string]string{})
	after, err := sluice(ctx, append([]string{"plan", "--ref", "main"}, common...)...)
	commits := regexp.MustCompile(`\b[0-9a-f]{7,40}\b`)
	if commits.ReplaceAllString(after, "<sha>") != commits.ReplaceAllString(before, "<sha>") {
		t.Errorf("plan after convert (%v):\n%s\nwant the plan before:\n%s", err, after, before)
	}
}

// gitInit makes dir a Git repository with a main branch.
func gitInit(t *testing.T, dir string) {
	t.Helper()
	if out, err := exec.Command("git", "init", "-q", "-b", "main", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
}
