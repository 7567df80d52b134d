package planner

import (
	"testing"
	"time"
)

func TestForgeRetryAfterDoublesUpToTenMinutes(t *testing.T) {
	for failures, want := range map[int]time.Duration{
		0: 0, 1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 6: 320 * time.Second, 7: 10 * time.Minute, 50: 10 * time.Minute,
	} {
		if got := ForgeRetryAfter(failures); got != want {
			t.Errorf("ForgeRetryAfter(%d) = %s, want %s", failures, got, want)
		}
	}
}
