-- Incremental pages (migration 0015).

-- name: PageSnapshot :one
-- The current snapshot: every change it sees is visible to the queries
-- that follow.
SELECT pg_current_snapshot()::text AS snap;

-- name: PageDirtySince :many
-- Clusters marked by a transaction the snapshot did not see (0: every
-- page).
SELECT cluster_id FROM page_dirty
WHERE NOT pg_visible_in_snapshot(CAST(CAST(xid AS text) AS xid8), CAST(CAST(@seen AS text) AS pg_snapshot))
ORDER BY cluster_id;

-- name: PageWindowClusters :many
-- Clusters with a member created in one of two ranges (from, to]: the
-- clusters whose 30-day trend counts move when the as-of time moves.
SELECT DISTINCT cm.cluster_id
FROM issues i JOIN cluster_members cm ON cm.issue_id = i.id
WHERE (i.created_at > @from1::timestamptz AND i.created_at <= @to1::timestamptz)
   OR (i.created_at > @from2::timestamptz AND i.created_at <= @to2::timestamptz)
ORDER BY 1;

-- name: PageRenderGet :one
SELECT settings, as_of, seen_snapshot, pages FROM page_renders WHERE out_dir = @out_dir;

-- name: PageRenderSave :exec
INSERT INTO page_renders (out_dir, settings, as_of, seen_snapshot, pages, rendered_at)
VALUES (@out_dir, @settings, @as_of, @seen_snapshot, @pages, now())
ON CONFLICT (out_dir) DO UPDATE SET settings = excluded.settings, as_of = excluded.as_of,
    seen_snapshot = excluded.seen_snapshot, pages = excluded.pages, rendered_at = excluded.rendered_at;
