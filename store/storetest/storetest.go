// Package storetest hands tests a real, freshly migrated PostgreSQL
// database. It uses TEST_DATABASE_URL, else DATABASE_URL, as the server to
// create databases on; with neither set it starts errata's embedded
// PostgreSQL in a shared directory under the system temp dir (one cluster
// for all test packages, started once and reused). A test that cannot get
// its database fails with the reason; it never skips.
//
// Who stops that shared cluster: not the tests (the packages of one `go
// test ./...` run in parallel processes, and none knows it is the last).
// `make test` (scripts/test.sh) points ERRATA_TEST_DATA_DIR at a data dir
// of its own and runs `errata db destroy` on it when the run ends, so it
// leaves no server or cluster behind; a plain `go test` leaves the shared
// cluster running for the next run.
//
// Each test gets its own database, cloned from a template that holds the
// current migrations, and dropped when the test ends. When a new template
// is made (the migrations changed), templates of other migration sets more
// than a day old are dropped.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/pgembed"
)

var (
	serverOnce sync.Once
	serverURL  string
	serverErr  error
)

// ServerURL returns the URL of the server tests create their databases on
// (its maintenance database).
func ServerURL(tb testing.TB) string {
	tb.Helper()
	serverOnce.Do(func() { serverURL, serverErr = findServer() })
	if serverErr != nil {
		tb.Fatalf("storetest: no test database: %v", serverErr)
	}
	return serverURL
}

func findServer() (string, error) {
	for _, k := range []string{"TEST_DATABASE_URL", "DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v, nil
		}
	}
	dir := os.Getenv("ERRATA_TEST_DATA_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), fmt.Sprintf("errata-test-%d", os.Geteuid()))
	}
	c, err := pgembed.New(dir, os.Getenv)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return c.Start(ctx)
}

// URL returns the URL of a new, migrated database that is dropped when the
// test ends.
func URL(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := ServerURL(tb)
	tmpl, err := template(ctx, base)
	if err != nil {
		tb.Fatalf("storetest: prepare template database: %v", err)
	}
	u, drop, err := store.TempDatabase(ctx, store.TempDatabaseParams{ServerURL: base, Prefix: "errata_t_", Template: tmpl})
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := drop(ctx); err != nil {
			tb.Logf("storetest: %v", err)
		}
	})
	return u
}

// New returns a store on a new, migrated database, closed and dropped when
// the test ends.
func New(tb testing.TB) *store.Store {
	tb.Helper()
	return Open(tb, URL(tb))
}

// Open opens a store on the database at u (from URL), closed when the test
// ends; Pool works on it.
func Open(tb testing.TB, u string) *store.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, u)
	if err != nil {
		tb.Fatalf("storetest: open store: %v", err)
	}
	tb.Cleanup(s.Close)
	pools.Store(s, Connect(tb, u))
	tb.Cleanup(func() { pools.Delete(s) })
	return s
}

// Connect returns a connection pool on the database at u (from URL), for
// tests that set up or inspect rows with SQL of their own, closed when the
// test ends. pgxpool connects lazily: an unused pool opens no connection.
func Connect(tb testing.TB, u string) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		tb.Fatalf("storetest: open pool: %v", err)
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC" // as store.Open
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("storetest: open pool: %v", err)
	}
	tb.Cleanup(p.Close)
	return p
}

// pools maps each store made by New or Open to a pool on its database.
var pools sync.Map

// Pool returns a connection pool on the database of s, a store made by New
// or Open, for tests that set up or inspect rows with SQL of their own. The
// store keeps its pool private, so that production code has no way around
// its methods; tests get a second pool on the same database instead
// (Connect), closed when the test that made the store ends. Pool panics
// for a store made otherwise (a mistake in the test).
func Pool(s *store.Store) *pgxpool.Pool {
	p, ok := pools.Load(s)
	if !ok {
		panic("storetest.Pool: the store was not made by storetest.New or Open (or its test has ended)")
	}
	return p.(*pgxpool.Pool)
}

// template makes sure a template database with the current migrations
// exists and returns its name. The name carries a hash of the migrations,
// so a changed migration gets a new template.
func template(ctx context.Context, base string) (string, error) {
	migs, err := store.Migrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range migs {
		h.Write([]byte(m.Name))
		h.Write([]byte(m.SQL))
	}
	name := "errata_tmpl_" + hex.EncodeToString(h.Sum(nil)[:6])

	// Serialise template creation across test processes on this machine.
	unlock, err := fileLock(filepath.Join(os.TempDir(), "errata-storetest-"+name+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()

	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", store.RedactURL(base), err)
	}
	defer admin.Close(ctx)
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	s, err := store.Open(ctx, store.WithDatabase(base, name))
	if err != nil {
		return "", err
	}
	s.Close()
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+name+" WITH is_template true"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "COMMENT ON DATABASE "+name+" IS '"+templateComment+time.Now().UTC().Format(time.RFC3339)+"'"); err != nil {
		return "", err
	}
	pruneTemplates(ctx, admin, "errata_tmpl_", name, time.Now().Add(-templateMaxAge))
	return name, nil
}

// templateComment starts the comment on a template database; the time it
// was created follows.
const templateComment = "errata storetest template, created "

// templateMaxAge is how long a template of another migration set is kept:
// a checkout of an older errata may still be running its tests with it.
const templateMaxAge = 24 * time.Hour

// pruneTemplates drops the template databases named prefix... other than
// keep (those of other migration sets, left by older checkouts, 8 MB
// each) created before cutoff, or by a storetest that did not record the
// time. It is best effort: a template in use stays, and errors are
// ignored. It returns the names dropped.
func pruneTemplates(ctx context.Context, admin *pgx.Conn, prefix, keep string, cutoff time.Time) []string {
	rows, err := admin.Query(ctx, `SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '')
		FROM pg_database WHERE starts_with(datname, $2) AND datistemplate AND datname <> $1 ORDER BY datname`, keep, prefix)
	if err != nil {
		return nil
	}
	type tmpl struct{ name, comment string }
	var all []tmpl
	for rows.Next() {
		var t tmpl
		if rows.Scan(&t.name, &t.comment) == nil {
			all = append(all, t)
		}
	}
	rows.Close()
	if rows.Err() != nil {
		return nil // as a failed query: pruning is best effort
	}
	var dropped []string
	for _, t := range all {
		if created, err := time.Parse(time.RFC3339, strings.TrimPrefix(t.comment, templateComment)); err == nil &&
			strings.HasPrefix(t.comment, templateComment) && created.After(cutoff) {
			continue
		}
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{t.name}.Sanitize()+" WITH is_template false"); err != nil {
			continue
		}
		if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{t.name}.Sanitize()); err != nil {
			continue
		}
		dropped = append(dropped, t.name)
	}
	return dropped
}

func fileLock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
