-- name: PipelineStateGet :one
SELECT started_at, finished_at, detail FROM pipeline_state WHERE stage = $1;

-- name: PipelineStateSet :exec
INSERT INTO pipeline_state (stage, started_at, finished_at, detail) VALUES ($1, $2, $3, $4)
ON CONFLICT (stage) DO UPDATE SET started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, detail = EXCLUDED.detail;

-- name: PipelineRunCreate :one
INSERT INTO pipeline_runs (trigger, started_at) VALUES ($1, $2) RETURNING id;

-- name: PipelineRunFinish :exec
UPDATE pipeline_runs SET finished_at = $2, exit_code = $3, stages = $4 WHERE id = $1;

-- The largest last_synced_at of issues and comments: two index probes.
-- No row when both tables are empty.
-- name: ChangeLatestGet :one
SELECT t.at::timestamptz AS changed_at
FROM (SELECT max(last_synced_at) AS at FROM issues UNION ALL SELECT max(last_synced_at) FROM comments) t
WHERE t.at IS NOT NULL ORDER BY t.at DESC LIMIT 1;

-- The oldest issue or comment change after since. No row when none.
-- name: ChangeOldestAfterGet :one
SELECT t.at::timestamptz AS changed_at
FROM (SELECT min(last_synced_at) AS at FROM issues WHERE last_synced_at > @since::timestamptz
      UNION ALL SELECT min(last_synced_at) FROM comments WHERE last_synced_at > @since::timestamptz) t
WHERE t.at IS NOT NULL ORDER BY t.at LIMIT 1;

-- How many issues changed after since, counted up to 100,000.
-- name: IssueChangedCount :one
SELECT count(*) FROM (SELECT 1 FROM issues WHERE last_synced_at > @since::timestamptz LIMIT 100000) x;
