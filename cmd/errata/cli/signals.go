package cli

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// gracefulStop gives long-running commands (sync, run) errata's two-stage
// interrupt: the first SIGINT or SIGTERM closes the returned stop channel,
// so the work ends after the unit in hand (what names it, for the log)
// with everything saved; a second one cancels the returned context,
// aborting at once, and says so. Call done when the command ends.
func gracefulStop(parent context.Context, log *slog.Logger, what string) (ctx context.Context, stop <-chan struct{}, done func()) {
	ctx, cancel := context.WithCancel(parent)
	stopCh := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		n := 0
		for {
			select {
			case <-sigs:
				n++
				if n == 1 {
					log.Warn("stopping after " + what + "; send the signal again to abort at once")
					close(stopCh)
				} else {
					log.Warn("second signal: aborting now; the open transaction rolls back, committed work is kept")
					cancel()
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return ctx, stopCh, func() {
		signal.Stop(sigs)
		cancel()
	}
}
