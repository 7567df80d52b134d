package playground

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockDir takes an exclusive lock on dir, shared with other processes, and
// returns the function that releases it. While another process holds the
// lock it says so once and waits, until ctx ends.
func lockDir(ctx context.Context, dir string, log *slog.Logger) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("playground: lock %s: %w", dir, err)
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if err != syscall.EWOULDBLOCK {
			_ = f.Close()
			return nil, fmt.Errorf("playground: lock %s: %w", dir, err)
		}
		if !told {
			log.Info("Waiting for another sluice process to finish building the playground tools", "cacheDir", dir)
			told = true
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("playground: lock %s: %w", dir, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
