-- name: AdvisoryLockTry :one
SELECT pg_try_advisory_lock(@key::bigint) AS got;

-- name: AdvisoryLockWait :exec
SELECT pg_advisory_lock(@key::bigint);

-- name: AdvisoryUnlock :exec
SELECT pg_advisory_unlock(@key::bigint);
