-- name: TrendClusterList :many
-- redirect_to is the latest merge redirect of a merged cluster without
-- merged_into (0: none; cluster ids start at 1).
SELECT c.id, c.slug, c.title, COALESCE(c.topic, '')::text AS topic, COALESCE(c.category, '')::text AS category,
       c.tools, c.status, c.merged_into,
       COALESCE((SELECT r.new_id FROM cluster_redirects r
                 WHERE c.status = 'merged' AND c.merged_into IS NULL AND r.old_id = c.id AND r.kind = 'merge'
                 ORDER BY r.at DESC LIMIT 1), 0)::bigint AS redirect_to
FROM clusters c ORDER BY c.id;

-- name: TrendDataStart :one
SELECT day::timestamptz AS day FROM cluster_daily_counts ORDER BY day LIMIT 1;

-- name: TrendRepoDataStart :one
SELECT day::timestamptz AS day FROM trend_repo_daily_counts ORDER BY day LIMIT 1;

-- name: TrendDataEnd :one
SELECT day::timestamptz AS day FROM cluster_daily_counts ORDER BY day DESC LIMIT 1;

-- name: TrendLastBeforeByRepo :many
SELECT repository_id AS id, max(day)::timestamptz AS day FROM trend_repo_daily_counts
WHERE day < @before::timestamptz AND reports > 0
  AND (sqlc.narg(repository_ids)::bigint[] IS NULL OR repository_id = ANY(sqlc.narg(repository_ids)::bigint[]))
  AND (sqlc.narg(cluster_ids)::bigint[] IS NULL OR cluster_id = ANY(sqlc.narg(cluster_ids)::bigint[]))
GROUP BY 1;

-- name: TrendLastBeforeInRepos :many
SELECT cluster_id AS id, max(day)::timestamptz AS day FROM trend_repo_daily_counts
WHERE day < @before::timestamptz AND reports > 0 AND repository_id = ANY(@repository_ids::bigint[])
  AND (sqlc.narg(cluster_ids)::bigint[] IS NULL OR cluster_id = ANY(sqlc.narg(cluster_ids)::bigint[]))
GROUP BY 1;

-- name: TrendLastBefore :many
SELECT cluster_id AS id, max(day)::timestamptz AS day FROM cluster_daily_counts
WHERE day < @before::timestamptz AND reports > 0
  AND (sqlc.narg(cluster_ids)::bigint[] IS NULL OR cluster_id = ANY(sqlc.narg(cluster_ids)::bigint[]))
GROUP BY 1;

-- name: TrendFixes :many
SELECT DISTINCT ON (cluster_id) cluster_id, fixed_at, fixed_issue_id
FROM trend_cluster_fixes WHERE fixed_at < @before
ORDER BY cluster_id, fixed_at DESC, fixed_issue_id DESC;

-- name: TrendRepositoryNames :many
SELECT id, full_name FROM repositories;

-- name: TrendRepositoryID :one
SELECT id FROM repositories WHERE lower(full_name) = lower(@name::text);

-- name: TrendRollupsLock :exec
-- TrendRefresh: one refresh at a time, so two do not insert the same rows.
LOCK TABLE trend_repo_daily_counts, trend_cluster_fixes IN SHARE ROW EXCLUSIVE MODE;

-- name: TrendRepoDailyClearAll :exec
DELETE FROM trend_repo_daily_counts;

-- name: TrendRepoDailyClear :exec
DELETE FROM trend_repo_daily_counts WHERE cluster_id = ANY(@cluster_ids::bigint[]);

-- name: TrendFixesClearAll :exec
DELETE FROM trend_cluster_fixes;

-- name: TrendFixesClear :exec
DELETE FROM trend_cluster_fixes WHERE cluster_id = ANY(@cluster_ids::bigint[]);

-- name: TrendTakeChanges :one
-- Takes (deletes and returns) what the triggers of migrations 0006 and
-- 0017 recorded since the last refresh: the clusters to recompute, the
-- issues that became members and the comments added to members.
WITH d AS (DELETE FROM trend_dirty RETURNING cluster_id),
     am AS (DELETE FROM trend_added_members RETURNING issue_id),
     ac AS (DELETE FROM trend_added_comments RETURNING comment_id)
SELECT COALESCE((SELECT array_agg(DISTINCT d.cluster_id) FROM d), '{}')::bigint[] AS dirty,
       COALESCE((SELECT array_agg(DISTINCT am.issue_id) FROM am), '{}')::bigint[] AS members,
       COALESCE((SELECT array_agg(DISTINCT ac.comment_id) FROM ac), '{}')::bigint[] AS comments;

-- name: TrendAddCounts :many
-- Adds to trend_repo_daily_counts what the issues that became members
-- (@member_issue_ids, with their comments) and the comments added to
-- members (@comment_ids) count, as the full recompute counts them: a
-- report and its reactions on the issue's day, a comment on the comment's
-- day. Clusters being recomputed (@dirty) are left out, and so are the
-- comments of the new members (counted with them). Returns the cluster of
-- each row written.
WITH am AS (
    SELECT m.cluster_id, i.id, i.repository_id, i.created_at, i.reactions_total
    FROM cluster_members m JOIN issues i ON i.id = m.issue_id
    WHERE m.issue_id = ANY(@member_issue_ids::bigint[]) AND m.cluster_id <> ALL(@dirty::bigint[])
), delta AS (
    SELECT am.cluster_id, am.repository_id, (am.created_at AT TIME ZONE 'UTC')::date AS day,
           1 AS r, 0 AS c, am.reactions_total AS x
    FROM am
    UNION ALL
    SELECT am.cluster_id, am.repository_id, (k.created_at AT TIME ZONE 'UTC')::date, 0, 1, 0
    FROM am JOIN comments k ON k.issue_id = am.id
    UNION ALL
    SELECT m.cluster_id, i.repository_id, (k.created_at AT TIME ZONE 'UTC')::date, 0, 1, 0
    FROM comments k JOIN cluster_members m ON m.issue_id = k.issue_id JOIN issues i ON i.id = k.issue_id
    WHERE k.id = ANY(@comment_ids::bigint[]) AND m.cluster_id <> ALL(@dirty::bigint[])
      AND NOT (k.issue_id = ANY(@member_issue_ids::bigint[]))
)
INSERT INTO trend_repo_daily_counts AS t (cluster_id, repository_id, day, reports, comments, reactions)
SELECT delta.cluster_id, delta.repository_id, delta.day, sum(delta.r), sum(delta.c), sum(delta.x)
FROM delta GROUP BY 1, 2, 3
ON CONFLICT (cluster_id, repository_id, day) DO UPDATE
SET reports = t.reports + excluded.reports, comments = t.comments + excluded.comments,
    reactions = t.reactions + excluded.reactions
RETURNING t.cluster_id;
