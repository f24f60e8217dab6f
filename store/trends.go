package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
)

// This file holds the queries of `errata trends` (package reports/trends).
// They read pre-aggregated daily counts: cluster_daily_counts (kept by
// classify) and the rollups of migration 0006 (kept by TrendRefresh).

// TrendRefreshResult says what TrendRefresh did.
type TrendRefreshResult struct {
	Full bool // rebuilt everything (first run, or cluster_members was truncated)
	// Clusters counts the clusters whose rollups were recomputed or added
	// to (when not Full).
	Clusters int
	// Added counts the new members and comments whose counts were added.
	Added int
}

// trendResolveSQL maps every cluster id to the cluster it finally merged
// into (itself when not merged), following clusters.merged_into, or the
// latest "merge" redirect when merged_into is not set; at most 32 hops, so
// a cycle cannot loop.
const trendResolveSQL = `
WITH RECURSIVE nxt AS (
    SELECT c.id, COALESCE(c.merged_into,
        (SELECT r.new_id FROM cluster_redirects r WHERE r.old_id = c.id AND r.kind = 'merge' ORDER BY r.at DESC LIMIT 1)) AS next
    FROM clusters c WHERE c.status = 'merged'
), chain (id, cur, depth) AS (
    SELECT id, id, 0 FROM clusters
    UNION ALL
    SELECT ch.id, n.next, ch.depth + 1 FROM chain ch JOIN nxt n ON n.id = ch.cur
    WHERE n.next IS NOT NULL AND ch.depth < 32
)
SELECT DISTINCT ON (id) id, cur AS survivor FROM chain ORDER BY id, depth DESC`

// TrendRefresh brings the trend rollups (trend_repo_daily_counts and
// trend_cluster_fixes) up to date, in proportion to the change. Triggers
// record what changed (migrations 0006 and 0017): issues that became
// members and comments added to members in trend_added_members and
// trend_added_comments, whose counts are added to the rollups, and every
// other change (a member removed or moved, an issue's dates, state or
// reactions, a deleted comment, a merge) as a cluster in trend_dirty, whose
// rollups are recomputed from its members (through the cluster_id index,
// so the cost follows the cluster's size). A run with nothing to do costs
// two statements; a full rebuild (first run, or after cluster_members was
// truncated) reads every member.
//
// The refresh reads one snapshot (REPEATABLE READ), taken after the lock:
// the changes it takes and the rows it counts them from are the same
// state, so a comment is counted once, with its new member or on its own.
// Hand-written: the temporary table trend_survivor (CREATE TABLE AS of a
// recursive query) and the statements that read it; the others are
// generated (queries/trends.sql).
func (s *Store) TrendRefresh(ctx context.Context) (TrendRefreshResult, error) {
	var res TrendRefreshResult
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		// Serialise refreshes so two commands do not insert the same rows;
		// before the first query, so the snapshot follows the lock.
		if err := s.q.TrendRollupsLock(ctx, tx); err != nil {
			return fmt.Errorf("lock trend rollups: %w", err)
		}
		ch, err := s.q.TrendTakeChanges(ctx, tx)
		if err != nil {
			return fmt.Errorf("read trend changes: %w", err)
		}
		if len(ch.Dirty) == 0 && len(ch.Members) == 0 && len(ch.Comments) == 0 {
			return nil
		}
		res.Full = slices.Contains(ch.Dirty, 0)
		res.Added = len(ch.Members) + len(ch.Comments)
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE trend_survivor ON COMMIT DROP AS `+trendResolveSQL); err != nil {
			return fmt.Errorf("resolve merged clusters: %w", err)
		}
		if res.Full {
			return s.trendRecompute(ctx, tx, true, nil, nil, nil)
		}
		// The surviving clusters whose fixes are rebuilt (scope): those of
		// the dirty clusters, and those a new report may have fixed.
		var scope, raws []int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(array_agg(DISTINCT survivor), '{}') FROM trend_survivor WHERE id = ANY($1)`, ch.Dirty).Scan(&scope); err != nil {
			return fmt.Errorf("resolve dirty clusters: %w", err)
		}
		touched := map[int64]bool{}
		for _, id := range ch.Dirty {
			touched[id] = true
		}
		if res.Added > 0 {
			added, err := s.q.TrendAddCounts(ctx, tx, dbsqlc.TrendAddCountsParams{MemberIssueIds: ch.Members, Dirty: ch.Dirty, CommentIds: ch.Comments})
			if err != nil {
				return fmt.Errorf("add to trend_repo_daily_counts: %w", err)
			}
			for _, id := range added {
				touched[id] = true
			}
			more, err := trendAddFixes(ctx, tx, ch.Members, scope)
			if err != nil {
				return err
			}
			scope = append(scope, more...)
		}
		res.Clusters = len(touched)
		// The member clusters that resolve to the scope.
		if err := tx.QueryRow(ctx, `SELECT COALESCE(array_agg(id), '{}') FROM trend_survivor WHERE survivor = ANY($1)`, scope).Scan(&raws); err != nil {
			return fmt.Errorf("resolve dirty clusters: %w", err)
		}
		return s.trendRecompute(ctx, tx, false, ch.Dirty, scope, raws)
	})
	if err != nil {
		return TrendRefreshResult{}, fmt.Errorf("refresh trend rollups: %w", err)
	}
	return res, nil
}

// trendAddFixes brings the fix moments of the surviving clusters that got
// new members (issueIDs), other than those in scope, up to date with them,
// and returns the clusters whose fixes must be recomputed instead.
//
// A fix moment is a close as fixed after which no report of the cluster is
// open. A new report open from its creation to its close (or for good)
// ends every fix moment in between, and leaves the others as they were; a
// new report closed as fixed is itself a fix moment only if nothing else is
// open then, which a report still open since before proves; otherwise the
// cluster's fixes are recomputed. (This holds while no report is closed
// before it was created, as on GitHub.)
// Hand-written: the temporary table trend_survivor.
func trendAddFixes(ctx context.Context, tx pgx.Tx, issueIDs, scope []int64) ([]int64, error) {
	if len(issueIDs) == 0 {
		return nil, nil
	}
	if _, err := tx.Exec(ctx, `
DELETE FROM trend_cluster_fixes f USING (
    SELECT r.survivor, i.created_at, i.closed_at
    FROM cluster_members m JOIN trend_survivor r ON r.id = m.cluster_id JOIN issues i ON i.id = m.issue_id
    WHERE m.issue_id = ANY($1) AND r.survivor <> ALL($2)
) n
WHERE f.cluster_id = n.survivor AND f.fixed_at >= n.created_at AND (n.closed_at IS NULL OR f.fixed_at < n.closed_at)`,
		issueIDs, scope); err != nil {
		return nil, fmt.Errorf("drop ended fixes: %w", err)
	}
	rows, err := tx.Query(ctx, `
SELECT n.survivor FROM (
    SELECT r.survivor, min(i.closed_at) AS first_fix
    FROM cluster_members m JOIN trend_survivor r ON r.id = m.cluster_id JOIN issues i ON i.id = m.issue_id
    WHERE m.issue_id = ANY($1) AND r.survivor <> ALL($2) AND i.closed_at IS NOT NULL
      AND i.state = 'closed' AND (i.state_reason IS NULL OR i.state_reason = 'completed')
    GROUP BY 1
) n
WHERE NOT EXISTS (
    -- the newest report still open, created by then: found from the end
    -- of the created_at index, not among all the cluster's members
    SELECT 1 FROM (
        SELECT i.id FROM issues i JOIN cluster_members m ON m.issue_id = i.id
        JOIN trend_survivor r ON r.id = m.cluster_id AND r.survivor = n.survivor
        WHERE i.closed_at IS NULL AND i.created_at <= n.first_fix
        ORDER BY i.created_at DESC LIMIT 1) o)`, issueIDs, scope)
	if err != nil {
		return nil, fmt.Errorf("find new fixes: %w", err)
	}
	more, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("find new fixes: %w", err)
	}
	return more, nil
}

// trendRecompute recomputes from their members the daily counts of the
// dirty clusters and the fixes of the surviving clusters in scope (whose
// member clusters are raws); with full, everything.
// Hand-written: the temporary table trend_survivor, and the fill of
// trend_repo_daily_counts, which shares its members fragment (every member,
// or the dirty clusters') with the fill of fixes, composed at run time.
func (s *Store) trendRecompute(ctx context.Context, tx pgx.Tx, full bool, dirty, scope, raws []int64) error {
	members := `SELECT m.* FROM cluster_members m`
	if !full {
		members = `SELECT m.* FROM unnest($1::bigint[]) AS d (id) JOIN cluster_members m ON m.cluster_id = d.id`
	}
	args := func(ids []int64) []any {
		if full {
			return nil
		}
		return []any{ids}
	}
	if full || len(dirty) > 0 {
		var err error
		if full {
			err = s.q.TrendRepoDailyClearAll(ctx, tx)
		} else {
			err = s.q.TrendRepoDailyClear(ctx, tx, dirty)
		}
		if err != nil {
			return fmt.Errorf("clear trend_repo_daily_counts: %w", err)
		}
		if _, err := tx.Exec(ctx, `
WITH m AS MATERIALIZED (`+members+`)
INSERT INTO trend_repo_daily_counts (cluster_id, repository_id, day, reports, comments, reactions)
SELECT cluster_id, repository_id, day, sum(r), sum(c), sum(x) FROM (
    SELECT m.cluster_id, i.repository_id, (i.created_at AT TIME ZONE 'UTC')::date AS day,
           1 AS r, 0 AS c, i.reactions_total AS x
    FROM m JOIN issues i ON i.id = m.issue_id
    UNION ALL
    SELECT m.cluster_id, i.repository_id, (k.created_at AT TIME ZONE 'UTC')::date, 0, 1, 0
    FROM m JOIN issues i ON i.id = m.issue_id JOIN comments k ON k.issue_id = i.id
) u GROUP BY 1, 2, 3`, args(dirty)...); err != nil {
			return fmt.Errorf("fill trend_repo_daily_counts: %w", err)
		}
	}
	if !full && len(dirty) == 0 && len(scope) == 0 {
		return nil
	}
	var err error
	if full {
		err = s.q.TrendFixesClearAll(ctx, tx)
	} else {
		err = s.q.TrendFixesClear(ctx, tx, append(append([]int64{}, dirty...), scope...))
	}
	if err != nil {
		return fmt.Errorf("clear trend_cluster_fixes: %w", err)
	}
	// A fix moment: a "closed as fixed" event after which no issue of
	// the surviving cluster is open (events at the same instant count
	// together).
	if _, err := tx.Exec(ctx, `
WITH m AS MATERIALIZED (`+members+`), mem AS (
    SELECT r.survivor AS cid, i.id, i.created_at, i.closed_at, i.state, i.state_reason
    FROM m JOIN trend_survivor r ON r.id = m.cluster_id JOIN issues i ON i.id = m.issue_id
), ev AS (
    SELECT cid, created_at AS t, 1 AS d, NULL::bigint AS fix FROM mem
    UNION ALL
    SELECT cid, closed_at, -1,
           CASE WHEN state = 'closed' AND (state_reason IS NULL OR state_reason = 'completed') THEN id END
    FROM mem WHERE closed_at IS NOT NULL
), run AS (
    SELECT cid, t, fix, sum(d) OVER (PARTITION BY cid ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS open
    FROM ev
)
INSERT INTO trend_cluster_fixes (cluster_id, fixed_at, fixed_issue_id)
SELECT cid, t, fix FROM run WHERE fix IS NOT NULL AND open = 0
ON CONFLICT DO NOTHING`, args(raws)...); err != nil {
		return fmt.Errorf("fill trend_cluster_fixes: %w", err)
	}
	return nil
}

// TrendCluster is a cluster as trends groups it. MergedInto is the next
// cluster in its merge chain (merged_into, else the latest merge redirect).
type TrendCluster struct {
	ID         int64
	Slug       string
	Title      string
	Topic      string
	Category   string
	Tools      []string
	Status     string
	MergedInto *int64
}

// TrendClusterList returns every cluster, merged and dissolved included.
func (s *Store) TrendClusterList(ctx context.Context) ([]TrendCluster, error) {
	rows, err := s.q.TrendClusterList(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list clusters for trends: %w", err)
	}
	out := make([]TrendCluster, len(rows))
	for i, r := range rows {
		c := TrendCluster{ID: r.ID, Slug: r.Slug, Title: r.Title, Topic: r.Topic, Category: r.Category, Tools: r.Tools, Status: r.Status}
		if r.Status == "merged" {
			switch {
			case r.MergedInto != nil:
				c.MergedInto = r.MergedInto
			case r.RedirectTo != 0:
				c.MergedInto = &r.RedirectTo
			}
		}
		out[i] = c
	}
	return out, nil
}

// TrendDailyParams selects the days a trend report reads.
type TrendDailyParams struct {
	From, To time.Time // inclusive UTC days (only the date is used)
	// Anchor is the day Back counts from (zero: To).
	Anchor time.Time
	// ByRepo reads trend_repo_daily_counts (per repository) instead of
	// cluster_daily_counts; RepositoryID, when set, keeps one repository
	// (and implies ByRepo).
	ByRepo       bool
	RepositoryID *int64
}

// TrendDailyRow is one row of daily counts: Back is the number of days
// before the anchor (0 for the anchor itself); RepositoryID is 0 unless
// ByRepo.
type TrendDailyRow struct {
	ClusterID    int64
	RepositoryID int64
	Back         int
	Reports      int
	Comments     int
	Reactions    int
}

// TrendDailyScan calls fn for every row of daily counts between From and
// To. The rows are read with an index-only scan on day and summed by the
// caller: cheaper than a GROUP BY in the server, which spills to disk at
// thousands of clusters.
// Hand-written: rows are decoded from the wire, cheaper than generated Scans.
func (s *Store) TrendDailyScan(ctx context.Context, p TrendDailyParams, fn func(TrendDailyRow)) error {
	var (
		rows pgx.Rows
		err  error
	)
	from, to, anchor := dateOnly(p.From), dateOnly(p.To), dateOnly(p.To)
	if !p.Anchor.IsZero() {
		anchor = dateOnly(p.Anchor)
	}
	if p.ByRepo || p.RepositoryID != nil {
		rows, err = s.pool.Query(ctx, `
SELECT cluster_id, repository_id, $3::date - day, reports, comments, reactions
FROM trend_repo_daily_counts
WHERE day BETWEEN $1 AND $2 AND ($4::bigint IS NULL OR repository_id = $4)`, from, to, anchor, p.RepositoryID)
	} else {
		rows, err = s.pool.Query(ctx, `
SELECT cluster_id, 0::bigint, $3::date - day, reports, comments, reactions
FROM cluster_daily_counts
WHERE day BETWEEN $1 AND $2`, from, to, anchor)
	}
	if err != nil {
		return fmt.Errorf("read daily counts: %w", err)
	}
	defer rows.Close()
	// Columns come back in binary (int8, int8, int4 x4); decoding them
	// straight from the wire halves the client's cost per row compared
	// with Scan. Anything else goes through Scan.
	raw := true
	want := []uint32{pgtype.Int8OID, pgtype.Int8OID, pgtype.Int4OID, pgtype.Int4OID, pgtype.Int4OID, pgtype.Int4OID}
	for i, fd := range rows.FieldDescriptions() {
		if i >= len(want) || fd.Format != pgtype.BinaryFormatCode || fd.DataTypeOID != want[i] {
			raw = false
		}
	}
	var (
		r                 TrendDailyRow
		back, rep, co, re int32
	)
	for rows.Next() {
		if v := rows.RawValues(); raw && len(v) == 6 && len(v[0]) == 8 && len(v[1]) == 8 &&
			len(v[2]) == 4 && len(v[3]) == 4 && len(v[4]) == 4 && len(v[5]) == 4 {
			r.ClusterID = int64(binary.BigEndian.Uint64(v[0]))
			r.RepositoryID = int64(binary.BigEndian.Uint64(v[1]))
			r.Back = int(int32(binary.BigEndian.Uint32(v[2])))
			r.Reports = int(int32(binary.BigEndian.Uint32(v[3])))
			r.Comments = int(int32(binary.BigEndian.Uint32(v[4])))
			r.Reactions = int(int32(binary.BigEndian.Uint32(v[5])))
		} else {
			if err := rows.Scan(&r.ClusterID, &r.RepositoryID, &back, &rep, &co, &re); err != nil {
				return fmt.Errorf("read daily counts: %w", err)
			}
			r.Back, r.Reports, r.Comments, r.Reactions = int(back), int(rep), int(co), int(re)
		}
		fn(r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read daily counts: %w", err)
	}
	return nil
}

// TrendDataStart returns the earliest day with a count (in
// cluster_daily_counts, or trend_repo_daily_counts when byRepo), or
// ErrNotFound when there is none.
func (s *Store) TrendDataStart(ctx context.Context, byRepo bool) (time.Time, error) {
	get := s.q.TrendDataStart
	if byRepo {
		get = s.q.TrendRepoDataStart
	}
	d, err := get(ctx, s.pool)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, ErrNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read trend data start: %w", err)
	}
	return d.UTC(), nil
}

// TrendLastBeforeParams asks for the last day with a report before Before.
type TrendLastBeforeParams struct {
	Before time.Time // exclusive UTC day
	// ClusterIDs limits the clusters read (nil: all).
	ClusterIDs []int64
	// ByRepo groups by repository (reading trend_repo_daily_counts), for
	// the repositories in RepositoryIDs (nil: all); otherwise the result is
	// per cluster, optionally restricted to RepositoryIDs (then also read
	// from trend_repo_daily_counts).
	ByRepo        bool
	RepositoryIDs []int64
}

// TrendLastBefore returns, per cluster id (or repository id when ByRepo),
// the last day before p.Before with at least one report. Ids without such
// a day are absent.
func (s *Store) TrendLastBefore(ctx context.Context, p TrendLastBeforeParams) (map[int64]time.Time, error) {
	before := dateOnly(p.Before)
	out := map[int64]time.Time{}
	var err error
	switch {
	case p.ByRepo:
		var rows []dbsqlc.TrendLastBeforeByRepoRow
		rows, err = s.q.TrendLastBeforeByRepo(ctx, s.pool, dbsqlc.TrendLastBeforeByRepoParams{Before: before, RepositoryIds: p.RepositoryIDs, ClusterIds: p.ClusterIDs})
		for _, r := range rows {
			out[r.ID] = r.Day.UTC()
		}
	case p.RepositoryIDs != nil:
		var rows []dbsqlc.TrendLastBeforeInReposRow
		rows, err = s.q.TrendLastBeforeInRepos(ctx, s.pool, dbsqlc.TrendLastBeforeInReposParams{Before: before, RepositoryIds: p.RepositoryIDs, ClusterIds: p.ClusterIDs})
		for _, r := range rows {
			out[r.ID] = r.Day.UTC()
		}
	default:
		var rows []dbsqlc.TrendLastBeforeRow
		rows, err = s.q.TrendLastBefore(ctx, s.pool, dbsqlc.TrendLastBeforeParams{Before: before, ClusterIds: p.ClusterIDs})
		for _, r := range rows {
			out[r.ID] = r.Day.UTC()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read last reports before %s: %w", before.Format(time.DateOnly), err)
	}
	return out, nil
}

// TrendFix is the latest moment a surviving cluster was fully fixed.
type TrendFix struct {
	ClusterID    int64
	FixedAt      time.Time
	FixedIssueID int64
}

// TrendFixes returns, per surviving cluster, the latest fix moment before
// before (see trend_cluster_fixes).
func (s *Store) TrendFixes(ctx context.Context, before time.Time) ([]TrendFix, error) {
	rows, err := s.q.TrendFixes(ctx, s.pool, before)
	if err != nil {
		return nil, fmt.Errorf("read cluster fixes: %w", err)
	}
	out := make([]TrendFix, len(rows))
	for i, r := range rows {
		out[i] = TrendFix{ClusterID: r.ClusterID, FixedAt: r.FixedAt.UTC(), FixedIssueID: r.FixedIssueID}
	}
	return out, nil
}

// TrendAfterFixParams asks how many reports each cluster got after its
// fix day: for each i, cluster ClusterIDs[i] (a raw cluster id, as in
// cluster_daily_counts) counts toward Groups[i], on days after FixDays[i]
// up to To.
type TrendAfterFixParams struct {
	ClusterIDs  []int64
	Groups      []int64
	FixDays     []time.Time
	WindowStart time.Time // first day of the current window
	To          time.Time // last day of the current window
}

// TrendAfterFix is what came after one group's fix day: the reports in
// the current window, and (BeforeWindow > 0) whether any report came
// earlier, between the fix day and the window. BeforeWindow counts the
// group's clusters with such a report, not reports.
type TrendAfterFix struct {
	InWindow, BeforeWindow int
}

// TrendAfterFixCounts reads what came after each fix day (day
// granularity: reports on the fix day itself are not counted). Groups with
// nothing after their fix are absent.
// Hand-written: a multi-argument unnest, which sqlc cannot type.
func (s *Store) TrendAfterFixCounts(ctx context.Context, p TrendAfterFixParams) (map[int64]TrendAfterFix, error) {
	if len(p.ClusterIDs) != len(p.Groups) || len(p.ClusterIDs) != len(p.FixDays) {
		return nil, fmt.Errorf("trend after-fix counts: mismatched parameter lengths")
	}
	days := make([]time.Time, len(p.FixDays))
	for i, d := range p.FixDays {
		days[i] = dateOnly(d)
	}
	// Per pair: the reports in the window after the fix day (a short range
	// scan), and whether any report came between the fix day and the
	// window (an index probe that stops at the first row).
	rows, err := s.pool.Query(ctx, `
SELECT p.grp,
       COALESCE((SELECT sum(d.reports) FROM cluster_daily_counts d
                 WHERE d.cluster_id = p.cid AND d.day > p.fixday AND d.day >= $4 AND d.day <= $5), 0)::int,
       (EXISTS (SELECT 1 FROM cluster_daily_counts d
                WHERE d.cluster_id = p.cid AND d.day > p.fixday AND d.day < $4 AND d.reports > 0))::int
FROM unnest($1::bigint[], $2::bigint[], $3::date[]) AS p (cid, grp, fixday)`,
		p.ClusterIDs, p.Groups, days, dateOnly(p.WindowStart), dateOnly(p.To))
	if err != nil {
		return nil, fmt.Errorf("read reports after fixes: %w", err)
	}
	defer rows.Close()
	out := map[int64]TrendAfterFix{}
	for rows.Next() {
		var g int64
		var in, before int
		if err := rows.Scan(&g, &in, &before); err != nil {
			return nil, fmt.Errorf("read reports after fixes: %w", err)
		}
		a := out[g]
		a.InWindow += in
		a.BeforeWindow += before
		out[g] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read reports after fixes: %w", err)
	}
	return out, nil
}

// TrendRepositoryNames returns every repository's full name by id.
func (s *Store) TrendRepositoryNames(ctx context.Context) (map[int64]string, error) {
	rows, err := s.q.TrendRepositoryNames(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.FullName
	}
	return out, nil
}

// TrendRepositoryID returns the id of "owner/name" (case-insensitive), or
// ErrNotFound.
func (s *Store) TrendRepositoryID(ctx context.Context, name string) (int64, error) {
	id, err := s.q.TrendRepositoryID(ctx, s.pool, name)
	if err != nil {
		return 0, translate(err)
	}
	return id, nil
}

func dateOnly(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
