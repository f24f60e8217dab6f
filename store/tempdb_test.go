package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// dbExists reports whether database name exists on the server at base.
func dbExists(t *testing.T, base, name string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func dbName(t *testing.T, u string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

// A temporary database is created empty (store.Open migrates it) or as a
// clone of a template, is usable while open sessions exist, and is gone
// after drop, which can be called again.
func TestTempDatabase(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := storetest.ServerURL(t)

	u, drop, err := store.TempDatabase(ctx, store.TempDatabaseParams{ServerURL: base, Prefix: "errata_tempdbtest_"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = drop(context.Background()) })
	name := dbName(t, u)
	if !strings.HasPrefix(name, "errata_tempdbtest_") || !dbExists(t, base, name) {
		t.Fatalf("database %q (from %s) not created with its prefix", name, store.RedactURL(u))
	}
	s, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	// A clone of it, made while a session (the store's pool) is open on
	// it, would fail; close first as the store's users do.
	s.Close()
	c, dropClone, err := store.TempDatabase(ctx, store.TempDatabaseParams{ServerURL: base, Prefix: "errata_tempdbtest_", Template: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dropClone(context.Background()) })
	conn, err := pgx.Connect(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var migrated bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('issues') IS NOT NULL`).Scan(&migrated); err != nil {
		t.Fatal(err)
	}
	if !migrated {
		t.Error("the clone lacks the template's tables")
	}
	// Drop forces the open session off.
	if err := dropClone(ctx); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if dbExists(t, base, dbName(t, c)) {
		t.Error("clone still exists after drop")
	}
	if err := drop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := drop(ctx); err != nil {
		t.Errorf("second drop: %v", err)
	}
	if dbExists(t, base, name) {
		t.Error("database still exists after drop")
	}
}

// A missing template is an error naming it.
func TestTempDatabaseMissingTemplate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _, err := store.TempDatabase(ctx, store.TempDatabaseParams{ServerURL: storetest.ServerURL(t), Prefix: "errata_tempdbtest_", Template: "errata_no_such_template"})
	if err == nil || !strings.Contains(err.Error(), "errata_no_such_template") {
		t.Fatalf("err = %v, want an error naming the template", err)
	}
}

// WithDatabase keeps the server and options of URLs and DSNs.
func TestWithDatabase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ base, want string }{
		{"postgres://u@h:5432/postgres?sslmode=disable", "postgres://u@h:5432/x?sslmode=disable"},
		{"postgres://u@h/?dbname=postgres&sslmode=disable", "postgres://u@h/x?dbname=x&sslmode=disable"},
		{"host=h user=u", "host=h user=u dbname=x"},
	} {
		if got := store.WithDatabase(tc.base, "x"); got != tc.want {
			t.Errorf("WithDatabase(%q) = %q, want %q", tc.base, got, tc.want)
		}
	}
}
