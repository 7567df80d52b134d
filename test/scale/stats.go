package main

import (
	"math"
	"slices"
	"time"
)

// percentile returns the p-th percentile (0–100) of values by the
// nearest-rank method; zero for no values. values is not modified.
func percentile(values []time.Duration, p float64) time.Duration {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// lateness returns, for each pair of consecutive calls (sorted by time),
// how much later than interval after the first the second came: the
// delay a step of a Canary suffered. Early calls give negative values.
func lateness(calls []time.Time, interval time.Duration) []time.Duration {
	sorted := sortedTimes(calls)
	var late []time.Duration
	for i := 1; i < len(sorted); i++ {
		late = append(late, sorted[i].Sub(sorted[i-1])-interval)
	}
	return late
}

// median returns the middle value (the lower one of an even count); zero
// for none.
func median(values []time.Duration) time.Duration {
	return percentile(values, 50)
}

// ms formats a duration in milliseconds, rounded.
func ms(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}

// sortedTimes returns a sorted copy of times.
func sortedTimes(times []time.Time) []time.Time {
	sorted := slices.Clone(times)
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	return sorted
}
