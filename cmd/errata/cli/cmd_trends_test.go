package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/cmd/errata/cli"
	"github.com/errata-tool/errata/reports/trends"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// trendsDB returns a database with one cluster: one old report (so the
// store has data before the baseline), 1 report in the baseline
// and 5 in the window ending 2026-10-01, in acme/app.
func trendsDB(t *testing.T) string {
	t.Helper()
	url := storetest.URL(t)
	ctx := context.Background()
	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := storetest.Connect(t, url)
	var repo, cluster int64
	if err := db.QueryRow(ctx, `INSERT INTO repositories (full_name) VALUES ('acme/app') RETURNING id`).Scan(&repo); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `INSERT INTO clusters (slug, title, signature, fingerprint, topic, tools)
		VALUES ('tls-timeout', 'TLS handshake timeout', 's', 'v1:s', 'network', '{curl}') RETURNING id`).Scan(&cluster); err != nil {
		t.Fatal(err)
	}
	for i, d := range []string{"2026-01-01", "2026-07-01", "2026-09-10", "2026-09-11", "2026-09-12", "2026-09-13", "2026-09-14"} {
		created, _ := time.Parse(time.DateOnly, d)
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO issues (repository_id, number, state, title, html_url, created_at, updated_at, raw)
			VALUES ($1, $2, 'open', 't', $3, $4, $4, '{}') RETURNING id`, repo, i+1, fmt.Sprintf("https://github.com/acme/app/issues/%d", i+1), created).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO cluster_members (issue_id, cluster_id, score, reason) VALUES ($1, $2, 1, 't')`, id, cluster); err != nil {
			t.Fatal(err)
		}
	}
	if err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { return s.ClusterRefresh(ctx, tx, []int64{cluster}) }); err != nil {
		t.Fatal(err)
	}
	return url
}

func TestTrendsCommand(t *testing.T) {
	t.Parallel()
	url := trendsDB(t)
	base := []string{"--database-url", url, "trends", "--as-of", "2026-10-01"}

	code, out, stderr := run(t, nil, "", append(base, "--format", "json")...)
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep trends.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	// 5 now vs 1 before: P(X>=5 | 6, 1/4) = 19/4096; ratio (6/28)/(2/84) = 9.
	if len(rep.Rows) != 1 || rep.Rows[0].Key != "tls-timeout" || rep.Rows[0].Count != 5 || rep.Rows[0].BaselineCount != 1 ||
		rep.Rows[0].State != trends.StateRising || math.Abs(rep.Rows[0].Ratio-9) > 1e-12 || math.Abs(rep.Rows[0].PUp-19.0/4096) > 1e-12 {
		t.Errorf("rows %+v", rep.Rows)
	}
	if rep.Windows.Current.From.String() != "2026-09-04" || rep.Query.WindowDays != 28 || rep.Query.Baselines != 3 {
		t.Errorf("windows %+v query %+v", rep.Windows, rep.Query)
	}

	// Table: aligned, with a sparkline; markdown states the windows.
	code, out, _ = run(t, nil, "", base...)
	if code != cli.ExitOK || !strings.Contains(out, "Rising  tls-timeout") || !strings.ContainsAny(out, "▁█") {
		t.Errorf("table (exit %d):\n%s", code, out)
	}
	code, out, _ = run(t, nil, "", append(base, "--format", "markdown", "--by", "tool")...)
	if code != cli.ExitOK || !strings.Contains(out, "2026-09-04 to 2026-10-01") || !strings.Contains(out, "| Rising | curl |") {
		t.Errorf("markdown by tool (exit %d):\n%s", code, out)
	}
	code, out, _ = run(t, nil, "", append(base, "--format", "csv", "--by", "repo", "--window", "4w")...)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != cli.ExitOK || err != nil || len(recs) != 2 || recs[1][2] != "acme/app" || recs[1][7] != "5" {
		t.Errorf("csv by repo (exit %d, %v):\n%s", code, err, out)
	}
	// A 7-day window as of 2026-09-14: 5 now (09-08..09-14), 1 in 21 days before.
	code, out, _ = run(t, nil, "", "--database-url", url, "trends", "--as-of", "2026-09-14", "--window", "7d", "--format", "json")
	if err := json.Unmarshal([]byte(out), &rep); code != cli.ExitOK || err != nil || len(rep.Rows) != 1 || rep.Rows[0].Count != 5 || rep.Rows[0].BaselineCount != 0 {
		t.Errorf("7-day window (exit %d, %v): %s", code, err, out)
	}
	// --as-of as a timestamp in another zone means its UTC day: 2026-09-13
	// 22:00 at UTC-5 is 2026-09-14 03:00 UTC.
	code, out, _ = run(t, nil, "", "--database-url", url, "trends", "--as-of", "2026-09-13T22:00:00-05:00", "--window", "1w", "--format", "json")
	if err := json.Unmarshal([]byte(out), &rep); code != cli.ExitOK || err != nil || rep.Windows.Current.To.String() != "2026-09-14" || rep.Rows[0].Count != 5 {
		t.Errorf("as-of in UTC-5 (exit %d, %v): %s", code, err, out)
	}
}

func TestTrendsUsageErrors(t *testing.T) {
	t.Parallel()
	url := "postgres://x@127.0.0.1:1/x"
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"--window", "3x"}, "--window"},
		{[]string{"--window", "0d"}, "--window"},
		{[]string{"--window", "36h"}, "--window"},
		{[]string{"--as-of", "yesterday"}, "--as-of"},
		{[]string{"--by", "author"}, "group by"},
		{[]string{"--format", "xml"}, "--format"},
		{[]string{"--signal", "stars"}, "signal"},
		{[]string{"--top", "-1"}, "top"},
		{[]string{"--baselines", "0"}, "--baselines"},
		{[]string{"--window", "1000d"}, "spans 4000 days"},
		{[]string{"extra"}, "unexpected argument"},
	}
	for _, tc := range tests {
		code, _, stderr := run(t, nil, "", append([]string{"--database-url", url, "trends"}, tc.args...)...)
		if code != cli.ExitUsage || !strings.Contains(stderr, tc.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, cli.ExitUsage, tc.err)
		}
	}
}
