-- name: SyncSourceGet :one
SELECT id, kind, key, state, created_at, updated_at FROM sync_sources WHERE id = $1;

-- name: SyncSourceFind :one
SELECT id, kind, key, state, created_at, updated_at FROM sync_sources WHERE kind = $1 AND key = $2;

-- Repository names match case-insensitively, as on GitHub.
-- name: SyncSourceFindRepo :one
SELECT id, kind, key, state, created_at, updated_at FROM sync_sources WHERE kind = 'repo' AND lower(key) = lower(@key::text);

-- name: SyncSourceCreate :one
INSERT INTO sync_sources (kind, key) VALUES ($1, $2)
ON CONFLICT (kind, key) DO UPDATE SET kind = EXCLUDED.kind
RETURNING id, kind, key, state, created_at, updated_at;

-- name: SyncSourceList :many
SELECT id, kind, key, state, created_at, updated_at FROM sync_sources ORDER BY kind, lower(key);

-- name: ValidatorGet :one
SELECT etag, last_modified FROM http_validators WHERE url = $1;

-- Runs of a source still marked running belong to a process that died.
-- name: SyncRunInterruptStale :exec
UPDATE sync_runs SET status = 'interrupted', finished_at = COALESCE(finished_at, now()),
    message = COALESCE(message, 'the process ended before the run finished')
WHERE source_id = @source_id::bigint AND status = 'running';

-- name: SyncRunCreate :one
INSERT INTO sync_runs (source_id, started_at) VALUES (@source_id::bigint, @started_at::timestamptz) RETURNING id;

-- name: SyncRunFinish :exec
UPDATE sync_runs SET finished_at = $2, status = $3, requests = $4, not_modified = $5,
    waited_ms = $6, errors = $7, issues_new = $8, issues_updated = $9, comments_new = $10, comments_updated = $11,
    message = $12
WHERE id = $1;

-- name: SyncRunLast :one
SELECT id, source_id, started_at, finished_at, status, requests, not_modified, waited_ms,
    errors, issues_new, issues_updated, comments_new, comments_updated, message
FROM sync_runs WHERE source_id = @source_id::bigint ORDER BY started_at DESC, id DESC LIMIT 1;

-- name: IssueUpdatedAtList :many
SELECT i.number, i.updated_at FROM issues i JOIN repositories r ON r.id = i.repository_id
WHERE lower(r.full_name) = lower(@repo::text) AND i.number = ANY(@numbers::int[]);

-- name: IssueMarkGone :exec
UPDATE issues i SET gone_at = COALESCE(i.gone_at, now()), gone_reason = @reason::text
FROM repositories r WHERE r.id = i.repository_id AND lower(r.full_name) = lower(@repo::text) AND i.number = @number::int;

-- name: IssueClearGone :exec
UPDATE issues i SET gone_at = NULL, gone_reason = NULL FROM repositories r
WHERE r.id = i.repository_id AND lower(r.full_name) = lower(@repo::text) AND i.number = ANY(@numbers::int[])
  AND i.gone_at IS NOT NULL;

-- Comments without a GitHub id (imported threads) stay.
-- name: CommentDeleteMissing :execrows
DELETE FROM comments c USING issues i, repositories r
WHERE c.issue_id = i.id AND r.id = i.repository_id AND lower(r.full_name) = lower(@repo::text) AND i.number = @number::int
  AND c.github_id IS NOT NULL AND NOT (c.github_id = ANY(@keep::bigint[]));
