-- 0014: classify that resumes and spreads over workers. A classify run is
-- recorded with the issues it selected, cut into batches. Extraction and
-- normalization write each batch's analyses into classify_batches.result
-- and commit batch by batch (the batches with a result are the run's
-- durable watermark); any `errata worker` may extract a batch. The one
-- assignment reads the results back and deletes the run in the same
-- transaction that writes signatures, clusters and members. Readers
-- (pages, trends, match, mcp) never read these tables, so they never see
-- a half-classified batch.
CREATE TABLE classify_runs (
    id             bigserial PRIMARY KEY,
    rules_version  text NOT NULL,
    rebuild        boolean NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT now(),
    issues         integer NOT NULL,
    batches        integer NOT NULL
);

CREATE TABLE classify_batches (
    run_id        bigint NOT NULL REFERENCES classify_runs (id) ON DELETE CASCADE,
    batch         integer NOT NULL,
    issue_ids     bigint[] NOT NULL,
    result        bytea,
    extracted_at  timestamptz,
    PRIMARY KEY (run_id, batch)
);
