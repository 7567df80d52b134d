package reconciler_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/playground/playgroundtest"
	"github.com/sluicehq/sluice/reconciler"
)

// A primary that stays not ready (its pods fit no node) is logged once
// for its reason, not at every sync: a thousand primaries coming up used
// to log a thousand lines every poll.
func TestAPrimaryThatWaitsIsLoggedOncePerReason(t *testing.T) {
	ns := playgroundtest.Namespace(t)
	repo := newGitRepo(t)
	unschedulable := strings.Replace(deploymentYAML("1.0"), "    spec:\n", "    spec:\n      nodeSelector: {sluice.dev/no-such-node: \"true\"}\n", 1)
	repo.commit("detail 1.0 on no node", map[string]*string{
		"kustomization.yaml": text(kustomization),
		"deployment.yaml":    text(unschedulable),
		"canary.yaml":        text(canaryYAML),
		"settings.yaml":      text(settingsYAML("blue")),
	})
	var logs logLines
	h := newHarness(t, repo, ns, func(o *reconciler.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	for range 5 {
		h.mustSync()
	}
	var waits []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && strings.HasPrefix(entry.Msg, "detail-primary."+ns+" not ready: ") {
			waits = append(waits, entry.Msg)
		}
	}
	if len(waits) == 0 {
		t.Fatal("the primary that fits no node was never logged as not ready")
	}
	for i := 1; i < len(waits); i++ {
		if waits[i] == waits[i-1] {
			t.Fatalf("5 syncs logged the same wait twice in a row: %q (%d lines: %q)", waits[i], len(waits), waits)
		}
	}
}
