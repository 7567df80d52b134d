package reconciler_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// aliasBomb is a few hundred bytes of YAML whose aliases expand to about
// 10^9 nodes ("billion laughs"), shared with the manifests tests.
func aliasBomb(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "manifests", "testdata", "hostile", "billion-laughs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Regression: an alias bomb in the synced path drove sluice to 23 GiB and
// the log never named the file; a refused head was re-rendered and its
// error logged at every poll.
func TestAnAliasBombIsRefusedOnceNamingTheFileAndTheLastGoodStateStays(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	seedApp(repo)
	var logs logLines
	h := newHarness(t, repo, ns, func(o *reconciler.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	h.settle()

	repo.commit("lol", map[string]*string{"kustomization.yaml": text("resources: [deployment.yaml, canary.yaml, settings.yaml, lol.yaml]\n"), "lol.yaml": text(aliasBomb(t))})
	for range 5 {
		_, err := h.sync()
		var refused *reconciler.RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "file lol.yaml: YAML aliases expand to more than 1000000 nodes") {
			t.Fatalf("sync of the bomb = %v, want a refusal naming lol.yaml", err)
		}
	}
	if n := strings.Count(logs.String(), `"level":"ERROR","msg":"commit `); n != 1 || !strings.Contains(logs.String(), "refused: file lol.yaml") {
		t.Errorf("the refusal was logged as an error %d times over 5 syncs, want once, naming lol.yaml", n)
	}
	warned := 0
	for _, msg := range h.canaryEvents() {
		if strings.Contains(msg, "file lol.yaml") {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("%d Warning events about the refusal over 5 syncs, want 1", warned)
	}
	if st := h.canary().Status; st.Phase != "Initialized" {
		t.Errorf("phase %s after the refusal, want Initialized: the last good state stays", st.Phase)
	}
}

// Regression: status.trackedConfigs held a plain SHA-256 of Secret data,
// which anyone who can read Canaries could use to guess a low-entropy
// secret offline. It is an HMAC under a key of the installation, kept in a
// Secret sluice owns.
func TestTheTrackedHashOfASecretIsKeyed(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	deployment := strings.Replace(deploymentYAML("1.0"), "        ports: [{containerPort: 3000}]\n",
		"        ports: [{containerPort: 3000}]\n        envFrom: [{secretRef: {name: db}}]\n", 1)
	secret := "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2}\n"
	repo.commit("detail with a secret", map[string]*string{
		"kustomization.yaml": text("resources: [deployment.yaml, canary.yaml, settings.yaml, secret.yaml]\n"),
		"deployment.yaml":    text(deployment),
		"canary.yaml":        text(canaryYAML),
		"settings.yaml":      text(settingsYAML("blue")),
		"secret.yaml":        text(secret),
	})
	h := newHarness(t, repo, ns, nil)
	h.settle()
	got := h.canary().Status.TrackedConfigs["secret/db"]
	plain := sha256.Sum256([]byte(`{"stringData":{"password":"hunter2"}}`))
	if got == "" || got == hex.EncodeToString(plain[:]) {
		t.Fatalf("trackedConfigs[secret/db] = %q, want a keyed hash, not the plain SHA-256 %x", got, plain)
	}
	var key corev1.Secret
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "sluice-hash-key"}, &key); err != nil {
		t.Fatalf("the installation's hash key: %v", err)
	}
	mac := hmac.New(sha256.New, key.Data["key"])
	mac.Write([]byte(`{"stringData":{"password":"hunter2"}}`))
	if want := hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("trackedConfigs[secret/db] = %s, want the HMAC under the key of sluice-hash-key, %s", got, want)
	}
}
