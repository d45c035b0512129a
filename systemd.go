package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// notifyReady tells systemd (Type=notify) that the server accepts
// connections. Outside systemd it does nothing.
func notifyReady(log *slog.Logger) {
	if ok, err := daemon.SdNotify(false, daemon.SdNotifyReady); err != nil {
		log.Warn("systemd notification failed", "error", err)
	} else if ok {
		log.Info("notified systemd: ready")
	}
}

// notifyStopping tells systemd that a graceful shutdown has begun.
func notifyStopping() { daemon.SdNotify(false, daemon.SdNotifyStopping) }

// watchdog pings systemd's watchdog at half its interval for as long as
// alive succeeds, so that a server that is up but wedged (its database
// unreachable, say) is restarted rather than kept.
func watchdog(ctx context.Context, log *slog.Logger, alive func(context.Context) error) {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil || interval == 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cctx, cancel := context.WithTimeout(ctx, interval/4)
			err := alive(cctx)
			cancel()
			if err != nil {
				log.Error("liveness check failed; not pinging the watchdog", "error", err)
				continue
			}
			daemon.SdNotify(false, daemon.SdNotifyWatchdog)
		}
	}
}
