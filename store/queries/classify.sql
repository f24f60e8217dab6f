-- name: ClassifyLock :exec
SELECT pg_advisory_xact_lock(@key::bigint);

-- name: ClassifyIssuesGet :many
SELECT i.id, r.full_name, i.number, i.title, i.body, i.labels, i.html_url, i.created_at,
       i.reactions_total, coalesce(ic.content_hash, '')::text AS prev_hash, coalesce(ic.rules_version, '')::text AS prev_rules
FROM issues i
JOIN repositories r ON r.id = i.repository_id
LEFT JOIN issue_classification ic ON ic.issue_id = i.id
WHERE i.id = ANY(@ids::bigint[]);

-- name: ClassifyCommentsGet :many
SELECT issue_id, body, created_at FROM comments
WHERE issue_id = ANY(@ids::bigint[]) ORDER BY issue_id, created_at, id;

-- name: ClusterMembersMove :exec
UPDATE cluster_members SET cluster_id = @to_id WHERE cluster_id = @from_id;

-- name: ClusterFingerprintsMove :exec
UPDATE cluster_fingerprints SET cluster_id = @to_id WHERE cluster_id = @from_id;

-- name: TokenDFList :many
SELECT token, df FROM classify_token_df;

-- name: TokenDFClear :exec
DELETE FROM classify_token_df;

-- name: ClassificationTouchMany :exec
UPDATE issue_classification SET classified_at = @classified_at, rules_version = @rules_version
WHERE issue_id = ANY(@ids::bigint[]);

-- name: ClusterSlugsList :many
SELECT slug FROM clusters;

-- name: ClusterFingerprintsGet :many
SELECT f.fingerprint, f.cluster_id FROM cluster_fingerprints f
JOIN clusters c ON c.id = f.cluster_id AND c.status = 'active'
WHERE f.fingerprint = ANY(@fingerprints::text[]);

-- name: ClusterFingerprintsClear :exec
DELETE FROM cluster_fingerprints;

-- name: ClusterSizes :many
SELECT id, size FROM clusters WHERE id = ANY(@ids::bigint[]);

-- name: MemberAll :many
SELECT issue_id, cluster_id FROM cluster_members;

-- name: MemberCurrent :many
SELECT issue_id, cluster_id FROM cluster_members WHERE issue_id = ANY(@issue_ids::bigint[]);

-- name: ClusterStateList :many
SELECT id, slug, key, concept, signature, fingerprint, weak_codes, size, profile
FROM clusters WHERE status = 'active' ORDER BY id;

-- name: TokenDFAdd :exec
-- Two unnests in the select list zip the arrays (sqlc knows only the
-- one-argument unnest).
INSERT INTO classify_token_df (token, df)
SELECT x.t, sum(x.d) FROM (SELECT unnest(@tokens::text[]) AS t, unnest(@dfs::bigint[]) AS d) x GROUP BY x.t
ON CONFLICT (token) DO UPDATE SET df = classify_token_df.df + EXCLUDED.df;

-- name: ClusterFingerprintSetMany :exec
INSERT INTO cluster_fingerprints (fingerprint, cluster_id)
SELECT unnest(@fingerprints::text[]), unnest(@cluster_ids::bigint[])
ON CONFLICT (fingerprint) DO UPDATE SET cluster_id = EXCLUDED.cluster_id
WHERE cluster_fingerprints.cluster_id IS DISTINCT FROM EXCLUDED.cluster_id;

-- name: ClusterDefine :exec
UPDATE clusters SET key = @key, concept = @concept, signature = @signature, fingerprint = @fingerprint,
    weak_codes = @weak_codes, status = 'active', merged_into = NULL, updated_at = now()
WHERE id = @id;

-- name: ClusterRedirectAdd :exec
INSERT INTO cluster_redirects (old_id, new_id, kind) VALUES (@old_id, @new_id, @kind)
ON CONFLICT (old_id, new_id) DO UPDATE SET kind = EXCLUDED.kind, at = now();

-- name: ClusterMarkMerged :exec
UPDATE clusters SET status = 'merged', merged_into = @new_id::bigint, updated_at = now() WHERE id = @old_id;

-- name: ClusterMergeChainFollow :exec
UPDATE clusters SET merged_into = @new_id::bigint WHERE merged_into = @old_id::bigint AND status = 'merged';

-- name: ClassifiedAny :one
-- ClassifyPendingIDs: has anything been classified yet (a first run
-- takes every issue without the union of ClassifyPendingDelta)?
SELECT EXISTS (SELECT 1 FROM issue_classification);

-- name: ClassifyPendingAll :many
SELECT id FROM issues WHERE NOT is_pull_request AND gone_at IS NULL ORDER BY created_at, id;

-- An incremental selection (ClassifyPendingIDs) is four statements, so
-- that each is planned with the values it works on and reads only through
-- indexes, whatever the statistics say: with the watermark computed inside
-- one statement, the planner guessed a third of every table newer than it
-- and merge-joined the whole issues primary key (17 s on the 1M store).

-- name: ClassifyWatermark :one
-- The start of the last classify run (the largest classified_at: one
-- probe of its index) less 2 minutes; the epoch when nothing is classified
-- (ClassifyPendingIDs takes every issue then anyway).
SELECT coalesce(max(classified_at) - interval '2 minutes', 'epoch'::timestamptz)::timestamptz AS mark
FROM issue_classification;

-- name: ClassifyRulesVersions :many
-- The distinct rules versions of the classifications: a loose scan of
-- their index, one probe per version (there are a handful, over a million
-- rows), where a scan for "rules_version <> current" reads every row.
WITH RECURSIVE v AS (
    (SELECT ic.rules_version FROM issue_classification ic ORDER BY ic.rules_version LIMIT 1)
    UNION ALL
    SELECT (SELECT ic.rules_version FROM issue_classification ic WHERE ic.rules_version > v.rules_version
            ORDER BY ic.rules_version LIMIT 1)
    FROM v WHERE v.rules_version IS NOT NULL
)
SELECT v.rules_version::text AS rules_version FROM v WHERE v.rules_version IS NOT NULL;

-- name: ClassifyPendingCandidates :many
-- Issues synced after the watermark, issues with a comment synced after
-- it, and issues classified under the given (other) rules versions: the
-- candidates, through the last_synced_at and rules_version indexes.
SELECT i.id FROM issues i WHERE i.last_synced_at > @mark::timestamptz
UNION
SELECT c.issue_id FROM comments c WHERE c.last_synced_at > @mark::timestamptz
UNION
SELECT ic.issue_id FROM issue_classification ic WHERE ic.rules_version = ANY(@versions::text[]);

-- name: ClassifyPendingFilter :many
-- Of the candidates, the issues to classify: never classified, classified
-- under other rules, or changed (the issue or a comment synced) since.
-- Each candidate's classification is a probe of its key (OFFSET 0 keeps
-- the lateral subquery a nested loop: with a few thousand candidates the
-- planner preferred hashing the whole table, 0.13 s at 1M and growing).
SELECT i.id FROM issues i
LEFT JOIN LATERAL (SELECT x.issue_id, x.rules_version, x.classified_at FROM issue_classification x
                   WHERE x.issue_id = i.id OFFSET 0) ic ON true
WHERE i.id = ANY(@ids::bigint[]) AND NOT i.is_pull_request AND i.gone_at IS NULL
  AND (ic.issue_id IS NULL OR ic.rules_version <> @rules_version::text
       OR i.last_synced_at > ic.classified_at
       OR EXISTS (SELECT 1 FROM comments c WHERE c.issue_id = i.id AND c.last_synced_at > ic.classified_at))
ORDER BY i.created_at, i.id;

-- name: ClassifiedUnder :one
-- Is any issue classified under the rules version?
SELECT EXISTS (SELECT 1 FROM issue_classification WHERE rules_version = @rules_version);
