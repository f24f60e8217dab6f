package reliability_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store/pgembed"
	"github.com/errata-tool/errata/store/storetest"
)

// privateCluster starts an embedded PostgreSQL cluster of its own (so the
// test can stop and start it) and returns it with its URL. It is stopped
// and removed when the test ends.
func privateCluster(t *testing.T) (*pgembed.Cluster, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "errata-data") // created by errata
	cl, err := pgembed.New(dir, os.Getenv)
	if err != nil {
		t.Fatalf("embedded postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	url, err := cl.Start(ctx)
	if err != nil {
		t.Fatalf("start embedded postgres: %v", err)
	}
	// The embedded cluster trusts every local connection that reaches its
	// socket, so nobody else may reach it: data dir, cluster root, socket
	// directory and PGDATA are private.
	for _, d := range []string{cl.DataDir, cl.Root, filepath.Join(cl.Root, "run"), filepath.Join(cl.Root, "data")} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Errorf("embedded postgres: %v", err)
			continue
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("BUG: %s is open to other users: %04o", d, fi.Mode().Perm())
		}
		recordFigure("security.private_dirs_checked", 1)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := cl.Stop(ctx); err != nil {
			t.Logf("stop embedded postgres: %v", err)
		}
		if !strings.HasPrefix(cl.Root, dir) {
			_ = os.RemoveAll(cl.Root)
		}
	})
	return cl, url
}

// TestSyncSurvivesPostgresRestart stops the database in the middle of a
// sync, twice: once leaving it down until the sync gives up, once starting
// it again at once. Each time the sync must end (no hang, no panic) either
// with success or with a clear failure, and the next run must complete
// with exactly the data of an undisturbed run.
func TestSyncSurvivesPostgresRestart(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Options{})
	defer fake.Close()
	seedFake(fake, 200)
	want := cleanDump(t, fake)

	cl, url := privateCluster(t)
	st := storetest.Open(t, url)

	for _, mode := range []string{"down", "restart"} {
		var n atomic.Int64
		var once sync.Once
		hookDone := make(chan struct{})
		fake.OnRequest(func(*http.Request) {
			if n.Add(1) != 6 {
				return
			}
			once.Do(func() {
				defer close(hookDone)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if _, err := cl.Stop(ctx); err != nil {
					t.Errorf("stop postgres: %v", err)
				}
				if mode == "restart" {
					if _, err := cl.Start(ctx); err != nil {
						t.Errorf("start postgres: %v", err)
					}
				}
			})
		})
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		start := time.Now()
		sum := syncOnce(ctx, t, st, fake.APIURL(), "", nil)
		hung := ctx.Err() != nil
		cancel()
		fake.OnRequest(nil)
		// The sync can fail while the database is still going down (a
		// commit runs beside the request that stopped it): wait for the
		// stop (and start) to finish.
		select {
		case <-hookDone:
		case <-time.After(2 * time.Minute):
			t.Fatalf("postgres %s: the stop/start did not finish", mode)
		}
		took := time.Since(start)
		t.Logf("postgres %s mid-sync: status %s after %s: %s", mode, sum.Status, took.Round(time.Millisecond), sum.Message)
		if hung {
			t.Fatalf("postgres %s: the sync hung until the test's deadline", mode)
		}
		switch sum.Status {
		case "ok":
		case "failed":
			if sum.Message == "" || strings.Contains(sum.Message, "panic") {
				t.Errorf("postgres %s: failure without a clear message: %q", mode, sum.Message)
			}
		default:
			t.Errorf("postgres %s: status %q (%v), want ok or failed", mode, sum.Status, sum.Err)
		}
		if mode == "down" {
			if sum.Status == "ok" {
				t.Errorf("the sync reported ok although the database was down")
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if _, err := cl.Start(ctx); err != nil {
				t.Fatalf("start postgres again: %v", err)
			}
			cancel()
		}
		recordFigure("faults.postgres_"+mode, 1)
	}
	// The same store (its pool reconnects) completes the sync.
	sum := syncOnce(context.Background(), t, st, fake.APIURL(), "", nil)
	if sum.Status != "ok" {
		t.Fatalf("sync after the restarts: %s: %v", sum.Status, sum.Err)
	}
	if got := dumpData(t, st); got != want {
		t.Fatalf("sync after postgres restarts differs from an undisturbed one: %s", diffDumps(want, got))
	}
}
