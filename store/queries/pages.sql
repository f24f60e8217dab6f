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

-- Evidence (store.PageEvidenceGet).

-- name: PageVariantCounts :many
-- Every raw primary signature of each cluster with its reports.
SELECT cm.cluster_id, s.raw, count(*)::int AS n
FROM cluster_members cm JOIN issue_signatures s ON s.issue_id = cm.issue_id AND s.rank = 0
WHERE cm.cluster_id = ANY(@cluster_ids::bigint[])
GROUP BY 1, 2;

-- name: PageLastComments :many
-- The newest comment on a member of each cluster, from all its members'
-- comments.
SELECT cm.cluster_id, max(c.created_at)::timestamptz AS last_comment
FROM cluster_members cm JOIN comments c ON c.issue_id = cm.issue_id
WHERE cm.cluster_id = ANY(@cluster_ids::bigint[])
GROUP BY cm.cluster_id;

-- name: PageLastCommentDays :many
-- For each cluster with comments in cluster_daily_counts: the start (UTC)
-- of the last day it has comments on, the comments of every cluster since
-- then, and its own comments: what reading the recent comments would cost
-- against reading all its members' comments.
SELECT t.id::bigint AS cluster_id, (d.day::timestamp AT TIME ZONE 'UTC')::timestamptz AS day,
       (SELECT COALESCE(sum(x.comments), 0) FROM cluster_daily_counts x WHERE x.day >= d.day)::bigint AS since,
       (SELECT COALESCE(sum(y.comments), 0) FROM cluster_daily_counts y WHERE y.cluster_id = t.id)::bigint AS own
FROM unnest(@cluster_ids::bigint[]) AS t (id)
CROSS JOIN LATERAL (
    SELECT max(c.day) AS day FROM cluster_daily_counts c WHERE c.cluster_id = t.id AND c.comments > 0
) d
WHERE d.day IS NOT NULL;

-- name: PageLastCommentSince :many
-- The newest comment on a member of a cluster since @since, read from the
-- newest comment backwards (none when there is none since then): when
-- there is one it is the cluster's newest comment, whatever came before.
SELECT k.created_at FROM comments k JOIN cluster_members m ON m.issue_id = k.issue_id
WHERE m.cluster_id = @cluster_id AND k.created_at >= @since::timestamptz
ORDER BY k.created_at DESC LIMIT 1;

-- name: PageMemberColumns :many
-- Every member's dates, state and counts, one row per cluster with a
-- column per field (a million rows cost more to decode than seven arrays
-- of a million): state 1 open, 2 closed as completed or without a
-- reason, 3 closed as not planned or duplicate, 0 anything else; times in
-- microseconds since 1970 (UTC), a missing close as the smallest bigint.
SELECT cm.cluster_id,
       array_agg(i.id)::bigint[] AS ids,
       array_agg(i.repository_id)::bigint[] AS repos,
       array_agg(CASE WHEN i.state = 'open' THEN 1
                      WHEN i.state = 'closed' AND i.state_reason IN ('not_planned', 'duplicate') THEN 3
                      WHEN i.state = 'closed' THEN 2 ELSE 0 END)::int[] AS states,
       array_agg(i.comment_count)::int[] AS comments,
       array_agg(i.reactions_total)::int[] AS reactions,
       array_agg((extract(epoch FROM i.created_at) * 1000000)::bigint)::bigint[] AS created,
       array_agg(COALESCE((extract(epoch FROM i.closed_at) * 1000000)::bigint, -9223372036854775808))::bigint[] AS closed
FROM cluster_members cm JOIN issues i ON i.id = cm.issue_id
WHERE cm.cluster_id = ANY(@cluster_ids::bigint[])
GROUP BY cm.cluster_id;

-- Signature variant counts (migration 0017, store.PageVariantRefresh).

-- name: PageVariantTakeChanges :one
-- Takes (deletes and returns) the clusters to recount and the issues that
-- became members since the last refresh.
WITH d AS (DELETE FROM page_variant_dirty RETURNING cluster_id),
     a AS (DELETE FROM page_variant_added RETURNING issue_id)
SELECT COALESCE((SELECT array_agg(DISTINCT d.cluster_id) FROM d), '{}')::bigint[] AS dirty,
       COALESCE((SELECT array_agg(DISTINCT a.issue_id) FROM a), '{}')::bigint[] AS members;

-- name: PageVariantClearAll :exec
DELETE FROM page_variant_counts;

-- name: PageVariantClear :exec
DELETE FROM page_variant_counts WHERE cluster_id = ANY(@cluster_ids::bigint[]);

-- name: PageVariantCountAll :exec
INSERT INTO page_variant_counts (cluster_id, raw, reports)
SELECT cm.cluster_id, s.raw, count(*)
FROM cluster_members cm JOIN issue_signatures s ON s.issue_id = cm.issue_id AND s.rank = 0
GROUP BY 1, 2;

-- name: PageVariantCount :exec
INSERT INTO page_variant_counts (cluster_id, raw, reports)
SELECT cm.cluster_id, s.raw, count(*)
FROM cluster_members cm JOIN issue_signatures s ON s.issue_id = cm.issue_id AND s.rank = 0
WHERE cm.cluster_id = ANY(@cluster_ids::bigint[])
GROUP BY 1, 2;

-- name: PageVariantAdd :exec
-- Adds the primary signatures of the issues that became members, leaving
-- out the clusters recounted (@dirty).
INSERT INTO page_variant_counts AS v (cluster_id, raw, reports)
SELECT cm.cluster_id, s.raw, count(*)
FROM cluster_members cm JOIN issue_signatures s ON s.issue_id = cm.issue_id AND s.rank = 0
WHERE cm.issue_id = ANY(@issue_ids::bigint[]) AND cm.cluster_id <> ALL(@dirty::bigint[])
GROUP BY 1, 2
ON CONFLICT (cluster_id, (md5(raw)::uuid)) DO UPDATE SET reports = v.reports + excluded.reports;

-- name: PageVariantTop :many
-- The most frequent primary signatures of each cluster, at most
-- @max_variants, from page_variant_counts; a cluster waiting for a recount
-- or for new members to be added comes back as one row with stale set
-- (and no signature: reports 0), to be counted from its members instead.
SELECT t.id::bigint AS cluster_id, t.stale::boolean AS stale, COALESCE(v.raw, '')::text AS raw,
       COALESCE(v.reports, 0)::int AS reports
FROM (SELECT u.id, (EXISTS (SELECT 1 FROM page_variant_dirty d WHERE d.cluster_id IN (0, u.id))
                    OR EXISTS (SELECT 1 FROM page_variant_added a JOIN cluster_members m ON m.issue_id = a.issue_id
                               WHERE m.cluster_id = u.id)) AS stale
      FROM unnest(@cluster_ids::bigint[]) AS u (id)) t
LEFT JOIN LATERAL (
    SELECT c.raw, c.reports FROM page_variant_counts c
    WHERE c.cluster_id = t.id AND NOT t.stale
    ORDER BY c.reports DESC, left(c.raw, 40) COLLATE "C", c.raw COLLATE "C"
    LIMIT @max_variants::int
) v ON true;

-- name: PageSourceIssues :many
-- PageEvidenceGet: the chosen reports in full, bodies cut to body_chars
-- characters (the caller puts them in rank order).
SELECT i.id, r.full_name, i.number, i.title, left(i.body, @body_chars::int)::text AS body, i.state,
       coalesce(i.state_reason, '')::text AS state_reason, coalesce(i.author, '')::text AS author,
       coalesce(i.author_association, '')::text AS author_association, i.labels, i.html_url,
       i.comment_count, i.reactions_total, i.created_at, i.closed_at
FROM issues i JOIN repositories r ON r.id = i.repository_id
WHERE i.id = ANY(@ids::bigint[]);

-- name: PageVariantLock :exec
-- PageVariantRefresh: one refresh at a time, before its snapshot.
LOCK TABLE page_variant_counts IN SHARE ROW EXCLUSIVE MODE;
