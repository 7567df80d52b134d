package reconciler_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/gitsync"
	"github.com/sluicehq/sluice/reconciler"
)

// pollCounter is a Source that counts its polls and fails each with a
// plain error, which Run retries at the next interval.
type pollCounter struct{ polls atomic.Int32 }

func (s *pollCounter) Poll(context.Context) (gitsync.Checkout, bool, error) {
	s.polls.Add(1)
	return gitsync.Checkout{}, false, errors.New("no repository here")
}

func (*pollCounter) URL() string { return "counting://fleet" }

func TestABurstOfTriggersGivesOnePollSoonAndNoneBetweenIntervals(t *testing.T) {
	source := &pollCounter{}
	rec := reconciler.New(nil, nil, nil, source, reconciler.Options{Interval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = rec.Run(ctx) }()
	defer func() { cancel(); <-done }()

	waitPolls := func(want int32, within time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		for source.polls.Load() < want {
			if time.Since(start) > within {
				t.Fatalf("%d polls after %s, want %d", source.polls.Load(), within, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(start)
	}
	waitPolls(1, 5*time.Second) // the first poll, at start

	start := time.Now()
	for range 10 {
		rec.Trigger()
	}
	took := waitPolls(2, 2*time.Second)
	if took > time.Second {
		t.Errorf("the triggered poll came %s after the burst, want within %s", took, reconciler.TriggerDebounce)
	}
	time.Sleep(3 * reconciler.TriggerDebounce)
	if n := source.polls.Load(); n != 2 {
		t.Errorf("%d polls after a burst of 10 triggers %s ago, want 2 (the first and one for the burst)", n, time.Since(start).Round(time.Millisecond))
	}

	rec.Trigger() // a later push polls again
	waitPolls(3, 2*time.Second)
}
