-- Classify runs (migration 0014): the issues a run selected, cut into
-- batches, and each batch's extraction result once committed.

-- name: ClassifyRunGet :one
SELECT id, rules_version, rebuild, started_at, issues, batches FROM classify_runs ORDER BY id DESC LIMIT 1;

-- name: ClassifyRunCreate :one
INSERT INTO classify_runs (rules_version, rebuild, started_at, issues, batches)
VALUES (@rules_version, @rebuild, now(), @issues, @batches)
RETURNING id, started_at;

-- name: ClassifyRunDelete :exec
DELETE FROM classify_runs WHERE id = @id;

-- name: ClassifyRunsClear :exec
DELETE FROM classify_runs;

-- name: ClassifyBatchesPending :many
SELECT batch FROM classify_batches WHERE run_id = @run_id AND result IS NULL ORDER BY batch;

-- name: ClassifyBatchesDone :one
SELECT count(*) FROM classify_batches WHERE run_id = @run_id AND result IS NOT NULL;

-- The batch, locked for its extraction; waits while another session
-- extracts it.
-- name: ClassifyBatchLock :one
SELECT b.issue_ids, b.result, r.rules_version, r.rebuild
FROM classify_batches b JOIN classify_runs r ON r.id = b.run_id
WHERE b.run_id = @run_id AND b.batch = @batch
FOR UPDATE OF b;

-- The batch, locked for its extraction; no row when another session
-- extracts it (or it does not exist).
-- name: ClassifyBatchLockSkip :one
SELECT b.issue_ids, b.result, r.rules_version, r.rebuild
FROM classify_batches b JOIN classify_runs r ON r.id = b.run_id
WHERE b.run_id = @run_id AND b.batch = @batch
FOR UPDATE OF b SKIP LOCKED;

-- name: ClassifyBatchSave :exec
UPDATE classify_batches SET result = @result, extracted_at = now() WHERE run_id = @run_id AND batch = @batch;
