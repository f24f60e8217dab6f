package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

// An incremental selection finds every issue to classify, whichever way it
// became pending, and nothing else: issues synced after the last run, issues
// with only a new or changed comment, issues classified under other rules
// (sorting before or after the current version), new issues; not issues
// synced before their classification, pull requests or gone issues.
func TestClassifyPendingDelta(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	classified := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) // the last run's start
	before := classified.Add(-time.Hour)                       // synced before it
	within := classified.Add(-time.Minute)                     // before it, within the watermark's 2 minutes
	after := classified.Add(time.Hour)                         // synced after it
	type change struct {
		sql  string
		args func(issues []int64) []any
	}
	issue := func(k int) func([]int64) []any {
		return func(is []int64) []any { return []any{is[k]} }
	}
	tests := []struct {
		name    string
		changes []change
		want    []int // indexes into the fixture's issues (by number), in order
		newOne  bool  // a new issue, never classified, is appended (want index 6)
	}{
		{name: "nothing changed"}, // issue 6 synced within the watermark's 2 minutes, before the run
		{name: "an issue synced after the run", changes: []change{
			{`UPDATE issues SET last_synced_at = $2 WHERE id = $1`, issue(2)}}, want: []int{2}},
		{name: "only a comment synced after the run", changes: []change{
			{`UPDATE comments SET last_synced_at = $2 WHERE issue_id = $1`, issue(3)}}, want: []int{3}},
		{name: "a new comment", changes: []change{
			{`INSERT INTO comments (issue_id, source_key, body, created_at, updated_at, raw, last_synced_at)
			  SELECT $1, 'pos:9', 'more', now(), now(), '{}', $2`, issue(1)}}, want: []int{1}},
		{name: "classified under an earlier rules version", changes: []change{
			{`UPDATE issue_classification SET rules_version = 'q' WHERE issue_id = $1 AND $2::timestamptz IS NOT NULL`, issue(4)}}, want: []int{4}},
		{name: "classified under a later rules version", changes: []change{
			{`UPDATE issue_classification SET rules_version = 's' WHERE issue_id = $1 AND $2::timestamptz IS NOT NULL`, issue(0)}}, want: []int{0}},
		{name: "a pull request synced after the run", changes: []change{
			{`UPDATE issues SET last_synced_at = $2, is_pull_request = true WHERE id = $1`, issue(5)}}},
		{name: "an issue gone since", changes: []change{
			{`UPDATE issues SET last_synced_at = $2, gone_at = $2 WHERE id = $1`, issue(5)}}},
		{name: "a new issue", newOne: true, want: []int{6}},
		{name: "several ways at once, in creation order", newOne: true, changes: []change{
			{`UPDATE issue_classification SET rules_version = 'q' WHERE issue_id = $1 AND $2::timestamptz IS NOT NULL`, issue(5)},
			{`UPDATE comments SET last_synced_at = $2 WHERE issue_id = $1`, issue(0)},
			{`UPDATE issues SET last_synced_at = $2 WHERE id = $1`, issue(3)}}, want: []int{0, 3, 5, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, issues, _ := clusterFixture(t)
			pool := storetest.Pool(st)
			err := st.InTx(ctx, func(tx pgx.Tx) error {
				var marks []store.ClassificationRow
				for _, id := range issues {
					marks = append(marks, store.ClassificationRow{IssueID: id, ContentHash: "h", RulesVersion: "r"})
				}
				return st.SignatureReplaceMany(ctx, tx, marks, nil, classified)
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{`UPDATE issues SET last_synced_at = $1`, `UPDATE comments SET last_synced_at = $1`} {
				if _, err := pool.Exec(ctx, q, before); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := pool.Exec(ctx, `UPDATE issues SET last_synced_at = $1 WHERE number = 6`, within); err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.changes {
				args := append(c.args(issues), after)
				if _, err := pool.Exec(ctx, c.sql, args...); err != nil {
					t.Fatalf("%s: %v", c.sql, err)
				}
			}
			all := issues
			if tc.newOne {
				c := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				if _, err := st.IssueUpsertMany(ctx, nil, []store.Issue{{Repository: "o/r1", Number: 7, State: "open", Title: "t7",
					HTMLURL: "https://github.com/o/r1/issues/7", CreatedAt: c, UpdatedAt: c, Raw: []byte("{}")}}); err != nil {
					t.Fatal(err)
				}
				var id int64
				if err := pool.QueryRow(ctx, `SELECT id FROM issues WHERE number = 7`).Scan(&id); err != nil {
					t.Fatal(err)
				}
				all = append(append([]int64(nil), issues...), id)
			}
			var got []int64
			err = st.InTx(ctx, func(tx pgx.Tx) error {
				var err error
				got, err = st.ClassifyPendingIDs(ctx, tx, store.ClassifyPendingParams{RulesVersion: "r"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []int64{}
			for _, k := range tc.want {
				want = append(want, all[k])
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("pending %v, want %v", got, want)
			}
		})
	}
}
