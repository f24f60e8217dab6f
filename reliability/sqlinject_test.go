package reliability_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store/storetest"
)

// sqlPayloads are SQL metacharacter strings that would break or change a
// query built by string concatenation.
var sqlPayloads = []string{
	`x'; DROP TABLE issues; --`,
	`x" OR "1"="1`,
	`' OR '1'='1' --`,
	`x\'; DELETE FROM comments; --`,
	`$1 $$ $tag$ ; TRUNCATE repositories CASCADE; $tag$`,
	`%' OR title LIKE '%`,
	`x); DROP TABLE clusters; --`,
	"x\u0000'; DROP TABLE issues; --",
	`E'\x27'; SELECT pg_sleep(5); --`,
	"x\xff\xfe'; DROP TABLE issues; --",
}

// TestSQLMetacharacters pushes SQL metacharacters through every place a
// user or GitHub supplies text that reaches a query: repository names and
// search queries (sync), issue titles and bodies (import, sync), match
// text, cluster filters. The tables must survive with their rows, nothing
// may sleep, and the text must be stored as given.
func TestSQLMetacharacters(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := storetest.URL(t)
	gh := githubfake.New(githubfake.Options{})
	defer gh.Close()
	for _, p := range sqlPayloads {
		gh.AddIssue("rel/sql", githubfake.NewIssue{Title: "Error: " + p, Body: "panic: " + p + "\n" + p, Labels: []string{p}})
		gh.Advance(time.Minute)
	}
	base := []string{"--database-url", url}
	vars := map[string]string{"GITHUB_API_URL": gh.APIURL()}
	run := func(args ...string) result {
		res := runApp(t, ctx, vars, "", append(base, args...)...)
		if strings.Contains(res.all(), "panic:") && !strings.Contains(res.all(), "Error: ") || strings.Contains(res.stderr, "internal error") {
			t.Errorf("errata %s panicked: %s", args[0], res.all())
		}
		if strings.Contains(res.all(), "SQLSTATE 42") {
			t.Errorf("BUG: errata %s: a payload reached SQL as code: %s", args[0], res.all())
		}
		if strings.Contains(res.all(), "SQLSTATE 22021") {
			t.Errorf("BUG: errata %s %q: text PostgreSQL cannot store (NUL, invalid UTF-8) reached the database unchecked; want a usage error naming the flag: %s",
				args[0], args[len(args)-1], truncate(res.all(), 300))
		}
		return res
	}
	if res := run("sync", "--repo", "rel/sql"); res.code != 0 {
		t.Fatalf("sync: %s", res.all())
	}
	start := time.Now()
	for _, p := range sqlPayloads {
		run("sync", "--repo", "rel/"+p)
		run("sync", "--repo", p+"/r")
		run("sync", "--search", p)
		run("match", p)
		run("clusters", "--topic", p)
		run("clusters", "--category", p)
		run("classify")
	}
	if time.Since(start) > time.Minute {
		t.Errorf("the payload runs took %s: did pg_sleep run?", time.Since(start))
	}
	db := connect(t, url)
	var issues, repos int
	if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM repositories)`).Scan(&issues, &repos); err != nil {
		t.Fatalf("the tables did not survive: %v", err)
	}
	if issues != len(sqlPayloads) {
		t.Errorf("%d issues, want %d", issues, len(sqlPayloads))
	}
	for _, p := range sqlPayloads {
		want := "Error: " + strings.ToValidUTF8(strings.ReplaceAll(p, "\x00", "\uFFFD"), "\uFFFD")
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM issues WHERE title = $1`, want).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("title %q stored %d times", want, n)
		}
	}
	// Search queries are kept verbatim as sync sources.
	var searches int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM sync_sources WHERE kind = 'search'`).Scan(&searches); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d search sources recorded", searches)
	recordFigure("security.sql_payloads", len(sqlPayloads))
}
