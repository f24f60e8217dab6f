package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// One newer-wins upsert per table. Import and sync both write issues and
// comments with the statement upsertSQL builds for the table: a stored row
// is only replaced by a copy with a newer updated_at, or the same
// updated_at and different raw JSON; an older copy never overwrites a
// newer one. What differs is where the rows come from, each path's
// fastest way in:
//
//   - import streams a batch with COPY into a staging table (binary,
//     nothing held as array parameters) and upserts from it. The stages
//     are a session's temporary issue_stage and comment_stage, made once
//     per database session (CREATE TEMP TABLE IF NOT EXISTS, stageDDL)
//     rather than per batch, emptied by the upsert itself (so import's two
//     issue batches in one transaction, issues then pull requests, never
//     see each other's rows) and truncated at commit;
//   - a sync page is small and goes in one round trip with the rest of
//     its transaction: the upsert reads SELECT ... FROM unnest(...) of
//     the page's columns, in a pgx batch (COPY cannot be part of one).
//     Staging sync pages too (the same stage tables, one shared statement)
//     was measured: it cost a sync about a third more database CPU per
//     issue, the stage's write, read and truncation per small page; see
//     docs/benchmarks.md.
//
// These statements stay hand-written: sqlc's catalog is built from the
// migrations and knows no temporary table, the unnest forms carry arrays
// with NULL elements, and they run inside pgx batches and after COPY.

// stageDDL makes the session's staging tables when they are missing. Its
// columns are issueCols and commentCols, with the types of issues and
// comments but no constraints: a stage row is checked when it is upserted.
const stageDDL = `CREATE TEMP TABLE IF NOT EXISTS issue_stage (
	repository_id bigint, number integer, github_id bigint, node_id text, is_pull_request boolean,
	state text, state_reason text, title text, body text, author text, author_association text,
	labels text[], reactions jsonb, reactions_total integer, comment_count integer, html_url text,
	created_at timestamptz, updated_at timestamptz, closed_at timestamptz, raw jsonb
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS comment_stage (
	issue_id bigint, source_key text, github_id bigint, author text, author_association text, body text,
	reactions_total integer, html_url text, created_at timestamptz, updated_at timestamptz, raw jsonb
) ON COMMIT DELETE ROWS`

// ensureStages runs stageDDL in tx's session. Without arguments pgx sends
// it with the simple protocol, both statements in one round trip; on a
// session that has the stages it only looks up their names.
func ensureStages(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, stageDDL); err != nil {
		return fmt.Errorf("make staging tables: %w", err)
	}
	return nil
}

var issueCols = []string{"repository_id", "number", "github_id", "node_id", "is_pull_request", "state", "state_reason",
	"title", "body", "author", "author_association", "labels", "reactions", "reactions_total", "comment_count",
	"html_url", "created_at", "updated_at", "closed_at", "raw"}

var commentCols = []string{"issue_id", "source_key", "github_id", "author", "author_association", "body",
	"reactions_total", "html_url", "created_at", "updated_at", "raw"}

// upsertSQL returns the one newer-wins upsert of table: an INSERT of the
// rows of from (a table or a parenthesized query with an alias, giving
// cols in order) that replaces a stored row only with a newer copy, and
// returns one boolean per row written, inserted (true) or updated.
// Callers put it in a WITH and count (upsertCountsSQL).
func upsertSQL(table string, cols []string, conflict, from string) string {
	set := make([]string, 0, len(cols))
	for _, c := range cols[2:] { // the first two are the conflict key
		set = append(set, c+" = EXCLUDED."+c)
	}
	list := strings.Join(cols, ", ")
	return `INSERT INTO ` + table + ` (` + list + `)
		SELECT ` + list + ` FROM ` + from + `
		ON CONFLICT (` + conflict + `) DO UPDATE SET ` + strings.Join(set, ", ") + `, last_synced_at = now()
		WHERE ` + table + `.updated_at < EXCLUDED.updated_at
		   OR (` + table + `.updated_at = EXCLUDED.updated_at AND ` + table + `.raw IS DISTINCT FROM EXCLUDED.raw)
		RETURNING (xmax = 0) AS inserted`
}

// upsertCountsSQL counts what the upsert in the CTE ins wrote.
const upsertCountsSQL = `SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM ins`

// The upserts from the stages, for import. The DELETE sees the same
// snapshot as the INSERT, so it removes exactly the rows upserted; unlike
// DELETE ... RETURNING feeding the INSERT, it does not make PostgreSQL hold
// the batch's rows (bodies included) in a tuplestore.
var (
	issueStageUpsertSQL = `WITH ins AS (` + upsertSQL("issues", issueCols, "repository_id, number", "issue_stage") + `),
	cleared AS (DELETE FROM issue_stage) ` + upsertCountsSQL
	commentStageUpsertSQL = `WITH ins AS (` + upsertSQL("comments", commentCols, "issue_id, source_key", "comment_stage") + `),
	cleared AS (DELETE FROM comment_stage) ` + upsertCountsSQL
)

// upsertCounts reads the row of an upsert statement.
func upsertCounts(row pgx.Row) (inserted, updated int, err error) {
	err = row.Scan(&inserted, &updated)
	return inserted, updated, err
}
