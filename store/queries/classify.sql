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
