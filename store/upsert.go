package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// One newer-wins upsert per table. Import and sync both write issues and
// comments with the one statement of the table (issueUpsertInto ...
// issueUpsertNewer, commentUpsertInto ... commentUpsertNewer below): a stored row
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

// issueCols and commentCols are the columns import COPYs into the stages,
// in the order of issueColList and commentColList (a test checks).
var issueCols = []string{"repository_id", "number", "github_id", "node_id", "is_pull_request", "state", "state_reason",
	"title", "body", "author", "author_association", "labels", "reactions", "reactions_total", "comment_count",
	"html_url", "created_at", "updated_at", "closed_at", "raw"}

var commentCols = []string{"issue_id", "source_key", "github_id", "author", "author_association", "body",
	"reactions_total", "html_url", "created_at", "updated_at", "raw"}

// The one newer-wins upsert of each table, in two constant halves around
// the source of its rows (written out, not built, so that the statements
// stay constant text that reliability's TestEveryQueryIsParameterized can
// check): issueUpsertInto + <rows> + issueUpsertNewer. <rows> is a table
// or a parenthesized query with an alias, giving the columns in order. A
// stored row is only replaced by a copy with a newer updated_at, or the
// same updated_at and different raw JSON. One boolean per row written is
// returned, inserted (true) or updated; callers put the statement in the
// CTE ins and count with upsertCountsSQL.
const (
	issueColList = `repository_id, number, github_id, node_id, is_pull_request, state, state_reason, title, body,
		author, author_association, labels, reactions, reactions_total, comment_count, html_url, created_at, updated_at,
		closed_at, raw`
	issueUpsertInto  = `INSERT INTO issues (` + issueColList + `) SELECT ` + issueColList + ` FROM `
	issueUpsertNewer = `
		ON CONFLICT (repository_id, number) DO UPDATE SET github_id = EXCLUDED.github_id, node_id = EXCLUDED.node_id,
		is_pull_request = EXCLUDED.is_pull_request, state = EXCLUDED.state, state_reason = EXCLUDED.state_reason,
		title = EXCLUDED.title, body = EXCLUDED.body, author = EXCLUDED.author,
		author_association = EXCLUDED.author_association, labels = EXCLUDED.labels, reactions = EXCLUDED.reactions,
		reactions_total = EXCLUDED.reactions_total, comment_count = EXCLUDED.comment_count,
		html_url = EXCLUDED.html_url, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
		closed_at = EXCLUDED.closed_at, raw = EXCLUDED.raw, last_synced_at = now()
		WHERE issues.updated_at < EXCLUDED.updated_at
		   OR (issues.updated_at = EXCLUDED.updated_at AND issues.raw IS DISTINCT FROM EXCLUDED.raw)
		RETURNING (xmax = 0) AS inserted`

	commentColList = `issue_id, source_key, github_id, author, author_association, body, reactions_total, html_url,
		created_at, updated_at, raw`
	commentUpsertInto  = `INSERT INTO comments (` + commentColList + `) SELECT ` + commentColList + ` FROM `
	commentUpsertNewer = `
		ON CONFLICT (issue_id, source_key) DO UPDATE SET github_id = EXCLUDED.github_id, author = EXCLUDED.author,
		author_association = EXCLUDED.author_association, body = EXCLUDED.body,
		reactions_total = EXCLUDED.reactions_total, html_url = EXCLUDED.html_url, created_at = EXCLUDED.created_at,
		updated_at = EXCLUDED.updated_at, raw = EXCLUDED.raw, last_synced_at = now()
		WHERE comments.updated_at < EXCLUDED.updated_at
		   OR (comments.updated_at = EXCLUDED.updated_at AND comments.raw IS DISTINCT FROM EXCLUDED.raw)
		RETURNING (xmax = 0) AS inserted`

	// upsertCountsSQL counts what the upsert in the CTE ins wrote.
	upsertCountsSQL = `SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM ins`

	// The upserts from the stages, for import. The DELETE sees the same
	// snapshot as the INSERT, so it removes exactly the rows upserted;
	// unlike DELETE ... RETURNING feeding the INSERT, it does not make
	// PostgreSQL hold the batch's rows (bodies included) in a tuplestore.
	issueStageUpsertSQL = `WITH ins AS (` + issueUpsertInto + `issue_stage` + issueUpsertNewer + `),
		cleared AS (DELETE FROM issue_stage) ` + upsertCountsSQL
	commentStageUpsertSQL = `WITH ins AS (` + commentUpsertInto + `comment_stage` + commentUpsertNewer + `),
		cleared AS (DELETE FROM comment_stage) ` + upsertCountsSQL
)

// upsertCounts reads the row of an upsert statement.
func upsertCounts(row pgx.Row) (inserted, updated int, err error) {
	err = row.Scan(&inserted, &updated)
	return inserted, updated, err
}
