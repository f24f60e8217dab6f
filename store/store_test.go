package store_test

import (
	"context"
	"testing"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	applied, err := store.MigrateReport(ctx, storetest.Pool(s))
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %d migrations, want 0", len(applied))
	}
	migs, _ := store.Migrations()
	var n int
	if err := storetest.Pool(s).QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(migs) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(migs))
	}
	v, err := s.SchemaVersionGet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := migs[len(migs)-1].Version; v != want {
		t.Fatalf("SchemaVersionGet = %d, want %d", v, want)
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:s3cret@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"postgres://u@h/db?password=s3cret", "postgres://u@h/db?password=xxxxx"},
		{"host=h password=s3cret dbname=x", "host=h password=xxxxx dbname=x"},
		{"postgres:///errata?host=/tmp/x", "postgres:///errata?host=/tmp/x"},
		{"host=h port=1 password = 'a b\\' c' user=u", "host=h port=1 password = xxxxx user=u"},
		{"postgres://u:p@ss@[::1?connect_timeout=2", "postgres://u:xxxxx@[::1?connect_timeout=2"},
		{"postgres://u@h/db?sslmode=disable&password=pw&x=1", "postgres://u@h/db?sslmode=disable&password=xxxxx&x=1"},
	} {
		if got := store.RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
