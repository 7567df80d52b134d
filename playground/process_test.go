package playground

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCrashExcerptStartsAtThePanicAndOtherwiseIsTheTail(t *testing.T) {
	dir := t.TempDir()
	p := &process{name: "kwok", logPath: filepath.Join(dir, "kwok.log")}
	var log []string
	for i := range 40 {
		log = append(log, "I1126 starting worker "+strings.Repeat("x", i%3))
	}
	log = append(log, "panic: runtime error: index out of range [2] with length 2", "", "goroutine 97 [running]:")
	for range 40 {
		log = append(log, "sigs.k8s.io/kwok/pkg/utils/lifecycle.(*Stage).match(...)", "\tlifecycle.go:392 +0x1d")
	}
	if err := os.WriteFile(p.logPath, []byte(strings.Join(log, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(p.crashExcerpt(10), "\n")
	if len(got) != 30 || got[0] != "panic: runtime error: index out of range [2] with length 2" || got[2] != "goroutine 97 [running]:" {
		t.Errorf("excerpt of a panic: %d lines starting %q, want 30 from the panic on", len(got), got[:min(3, len(got))])
	}

	if err := os.WriteFile(p.logPath, []byte(strings.Join(log[:40], "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := p.crashExcerpt(10); got != strings.Join(log[30:40], "\n") {
		t.Errorf("excerpt without a panic:\n%s\nwant the last 10 lines", got)
	}
}
