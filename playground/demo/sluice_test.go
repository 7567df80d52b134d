package demo

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseLogLine(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       logLine
	}{{
		name: "a Canary message names its Canary",
		line: `{"time":"2026-11-25T18:40:57.5Z","level":"INFO","msg":"Advance detail.flagger canary weight 5","canary":"detail.flagger"}`,
		want: logLine{Time: time.Date(2026, 11, 25, 18, 40, 57, 5e8, time.UTC), Level: "INFO", Msg: "Advance detail.flagger canary weight 5", Canary: "detail.flagger"},
	}, {
		name: "an error keeps its error attribute",
		line: `{"level":"ERROR","msg":"Rollout step failed","error":"boom"}`,
		want: logLine{Level: "ERROR", Msg: "Rollout step failed", Error: "boom"},
	}, {
		name: "a line that is not JSON is the message",
		line: `panic: oops`,
		want: logLine{Msg: "panic: oops"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseLogLine(tc.line)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSluiceArgsRunAgainstTheStack(t *testing.T) {
	args := sluiceArgs{repo: "http://127.0.0.1:1/demo/fleet.git", apiURL: "http://127.0.0.1:1/api/v3/", tokenFile: "/t",
		kubeconfig: "/k", prometheusURL: "http://127.0.0.1:2", workDir: "/w"}.list()
	want := []string{"run", "--repo", "http://127.0.0.1:1/demo/fleet.git", "--branch", "main", "--path", ".",
		"--token-file", "/t", "--forge", "github", "--forge-api-url", "http://127.0.0.1:1/api/v3/",
		"--kubeconfig", "/k", "--prometheus-url", "http://127.0.0.1:2", "--interval", "2s",
		"--prune", "--default-namespace", "flagger", "--inventory-namespace", "default", "--work-dir", "/w"}
	if diff := cmp.Diff(want, args); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWithoutSluiceEnv(t *testing.T) {
	got := withoutSluiceEnv([]string{"PATH=/bin", "SLUICE_REPO=x", "HOME=/root", "SLUICE_NAMESPACE=y"})
	if diff := cmp.Diff([]string{"PATH=/bin", "HOME=/root"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
