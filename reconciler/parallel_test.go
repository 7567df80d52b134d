package reconciler_test

// The rollout tests that mark themselves t.Parallel() run two at a time
// (go test's -parallel, GOMAXPROCS by default) once the serial tests are
// done: each has its own namespace, Git repository, harness and, where it
// needs one, gateway and exporter, and spends most of its time waiting on
// analysis intervals, so pairing them halves that wait in make test. The
// tests that measure timing (lags, deadlines, the hung webhook, the
// crash-and-resume ones) stay serial.
