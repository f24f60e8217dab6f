package storetest

import (
	"context"
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
	dbs := map[string]string{ // name: comment
		"errata_tmpl_zzprune0old":  templateComment + now.Add(-48*time.Hour).Format(time.RFC3339),
		"errata_tmpl_zzprune1new":  templateComment + now.Add(-time.Hour).Format(time.RFC3339),
		"errata_tmpl_zzprune2bare": "",
		"errata_tmpl_zzprune3keep": "",
	}
	for name, comment := range dbs {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" WITH is_template true"); err != nil {
			t.Fatal(err)
		}
		if comment != "" {
			if _, err := admin.Exec(ctx, "COMMENT ON DATABASE "+name+" IS '"+comment+"'"); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() {
		for name := range dbs {
			admin.Exec(context.Background(), "ALTER DATABASE "+name+" WITH is_template false")
			admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name)
		}
	})
	// Only this test's names: the real templates on a shared server stay.
	dropped := pruneTemplates(ctx, admin, "errata_tmpl_zzprune", "errata_tmpl_zzprune3keep", now.Add(-24*time.Hour))
	if want := []string{"errata_tmpl_zzprune0old", "errata_tmpl_zzprune2bare"}; !slices.Equal(dropped, want) {
		t.Errorf("dropped %q, want %q", dropped, want)
	}
	var left []string
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'errata\_tmpl\_zzprune%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	left, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"errata_tmpl_zzprune1new", "errata_tmpl_zzprune3keep"}; !slices.Equal(left, want) {
		t.Errorf("left %q, want %q", left, want)
	}
}
