package reliability_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/ingest"
	"github.com/errata-tool/errata/ingest/githubfake"
	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// syncPerPage is small so that a modest fake needs many requests.
const syncPerPage = 10

// syncRepo is the repository the fault checks sync.
const syncRepo = "rel/flaky"

// seedFake fills the fake with n issues (every seventh a pull request,
// every third closed), with i%5 comments each, some edited, one second to
// a few minutes apart, and text that exercises the decoder.
func seedFake(fake *githubfake.Server, n int) {
	for i := 0; i < n; i++ {
		is := fake.AddIssue(syncRepo, githubfake.NewIssue{
			Title:  fmt.Sprintf("error %d: ENOENT: no such file or directory, open '/tmp/x%d' 💥 | ---", i, i%13),
			Body:   fmt.Sprintf("```\npanic: runtime error: index out of range [%d]\n```\n<script>alert(%d)</script> \u202e\u200b", i%7, i),
			IsPR:   i%7 == 6,
			Closed: i%3 == 0,
			Labels: []string{"bug", fmt.Sprintf("area/%d", i%4)},
		})
		for j := 0; j < i%5; j++ {
			fake.Advance(time.Second)
			c := fake.AddComment(syncRepo, is.Number, fmt.Sprintf("user%d", j), fmt.Sprintf("same here %d/%d: exit status %d", i, j, j+1), time.Time{})
			if j == 1 {
				fake.Advance(time.Second)
				fake.EditComment(syncRepo, c.ID, c.Body+" (edited)")
			}
		}
		// Many items share a second, as on busy repositories.
		if i%4 == 0 {
			fake.Advance(time.Duration(1+i%3) * time.Minute)
		}
	}
}

// fastLimits make retries and waits take milliseconds.
func fastLimits() ingest.Limits {
	return ingest.Limits{
		MaxWait:          time.Minute,
		SecondaryBase:    time.Millisecond,
		SecondaryRetries: 12,
		RetryBase:        2 * time.Millisecond,
		Retries:          12,
		RequestTimeout:   400 * time.Millisecond,
	}
}

// syncOnce runs one sync of syncRepo (pull requests included) against
// apiURL into st.
func syncOnce(ctx context.Context, t *testing.T, st *store.Store, apiURL string, token string, stop <-chan struct{}) ingest.Summary {
	t.Helper()
	c, err := ingest.NewClient(ingest.ClientOptions{APIURL: apiURL, Token: token, Limits: fastLimits()})
	if err != nil {
		t.Fatal(err)
	}
	s := ingest.NewSyncer(c, st, ingest.Options{PerPage: syncPerPage, Reconcile: false})
	return s.Sync(ingest.WithStop(ctx, stop), ingest.Source{Kind: ingest.KindRepo, Key: syncRepo, IncludePullRequests: true})
}

// dumpData returns the full content of the data tables (repositories,
// issues, comments), every column but surrogate ids and errata's own
// bookkeeping times, one line per row in a stable order. Two stores that
// hold the same data give the same dump.
func dumpData(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	queries := []string{
		`SELECT (to_jsonb(r) - 'id' - 'created_at')::text FROM repositories r ORDER BY full_name`,
		`SELECT r.full_name || ' ' || (to_jsonb(i) - 'id' - 'repository_id' - 'first_seen_at' - 'last_synced_at')::text
			FROM issues i JOIN repositories r ON r.id = i.repository_id ORDER BY r.full_name, i.number`,
		`SELECT r.full_name || '#' || i.number || ' ' || (to_jsonb(c) - 'id' - 'issue_id' - 'first_seen_at' - 'last_synced_at')::text
			FROM comments c JOIN issues i ON i.id = c.issue_id JOIN repositories r ON r.id = i.repository_id
			ORDER BY r.full_name, i.number, c.source_key`,
	}
	for _, q := range queries {
		rows, err := storetest.Pool(st).Query(ctx, q)
		if err != nil {
			t.Fatalf("dump: %v", err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			b.WriteString(line)
			b.WriteByte('\n')
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		b.WriteString("--\n")
	}
	return b.String()
}

// diffDumps describes how two dumps differ (first differing lines).
func diffDumps(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			out = append(out, fmt.Sprintf("line %d:\n  want %.300s\n  got  %.300s", i+1, a, b))
			if len(out) == 3 {
				break
			}
		}
	}
	return fmt.Sprintf("%d rows want, %d rows got\n%s", len(w), len(g), strings.Join(out, "\n"))
}

// countRows counts issues and comments.
func countRows(t *testing.T, st *store.Store) (issues, comments int) {
	t.Helper()
	if err := storetest.Pool(st).QueryRow(context.Background(), `SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM comments)`).Scan(&issues, &comments); err != nil {
		t.Fatal(err)
	}
	return issues, comments
}
