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

-- name: TrendDirtyTake :many
-- TrendRefresh: the clusters marked changed since the last refresh
-- (0: every cluster), unmarked.
DELETE FROM trend_dirty RETURNING cluster_id;

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
