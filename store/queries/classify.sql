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

-- name: ClassifyPendingDelta :many
-- Issues new or changed since the last run's start (less 2 minutes), or
-- classified under other rules. ClassifyPendingIDs runs it with jit off.
WITH mark AS (SELECT coalesce(max(classified_at) - interval '2 minutes', '-infinity'::timestamptz) AS t FROM issue_classification),
cand AS (
    SELECT i.id FROM issues i, mark WHERE i.last_synced_at > mark.t
    UNION
    SELECT issue_id FROM issue_classification WHERE rules_version <> @rules_version::text
    UNION
    SELECT c.issue_id FROM comments c, mark WHERE c.last_synced_at > mark.t
)
SELECT i.id FROM cand
JOIN issues i ON i.id = cand.id
LEFT JOIN issue_classification ic ON ic.issue_id = i.id
WHERE NOT i.is_pull_request AND i.gone_at IS NULL
  AND (ic.issue_id IS NULL OR ic.rules_version <> @rules_version::text
       OR i.last_synced_at > ic.classified_at
       OR EXISTS (SELECT 1 FROM comments c WHERE c.issue_id = i.id AND c.last_synced_at > ic.classified_at))
ORDER BY i.created_at, i.id;

-- name: ClassifiedUnder :one
-- Is any issue classified under the rules version?
SELECT EXISTS (SELECT 1 FROM issue_classification WHERE rules_version = @rules_version);
