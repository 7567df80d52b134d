package gitsync

import (
	"math"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	cases := []struct {
		name     string
		backoff  Backoff
		failures int
		random   float64
		want     time.Duration
	}{
		{"no failure means no wait", DefaultBackoff, 0, 0.5, 0},
		{"a negative count means no wait", DefaultBackoff, -3, 0.5, 0},
		{"the first failure waits Base", Backoff{Base: time.Second, Max: time.Minute}, 1, 0, time.Second},
		{"each failure doubles the wait", Backoff{Base: time.Second, Max: time.Minute}, 4, 0, 8 * time.Second},
		{"the wait stops at Max", Backoff{Base: time.Second, Max: time.Minute}, 7, 0, time.Minute},
		{"a huge count neither overflows nor passes Max", Backoff{Base: time.Second, Max: math.MaxInt64}, math.MaxInt32, 0, math.MaxInt64},
		{"a Base above Max waits Max", Backoff{Base: time.Hour, Max: time.Minute}, 1, 0, time.Minute},
		{"the zero Backoff starts at one second", Backoff{}, 1, 0.9, time.Second},
		{"the zero Backoff stops at five minutes", Backoff{}, 100, 0.9, 5 * time.Minute},
		{"jitter takes off its fraction times random", Backoff{Base: 10 * time.Second, Max: time.Minute, Jitter: 0.2}, 1, 0.5, 9 * time.Second},
		{"jitter never lengthens the wait", Backoff{Base: 10 * time.Second, Max: time.Minute, Jitter: 0.2}, 1, 0, 10 * time.Second},
		{"jitter applies below the cap too", Backoff{Base: 10 * time.Second, Max: time.Minute, Jitter: 0.5}, 10, 1, 30 * time.Second},
		{"a random number above one is clamped", Backoff{Base: 10 * time.Second, Max: time.Minute, Jitter: 0.5}, 1, 7, 5 * time.Second},
		{"a jitter above one is clamped", Backoff{Base: 10 * time.Second, Max: time.Minute, Jitter: 3}, 1, 0.25, 7500 * time.Millisecond},
		{"a negative random number is clamped", Backoff{Base: 10 * time.Second, Max: time.Minute, Jitter: 0.5}, 1, -1, 10 * time.Second},
		{"the default backoff is 1s, 2s, 4s", DefaultBackoff, 3, 0, 4 * time.Second},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.backoff.Delay(tt.failures, tt.random); got != tt.want {
				t.Errorf("%+v.Delay(%d, %v) = %v, want %v", tt.backoff, tt.failures, tt.random, got, tt.want)
			}
		})
	}
}
