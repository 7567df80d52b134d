package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRunLogsItsEffectiveConfigurationOnceWithSecretsRedacted(t *testing.T) {
	t.Setenv("SLUICE_PROMETHEUS_URL", "http://scraper:hunter2@prometheus.monitoring:9090")
	t.Setenv("SLUICE_TOKEN_FILE", "/var/run/secrets/git/token")
	cmd := newRunCommand()
	if err := cmd.ParseFlags([]string{"--repo", "https://sluice-bot:ghp_s3cret@github.com/acme/deploy.git",
		"--status-url", "https://grafana.example/d/sluice?var-name={name}&api_key=glsa_s3cret", "--interval", "10s",
		"--webhook-allow", "loadtester.flagger,https://x-access-token:ghs_s3cret@hooks.example/"}); err != nil {
		t.Fatal(err)
	}
	if err := envDefaults(cmd); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	logEffectiveConfig(slog.New(slog.NewJSONHandler(&out, nil)), cmd.Flags())

	for _, secret := range []string{"ghp_s3cret", "hunter2", "glsa_s3cret", "ghs_s3cret"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the effective configuration shows the secret %q:\n%s", secret, out.String())
		}
	}
	var line struct {
		Msg    string
		Config map[string]string
		Set    map[string]string
	}
	if lines := strings.Count(out.String(), "\n"); lines != 1 {
		t.Fatalf("logged %d lines, want one:\n%s", lines, out.String())
	}
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"repo":           "https://sluice-bot:REDACTED@github.com/acme/deploy.git",
		"prometheus-url": "http://scraper:REDACTED@prometheus.monitoring:9090",
		"token-file":     "/var/run/secrets/git/token", // where the secret is, not the secret
		"status-url":     "https://grafana.example/d/sluice?api_key=REDACTED&var-name=%7Bname%7D",
		"webhook-allow":  "loadtester.flagger,https://x-access-token:REDACTED@hooks.example/",
		"interval":       "10s",
		"branch":         "main", // a default
	}
	for name, value := range want {
		if line.Config[name] != value {
			t.Errorf("config %s = %q, want %q", name, line.Config[name], value)
		}
	}
	if line.Msg != "Effective configuration" || len(line.Config) < 30 {
		t.Errorf("msg %q with %d flags, want every flag of run", line.Msg, len(line.Config))
	}
	wantSet := map[string]string{"repo": "flag", "status-url": "flag", "interval": "flag", "webhook-allow": "flag",
		"prometheus-url": "env", "token-file": "env"}
	if diff := cmp.Diff(wantSet, line.Set); diff != "" {
		t.Errorf("how flags were set (-want +got):\n%s", diff)
	}
}

func TestRedactFlagKeepsWhereASecretIsAndHidesTheSecret(t *testing.T) {
	for _, tc := range []struct{ name, flag, value, want string }{
		{"a token in a URL's user", "repo", "https://ghp_abc@github.com/o/r.git", "https://REDACTED@github.com/o/r.git"},
		{"an ssh user is an account, not a secret", "repo", "ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"},
		{"an scp-like remote is left alone", "repo", "git@github.com:o/r.git", "git@github.com:o/r.git"},
		{"a path of a secret file is shown", "forge-token-file", "/etc/sluice/token", "/etc/sluice/token"},
		{"the name of a secret's variable is shown", "token-env", "GITHUB_TOKEN", "GITHUB_TOKEN"},
		{"a flag holding a secret is hidden", "webhook-secret", "s3cret", "REDACTED"},
		{"an empty secret says it is empty", "webhook-secret", "", ""},
		{"a plain address is shown", "metrics-addr", ":8080", ":8080"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := redactFlag(tc.flag, tc.value); got != tc.want {
				t.Errorf("redactFlag(%q, %q) = %q, want %q", tc.flag, tc.value, got, tc.want)
			}
		})
	}
}

func TestRunHelpGroupsEveryFlag(t *testing.T) {
	cmd := newRunCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	help := out.String()
	var at []int
	for _, heading := range []string{"Git and rendering flags:", "Cluster flags:", "Analysis flags:", "Forge (write-back) flags:", "Server flags:"} {
		i := strings.Index(help, "\n"+heading+"\n")
		if i < 0 {
			t.Fatalf("run --help has no %q:\n%s", heading, help)
		}
		at = append(at, i)
	}
	for i := 1; i < len(at); i++ {
		if at[i] < at[i-1] {
			t.Errorf("run --help lists its groups out of order:\n%s", help)
		}
	}
	// Only help itself may be left out of the groups.
	other := help[strings.Index(help, "\nOther flags:\n"):]
	if other != "" {
		other = strings.SplitN(other, "\n\n", 2)[0]
	}
	if strings.Count(other, "--") != 1 || !strings.Contains(other, "--help") {
		t.Errorf("run flags in no group:%s", other)
	}
	for _, flag := range []string{"--repo", "--kubeconfig", "--prometheus-url", "--forge-api-url", "--metrics-addr", "--webhook-addr"} {
		if n := len(regexp.MustCompile(`(?m)^ +(-\w, )?`+flag+` `).FindAllString(help, -1)); n != 1 {
			t.Errorf("run --help lists %s %d times, want once", flag, n)
		}
	}
}
