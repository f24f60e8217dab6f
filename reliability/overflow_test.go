package reliability_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/errata-tool/errata/store/storetest"
)

// TestImportOutOfRangeValues: values that JSON and Go accept but the
// database's integer columns do not (numbers above 2^31-1) and nesting
// deeper than PostgreSQL's jsonb parser takes. Each such record must be
// rejected on its own, naming its field; the good records of the same
// batch must still be stored.
func TestImportOutOfRangeValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name, rec, field string
	}{
		{"number above int4", `{"repository":"rel/range","number":3000000000,"title":"big","created_at":"2024-01-01T00:00:00Z"}`, "number"},
		{"comment count above int4", `{"repository":"rel/range","number":2,"title":"many","comments":3000000000,"created_at":"2024-01-01T00:00:00Z"}`, "comments"},
		{"reactions above int4", `{"repository":"rel/range","number":3,"title":"loved","reactions":{"total_count":3000000000},"created_at":"2024-01-01T00:00:00Z"}`, "reactions"},
		{"year 10000", `{"repository":"rel/range","number":4,"title":"future","created_at":"2024-01-01T00:00:00Z","updated_at":"9999-12-31T23:59:59Z","closed_at":"0001-01-01T00:00:00Z"}`, ""},
		{"deep json", `{"repository":"rel/range","number":5,"title":"deep","extra":` + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + `,"created_at":"2024-01-01T00:00:00Z"}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := storetest.URL(t)
			var b strings.Builder
			for i := 0; i < 20; i++ {
				fmt.Fprintf(&b, `{"repository":"rel/range","number":%d,"title":"good %d","created_at":"2024-01-01T00:00:00Z"}`+"\n", 100+i, i)
			}
			b.WriteString(tc.rec + "\n")
			for i := 20; i < 40; i++ {
				fmt.Fprintf(&b, `{"repository":"rel/range","number":%d,"title":"good %d","created_at":"2024-01-01T00:00:00Z"}`+"\n", 100+i, i)
			}
			path := filepath.Join(t.TempDir(), "range.jsonl")
			if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			res := runApp(t, ctx, nil, "", "--database-url", url, "import", path)
			if strings.Contains(res.stderr, "panic") {
				t.Fatalf("panic: %s", res.stderr)
			}
			db := connect(t, url)
			var good int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM issues WHERE number >= 100 AND number < 140`).Scan(&good); err != nil {
				t.Fatal(err)
			}
			if good != 40 {
				t.Errorf("BUG: %d of 40 good records stored: one out-of-range record lost its whole batch; stderr: %s", good, truncate(res.stderr, 600))
			}
			if tc.field != "" && !strings.Contains(res.stderr, "field "+tc.field) {
				t.Errorf("BUG: the %s record is not rejected naming field %q; exit %d, stderr: %s", tc.name, tc.field, res.code, truncate(res.stderr, 600))
			}
			if tc.field == "" {
				var n int
				if err := db.QueryRow(ctx, `SELECT count(*) FROM issues WHERE number < 100`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 1 && !strings.Contains(res.stderr, path+":21") {
					t.Errorf("the %s record is neither stored nor rejected naming line 21: %s", tc.name, truncate(res.stderr, 600))
				}
			}
		})
	}
}
