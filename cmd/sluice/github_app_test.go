package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/sluicehq/sluice/playground/forgeemu"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

// writeAppKey writes a new RSA key as GitHub hands it out (PKCS#1 PEM)
// and returns it with its file.
func writeAppKey(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "app.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return key, file
}

// TestRunAuthenticatesAsAGitHubAppAcrossTokenRefreshes runs the real
// binary as a GitHub App against the forge emulator, whose installation
// tokens live 3 s: sluice installs detail 1.0, and a commit pushed after
// several token lifetimes is still fetched and promoted with a success
// status, so Git and the REST API both went through refreshed tokens. The
// log holds no token, JWT or key. A key of another App is refused at
// start with an error that names the flag. With --commit-checks both, the
// promoted commit also has its Check Run.
func TestRunAuthenticatesAsAGitHubAppAcrossTokenRefreshes(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	binary := buildSluice(t)
	key, keyFile := writeAppKey(t)
	const token = "ghp_app-test-user-t0ken" // the user's, for the test's own REST calls
	srv, err := forgeemu.New(forgeemu.Options{Dir: t.TempDir(), Owner: "shop", Repo: "fleet", Token: token,
		App: &forgeemu.App{ID: 42, InstallationID: 7, PublicKey: &key.PublicKey, TokenTTL: 3 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer gate.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	push := func(tag string) string {
		t.Helper()
		f := appFiles(ns, tag)
		f["canary.yaml"] = strings.NewReplacer("interval: 1m, stepWeight: 5, maxWeight: 15", "interval: 1s, iterations: 1",
			"http://127.0.0.1:9/", gate.URL, "  service:", "  provider: kubernetes\n  service:").Replace(f["canary.yaml"])
		sha, err := srv.Commit(ctx, forgeemu.Change{Branch: "main", Message: "detail " + tag, Write: f})
		if err != nil {
			t.Fatal(err)
		}
		return sha
	}
	user := github.NewClient(nil).WithAuthToken(token)
	if user.BaseURL, err = user.BaseURL.Parse(srv.APIURL()); err != nil {
		t.Fatal(err)
	}
	waitStatus := func(sha, state string) {
		t.Helper()
		for {
			statuses, _, err := user.Repositories.ListStatuses(ctx, "shop", "fleet", sha, nil)
			if err == nil && len(statuses) > 0 && statuses[0].GetState() == state {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("no %s status on %s: %v %v", state, sha[:7], statuses, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	appArgs := func(keyFile string) []string {
		return []string{"run", "--repo", srv.GitURL(), "--forge", "github", "--forge-api-url", srv.APIURL(),
			"--github-app-id", "42", "--github-app-installation-id", "7", "--github-app-private-key-file", keyFile,
			"--kubeconfig", playgroundtest.Kubeconfig(), "--namespace", ns, "--inventory-namespace", ns, "--owner", "app-test", "--interval", "1s"}
	}
	push("1.0")

	t.Run("a key of another App is refused at start, naming the flag", func(t *testing.T) {
		_, otherKeyFile := writeAppKey(t)
		out, err := exec.CommandContext(ctx, binary, appArgs(otherKeyFile)...).CombinedOutput()
		if err == nil {
			t.Fatalf("sluice ran with the key of another App:\n%s", out)
		}
		for _, want := range []string{"--github-app-private-key-file " + otherKeyFile, "App 42", "401"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("output does not say %q:\n%s", want, out)
			}
		}
		if strings.Contains(string(out), "eyJ") || strings.Contains(string(out), "PRIVATE KEY") {
			t.Errorf("output holds the JWT or the key:\n%s", out)
		}
	})

	var logs syncWriter
	cmd := exec.Command(binary, append(appArgs(keyFile), "--commit-checks", "both")...)
	cmd.Env = append(os.Environ(), "SLUICE_GITHUB_APP_ID=41") // the flag wins over its variable
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("sluice's log:\n%s", logs.String())
		}
	}()
	for start := time.Now(); !strings.Contains(logs.String(), "Watching "); time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			t.Fatal("sluice did not start within 30s")
		}
	}
	time.Sleep(7 * time.Second) // more than two token lifetimes of polls
	sha := push("2.0")
	waitStatus(sha, "success")
	// --commit-checks both: the Check Run of the commit went with its status.
	var runs []forgeemu.CheckRunView
	for _, run := range srv.CheckRuns() {
		if run.HeadSHA == sha {
			runs = append(runs, run)
		}
	}
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "success" || !strings.Contains(runs[0].Summary, "Iteration 1/1") {
		t.Errorf("Check Runs of the promoted commit = %+v, want one completed success whose summary tells the iterations", runs)
	}
	if n := srv.AppTokensMinted(); n < 3 {
		t.Errorf("the emulator minted %d installation tokens, want at least 3 (refreshes)", n)
	}
	log := logs.String()
	for _, secret := range []string{"ghs_", "eyJ", "PRIVATE KEY"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	for _, refusal := range []string{"Bad credentials", "Invalid username or token", `"level":"ERROR"`} {
		if strings.Contains(log, refusal) {
			t.Errorf("the log says %q: a token expired before it was refreshed", refusal)
		}
	}
}

// TestGitHubAppFlagsAreCheckedAtStart: every mistake in the App's flags
// stops run before it syncs anything, with an error that names the flag.
func TestGitHubAppFlagsAreCheckedAtStart(t *testing.T) {
	key, keyFile := writeAppKey(t)
	srv, err := forgeemu.New(forgeemu.Options{Dir: t.TempDir(), Owner: "shop", Repo: "fleet", Token: "ghp_unused",
		App: &forgeemu.App{ID: 42, InstallationID: 7, PublicKey: &key.PublicKey}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("ghp_aTokenInTheWrongFile"), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("ghp_unused"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"run", "--repo", srv.GitURL(), "--forge", "github", "--forge-api-url", srv.APIURL(), "--kubeconfig", filepath.Join(t.TempDir(), "none")}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"an App id alone", []string{"--github-app-id", "42"}, "--github-app-installation-id is required with --github-app-id"},
		{"no key file", []string{"--github-app-id", "42", "--github-app-installation-id", "7"}, "--github-app-private-key-file is required with --github-app-id"},
		{"a key file that does not exist", []string{"--github-app-id", "42", "--github-app-installation-id", "7", "--github-app-private-key-file", notPEM + ".missing"},
			"--github-app-private-key-file: open " + notPEM + ".missing"},
		{"a key file that holds no key", []string{"--github-app-id", "42", "--github-app-installation-id", "7", "--github-app-private-key-file", notPEM},
			"--github-app-private-key-file " + notPEM + ": no PEM block found"},
		{"another installation", []string{"--github-app-id", "42", "--github-app-installation-id", "8", "--github-app-private-key-file", keyFile},
			"--github-app-installation-id 8: no such installation of App 42"},
		{"another App id", []string{"--github-app-id", "41", "--github-app-installation-id", "7", "--github-app-private-key-file", keyFile},
			"is it the private key of App 41 (--github-app-id)?"},
		{"an App and a Git token", []string{"--github-app-id", "42", "--github-app-installation-id", "7", "--github-app-private-key-file", keyFile, "--token-file", notPEM},
			"--github-app-id: set it or --token-file/--token-env, not both"},
		{"Check Runs with a token", []string{"--token-file", tokenFile, "--commit-checks", "check-runs"},
			"--commit-checks check-runs: GitHub lets only a GitHub App write Check Runs"},
		{"Check Runs with the App but a forge token", []string{"--github-app-id", "42", "--github-app-installation-id", "7", "--github-app-private-key-file", keyFile,
			"--forge-token-file", tokenFile, "--commit-checks", "both"}, "--commit-checks both: GitHub lets only a GitHub App write Check Runs"},
		{"an unknown way", []string{"--token-file", tokenFile, "--commit-checks", "checks"}, `--commit-checks "checks": want statuses, check-runs or both`},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := sluice(ctx, append(base, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run error = %v, want one with %q\n%s", err, tt.want, out)
			}
			if strings.Contains(err.Error()+out, "ghp_aToken") || strings.Contains(err.Error()+out, "eyJ") {
				t.Errorf("the error or output holds a secret: %v\n%s", err, out)
			}
		})
	}
}
