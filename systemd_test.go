package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSystemdNotifications runs the server under a fake NOTIFY_SOCKET and
// watchdog, as systemd would, and checks READY, WATCHDOG pings while the
// liveness check passes, none while it fails, and STOPPING on shutdown.
func TestSystemdNotifications(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	next := func(want string) {
		t.Helper()
		select {
		case m := <-msgs:
			if !strings.Contains(m, want) {
				t.Fatalf("got notification %q, want %q", m, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %q notification", want)
		}
	}

	// The watchdog helper on its own: pings while alive, none while not.
	t.Setenv("WATCHDOG_USEC", "200000")
	var dead atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	go watchdog(ctx, slog.New(slog.DiscardHandler), func(context.Context) error {
		if dead.Load() {
			return errors.New("database unreachable")
		}
		return nil
	})
	next("WATCHDOG=1")
	next("WATCHDOG=1")
	dead.Store(true)
	time.Sleep(150 * time.Millisecond) // let a ping already under way land
	for len(msgs) > 0 {
		<-msgs
	}
	select {
	case m := <-msgs:
		t.Fatalf("watchdog pinged while the liveness check failed: %q", m)
	case <-time.After(500 * time.Millisecond):
	}
	cancel()

	t.Setenv("WATCHDOG_USEC", "")
	ts := startServer(t)
	next("READY=1")
	ts.stop()
	next("STOPPING=1")
}

func TestFirstStepsHints(t *testing.T) {
	cfg := serverConfig{DataDir: "/var/lib/optiq"}
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	local := firstSteps(cfg, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8443}, "SHA256:ab")
	if !strings.Contains(local, "--data /var/lib/optiq") || !strings.Contains(local, "https://127.0.0.1:8443") {
		t.Errorf("local hints: %s", local)
	}
	host, _ := os.Hostname()
	wild := firstSteps(cfg, &net.TCPAddr{IP: net.IPv6unspecified, Port: 8443}, "SHA256:ab")
	if strings.Contains(wild, "[::]") || !strings.Contains(wild, net.JoinHostPort(host, "8443")) {
		t.Errorf("wildcard address shown: %s", wild)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", "/run/credentials/optiq.service")
	if sd := firstSteps(cfg, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8443}, "SHA256:ab"); !strings.Contains(sd, "systemd-run") || !strings.Contains(sd, "LoadCredential=master.key") {
		t.Errorf("systemd hints: %s", sd)
	}
}
