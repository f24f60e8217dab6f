package pgembed_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store/pgembed"
)

// TestLifecycle starts a private cluster from two goroutines at once (they
// must not race), connects, stops it and reads its status. It uses its own
// data dir, so it does not disturb the cluster other tests share.
func TestLifecycle(t *testing.T) {
	dir := t.TempDir()
	c, err := pgembed.New(filepath.Join(dir, "data"), os.Getenv)
	if err != nil {
		t.Fatalf("no embedded postgres here: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		if _, err := c.Stop(context.Background()); err != nil {
			t.Logf("stop: %v", err)
		}
		if c.Root != filepath.Join(dir, "data", "postgres") {
			os.RemoveAll(c.Root)
		}
	})

	var wg sync.WaitGroup
	urls := make([]string, 2)
	errs := make([]error, 2)
	for i := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			urls[i], errs[i] = c.Start(ctx)
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
	}
	if urls[0] != urls[1] {
		t.Fatalf("two starts gave different URLs: %s %s", urls[0], urls[1])
	}
	conn, err := pgx.Connect(ctx, urls[0])
	if err != nil {
		t.Fatalf("connect to %s: %v", urls[0], err)
	}
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("query: %v", err)
	}
	conn.Close(ctx)

	st, err := c.Status(ctx)
	if err != nil || !st.Running || !st.Initialized {
		t.Fatalf("status %+v, %v; want running", st, err)
	}
	stopped, err := c.Stop(ctx)
	if err != nil || !stopped {
		t.Fatalf("stop: %v %v", stopped, err)
	}
	st, err = c.Status(ctx)
	if err != nil || st.Running || !st.Initialized {
		t.Fatalf("status after stop %+v, %v", st, err)
	}
	// A restart reuses the cluster.
	if _, err := c.Start(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}

	// A server killed with SIGKILL (its pid may linger as a zombie) is
	// started again by the next Start.
	b, err := os.ReadFile(filepath.Join(c.Root, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	u, err := c.Start(ctx)
	if err != nil {
		t.Fatalf("start after SIGKILL: %v", err)
	}
	conn, err = pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect after SIGKILL and start: %v", err)
	}
	conn.Close(ctx)
}

func TestMissingBinariesSaysWhatToInstall(t *testing.T) {
	t.Parallel()
	env := map[string]string{"ERRATA_PG_BIN": t.TempDir()}
	_, err := pgembed.New(t.TempDir(), func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "ERRATA_PG_BIN") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(pgembed.ErrNoBinaries.Error(), "apt-get install postgresql") {
		t.Fatalf("ErrNoBinaries does not say what to install: %v", pgembed.ErrNoBinaries)
	}
}
