package planner

import (
	"fmt"
	"time"
)

// ConditionForge is on every Canary when sluice writes back to a forge:
// True while the forge takes what sluice writes, False with reason
// Refused when it refuses sluice's credentials (HTTP 401 or 403, or a
// push refused for them), naming the status code and when sluice tries
// again.
const ConditionForge = "Forge"

// ForgeRetryAfter is how long write-back to a forge that refused sluice's
// credentials failures times in a row waits before it tries again: 10s,
// doubling, capped at 10 minutes. A refused token does not heal by
// itself, so it is not retried at every sync; statuses wait, in order.
func ForgeRetryAfter(failures int) time.Duration {
	const base, ceiling = 10 * time.Second, 10 * time.Minute
	if failures <= 0 {
		return 0
	}
	wait := base
	for i := 1; i < failures && wait < ceiling; i++ {
		wait *= 2
	}
	return min(wait, ceiling)
}

// ForgeRefusedMessage is the message of ConditionForge while the forge
// refuses sluice's credentials.
func ForgeRefusedMessage(reason string, failures int, retry time.Duration) string {
	return fmt.Sprintf("The forge refused sluice's credentials %d time(s) in a row (%s): commit statuses and revert pull requests wait, in order; next attempt in %s.",
		failures, reason, retry.Round(time.Second))
}
