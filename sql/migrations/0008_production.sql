-- 0008: production. State of the scheduled pipeline (`errata run` and
-- `errata worker`): when each stage last started and finished, so that a
-- run with nothing new skips classify and pages, and the history of runs.
-- River's own tables (river_job, river_leader, ...) are created by
-- rivermigrate when a worker starts, not here.

CREATE TABLE pipeline_state (
    stage        text PRIMARY KEY,      -- classify | pages
    started_at   timestamptz NOT NULL,  -- data changed after this is pending
    finished_at  timestamptz NOT NULL,
    -- what the stage ran with (output dir, hash of the rules config ...):
    -- a different value makes the stage pending again.
    detail       jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE pipeline_runs (
    id           bigserial PRIMARY KEY,
    trigger      text NOT NULL,          -- "run" (worker jobs are recorded in river_job)
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    exit_code    integer,
    stages       jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX pipeline_runs_started_idx ON pipeline_runs (started_at DESC);

-- last_synced_at moves only when a row really changes (see the upserts in
-- store/issues.go), so its maximum is the "data changed" watermark; these
-- indexes make reading it, and the classify lag, an index probe instead of
-- a scan of every issue and comment.
CREATE INDEX issues_last_synced_at_idx ON issues (last_synced_at);
CREATE INDEX comments_last_synced_at_idx ON comments (last_synced_at);
