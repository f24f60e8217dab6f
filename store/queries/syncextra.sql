-- name: SyncLockTry :one
SELECT pg_try_advisory_lock(@class::int, @id::int) AS got;

-- name: SyncUnlock :exec
SELECT pg_advisory_unlock(@class::int, @id::int);

-- name: IssueCommentCounts :many
SELECT i.number, i.comment_count,
       (SELECT count(*) FROM comments c WHERE c.issue_id = i.id) AS stored,
       (i.gone_at IS NOT NULL)::bool AS gone
FROM issues i JOIN repositories r ON r.id = i.repository_id
WHERE lower(r.full_name) = lower(@repo::text) ORDER BY i.number;

-- name: RepoCountsGet :one
SELECT
    count(*) FILTER (WHERE NOT i.is_pull_request) AS issues,
    count(*) FILTER (WHERE i.is_pull_request) AS pull_requests,
    COALESCE(sum((SELECT count(*) FROM comments c WHERE c.issue_id = i.id)), 0)::bigint AS comments,
    count(*) FILTER (WHERE i.gone_at IS NOT NULL) AS gone
FROM issues i JOIN repositories r ON r.id = i.repository_id WHERE lower(r.full_name) = lower(@repo::text);
