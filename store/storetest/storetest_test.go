package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPruneTemplates: templates of other migration sets older than the
// cutoff, or without a recorded time, are dropped; recent ones and the
// current one stay.
func TestPruneTemplates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, ServerURL(t))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer admin.Close(ctx)
	now := time.Now().UTC()
	// Names of this run only, so two runs on one server do not collide.
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "errata_tmpl_zz" + hex.EncodeToString(b[:]) + "_"
	dbs := map[string]string{ // name: comment
		prefix + "0old":  templateComment + now.Add(-48*time.Hour).Format(time.RFC3339),
		prefix + "1new":  templateComment + now.Add(-time.Hour).Format(time.RFC3339),
		prefix + "2bare": "",
		prefix + "3keep": "",
	}
	drop := func(name string) error {
		// A template cannot be dropped; the ALTER fails when it is gone.
		_, _ = admin.Exec(ctx, "ALTER DATABASE "+name+" WITH is_template false")
		_, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name)
		return err
	}
	// Runs before admin closes (defers run last in, first out).
	defer func() {
		for name := range dbs {
			if err := drop(name); err != nil {
				t.Errorf("drop %s: %v", name, err)
			}
		}
	}()
	for name, comment := range dbs {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" WITH is_template true"); err != nil {
			t.Fatal(err)
		}
		if comment != "" {
			if _, err := admin.Exec(ctx, "COMMENT ON DATABASE "+name+" IS '"+comment+"'"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Only this test's names: the real templates on a shared server stay.
	dropped := pruneTemplates(ctx, admin, prefix, prefix+"3keep", now.Add(-24*time.Hour))
	if want := []string{prefix + "0old", prefix + "2bare"}; !slices.Equal(dropped, want) {
		t.Errorf("dropped %q, want %q", dropped, want)
	}
	var left []string
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1`, prefix)
	if err != nil {
		t.Fatal(err)
	}
	left, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{prefix + "1new", prefix + "3keep"}; !slices.Equal(left, want) {
		t.Errorf("left %q, want %q", left, want)
	}
}
