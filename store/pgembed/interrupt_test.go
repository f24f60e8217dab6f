package pgembed_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store/pgembed"
)

// helperEnv makes the test binary a stand-in for an errata command that
// starts the embedded cluster (see TestMain), so tests can kill it.
const helperEnv = "ERRATA_PGEMBED_HELPER_START"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		os.Exit(helperStart(dir))
	}
	os.Exit(m.Run())
}

// helperStart is what the killed subprocess runs: a first Start on dir,
// cancelled on SIGINT as errata's commands are.
func helperStart(dir string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c, err := pgembed.New(dir, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := c.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestInterruptedFirstStartRecovers interrupts the very first start of a
// new data dir at many points, with kill -9 and with Ctrl-C, and checks
// that the next start works by itself: the cluster listens on its socket
// only, and errata's database is there. The points are events seen on disk
// (the cluster directory appearing, initdb half-way, the server's pid
// file, its socket) and a few delays in between.
func TestInterruptedFirstStartRecovers(t *testing.T) {
	type point struct {
		name string
		sig  syscall.Signal
		// timed points may come after a fast machine's whole first start;
		// event points must interrupt it.
		timed bool
		// reached reports whether the moment to interrupt has come.
		reached func(root string, since time.Duration) bool
	}
	after := func(d time.Duration) (bool, func(string, time.Duration) bool) {
		return true, func(_ string, since time.Duration) bool { return since >= d }
	}
	exists := func(pattern string) (bool, func(string, time.Duration) bool) {
		return false, func(root string, _ time.Duration) bool {
			m, _ := filepath.Glob(filepath.Join(root, pattern))
			return len(m) > 0
		}
	}
	mk := func(name string, sig syscall.Signal) func(bool, func(string, time.Duration) bool) point {
		return func(timed bool, f func(string, time.Duration) bool) point {
			return point{name: name, sig: sig, timed: timed, reached: f}
		}
	}
	points := []point{
		mk("kill at once", syscall.SIGKILL)(after(0)),
		mk("kill when the cluster dir appears", syscall.SIGKILL)(exists("data*")),
		mk("kill when initdb is half-way", syscall.SIGKILL)(exists("data*/global")),
		mk("kill when PG_VERSION is written", syscall.SIGKILL)(exists("data*/PG_VERSION")),
		mk("kill when the config is written", syscall.SIGKILL)(exists("data*/postgresql.auto.conf")),
		mk("kill when the server writes its pid file", syscall.SIGKILL)(exists("data/postmaster.pid")),
		mk("kill when the server's socket appears", syscall.SIGKILL)(exists("run/.s.PGSQL.5432")),
		mk("kill after 300ms", syscall.SIGKILL)(after(300 * time.Millisecond)),
		mk("kill after 700ms", syscall.SIGKILL)(after(700 * time.Millisecond)),
		mk("ctrl-c when initdb is half-way", syscall.SIGINT)(exists("data*/global")),
		mk("ctrl-c when the server writes its pid file", syscall.SIGINT)(exists("data/postmaster.pid")),
		mk("ctrl-c after 700ms", syscall.SIGINT)(after(700 * time.Millisecond)),
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			c, err := pgembed.New(dir, os.Getenv)
			if err != nil {
				t.Fatalf("no embedded postgres here: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			t.Cleanup(func() {
				if _, err := c.Stop(context.Background()); err != nil {
					t.Logf("stop: %v", err)
				}
				if c.Root != filepath.Join(dir, "postgres") {
					os.RemoveAll(c.Root)
				}
			})

			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+dir)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			began := time.Now()
			tick := time.NewTicker(2 * time.Millisecond)
			defer tick.Stop()
			interrupted := true
		wait:
			for !p.reached(c.Root, time.Since(began)) {
				select {
				case err := <-done:
					if p.timed {
						t.Logf("the first start ended (%v) before the point; checking the next start all the same", err)
						interrupted = false
						break wait
					}
					t.Fatalf("the first start ended (%v) before the point was reached: the test no longer interrupts it there", err)
				case <-ctx.Done():
					t.Fatal("the point was never reached")
				case <-tick.C:
					continue wait
				}
			}
			if interrupted {
				_ = cmd.Process.Signal(p.sig)
				if err := <-done; err != nil { // killed on purpose: what it left behind is checked below
					t.Logf("after %s: %v", p.sig, err)
				}
			}

			u, err := c.Start(ctx)
			if err != nil {
				t.Fatalf("start after the interrupted first start: %v", err)
			}
			// And again: every start is idempotent.
			if _, err := c.Start(ctx); err != nil {
				t.Fatalf("second start after the interrupted first start: %v", err)
			}
			conn, err := pgx.Connect(ctx, u)
			if err != nil {
				t.Fatalf("connect to %s: %v", u, err)
			}
			defer conn.Close(ctx)
			var db, listen string
			if err := conn.QueryRow(ctx, `SELECT current_database(), current_setting('listen_addresses')`).Scan(&db, &listen); err != nil {
				t.Fatal(err)
			}
			if db != pgembed.DBName || listen != "" {
				t.Fatalf("database %q listening on %q; want %q on the socket only", db, listen, pgembed.DBName)
			}
			st, err := c.Status(ctx)
			if err != nil || !st.Initialized || !st.Running {
				t.Fatalf("status %+v, %v", st, err)
			}
		})
	}
}

// TestHalfMadeClusterOfOlderErrataIsRedone: errata before the atomic
// initialisation could leave a data dir with PG_VERSION but without its
// settings; the next start redoes it instead of starting a server that
// listens on TCP.
func TestHalfMadeClusterOfOlderErrataIsRedone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c, err := pgembed.New(dir, os.Getenv)
	if err != nil {
		t.Fatalf("no embedded postgres here: %v", err)
	}
	t.Cleanup(func() {
		if _, err := c.Stop(context.Background()); err != nil {
			t.Logf("stop: %v", err)
		}
		if c.Root != filepath.Join(dir, "postgres") {
			os.RemoveAll(c.Root)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := os.MkdirAll(filepath.Join(c.Root, "data", "global"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.Root, "data", "PG_VERSION"), []byte("15\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx)
	if err != nil || st.Initialized {
		t.Fatalf("status of a half-made cluster: %+v, %v; want not initialised", st, err)
	}
	u, err := c.Start(ctx)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	conn.Close(ctx)
}

// TestClusterThatRanIsNeverRemoved: a data dir errata cannot vouch for but
// whose server has run (postmaster.opts), here one without errata's
// settings, is never taken for a half-made cluster and removed: the start
// fails with the server's reason and the files stay.
func TestClusterThatRanIsNeverRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c, err := pgembed.New(dir, os.Getenv)
	if err != nil {
		t.Fatalf("no embedded postgres here: %v", err)
	}
	t.Cleanup(func() {
		if c.Root != filepath.Join(dir, "postgres") {
			os.RemoveAll(c.Root)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := os.MkdirAll(filepath.Join(c.Root, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"PG_VERSION": "15\n", "postmaster.opts": "postgres\n", "precious": "user data\n"} {
		if err := os.WriteFile(filepath.Join(c.Root, "data", name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Start(ctx); err == nil {
		t.Fatal("a start on a broken cluster that ran succeeded")
	}
	if b, err := os.ReadFile(filepath.Join(c.Root, "data", "precious")); err != nil || string(b) != "user data\n" {
		t.Fatalf("the cluster's files were touched: %q, %v", b, err)
	}
}
