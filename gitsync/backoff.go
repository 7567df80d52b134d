package gitsync

import "time"

// Backoff computes how long to wait before retrying a failed poll:
// exponential from Base, doubling with each consecutive failure, capped at
// Max, with up to a Jitter fraction of it taken off at random so that many
// pollers do not retry in step. The zero Backoff is usable (Base 1s, Max 5m,
// no jitter); [DefaultBackoff] adds jitter.
type Backoff struct {
	// Base is the delay after the first failure. Zero: 1s.
	Base time.Duration
	// Max caps the delay. Zero: 5m.
	Max time.Duration
	// Jitter is the largest fraction of the delay taken off at random, in
	// [0, 1]; values outside are clamped. Zero: no jitter.
	Jitter float64
}

// DefaultBackoff is 1s, 2s, 4s… up to 5m, each up to 20 % shorter at random.
var DefaultBackoff = Backoff{Base: time.Second, Max: 5 * time.Minute, Jitter: 0.2}

// Delay returns the wait before the next attempt after failures consecutive
// failures (1 after the first). It is a pure function: random is the
// caller's random number in [0, 1), usually rand.Float64(), clamped to
// [0, 1]; the delay is d·(1 − Jitter·random) where d is
// min(Max, Base·2^(failures−1)). failures ≤ 0 gives 0. It never exceeds Max
// and never overflows.
func (b Backoff) Delay(failures int, random float64) time.Duration {
	if failures <= 0 {
		return 0
	}
	base, ceiling := b.Base, b.Max
	if base <= 0 {
		base = time.Second
	}
	if ceiling <= 0 {
		ceiling = 5 * time.Minute
	}
	delay := min(base, ceiling)
	for i := 1; i < failures && delay < ceiling; i++ {
		if delay > ceiling/2 {
			delay = ceiling
			break
		}
		delay *= 2
	}
	jitter := clamp(b.Jitter, 0, 1) * clamp(random, 0, 1)
	return delay - time.Duration(float64(delay)*jitter)
}

// clamp limits v to [lo, hi].
func clamp(v, lo, hi float64) float64 {
	return min(max(v, lo), hi)
}
