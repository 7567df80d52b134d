package demo

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTheNarrationOutsideATerminalIsPlainLines(t *testing.T) {
	var out bytes.Buffer
	n := newNarrator(&out)
	n.say("Step one")
	n.show(progress{phase: "Progressing", weight: 5, commit: "0123456789abcdef", state: "pending", description: "canary weight 5% — step 1/3"})
	n.show(progress{phase: "Progressing", weight: 5, commit: "0123456789abcdef", state: "pending", description: "canary weight 5% — step 1/3"})
	n.sluice(logLine{Level: "INFO", Msg: "Advance detail.flagger canary weight 10", Canary: "detail.flagger"})
	n.show(progress{phase: "Progressing", weight: 10, commit: "0123456789abcdef", state: "pending", description: "canary weight 10% — step 2/3"})
	n.sluice(logLine{Level: "WARN", Msg: "Halt detail.flagger advancement success rate 0.00% < 99%", Canary: "detail.flagger"})
	n.tick()
	n.done()
	want := strings.Join([]string{
		"Step one",
		"  weight     │ canary weight 5% (Progressing)",
		"  status     │ pending on 0123456: canary weight 5% — step 1/3",
		"  sluice     │ Advance detail.flagger canary weight 10",
		"  weight     │ canary weight 10% (Progressing)",
		"  status     │ pending on 0123456: canary weight 10% — step 2/3",
		"  sluice     │ ⚠ Halt detail.flagger advancement success rate 0.00% < 99%",
		"",
	}, "\n")
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestOnATerminalTheProgressIsOneLineRewrittenUnderTheMessages(t *testing.T) {
	var out bytes.Buffer
	n := newNarrator(&out)
	n.live, n.width = true, 60
	n.show(progress{phase: "Progressing", weight: 5, commit: "0123456789abcdef", state: "pending", description: "canary weight 5% — step 1/3"})
	n.say("a message")
	n.done()
	got := out.String()
	if !strings.HasPrefix(got, "  [0s] detail.flagger Progressing · canary weight 5% · 012…\r\033[Ka message\n  [0s]") {
		t.Errorf("terminal output %q: want the progress line cut to the width, erased before the message and drawn again after it", got)
	}
	if !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("terminal output %q: want the progress line erased at the end", got)
	}
}

func TestNarratedLoggerTellsRecordsWithTheirAttributesAndLogsThemToo(t *testing.T) {
	var out, logged bytes.Buffer
	also := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	log := narratedLogger(newNarrator(&out), "gateway", also)
	log.Info("Started app", "deployment", "flagger/detail", "version", "2.0", "pid", 42, "address", "127.0.0.1:1")
	log.Debug("App did not answer")
	if want := "  gateway    │ Started app deployment=flagger/detail version=2.0\n"; out.String() != want {
		t.Errorf("narration %q, want %q", out.String(), want)
	}
	if !strings.Contains(logged.String(), "Started app") || !strings.Contains(logged.String(), "App did not answer") {
		t.Errorf("the other logger got %q, want both records", logged.String())
	}
}
