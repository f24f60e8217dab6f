-- name: ClusterMemberURLList :many
SELECT i.html_url, m.cluster_id FROM cluster_members m JOIN issues i ON i.id = m.issue_id;

-- name: ClusterConceptsGet :many
SELECT id, concept, signature FROM clusters WHERE id = ANY(@ids::bigint[]);

-- name: ClusterMemberFacts :many
-- Up to per_cluster members (the most recently stored) of each cluster.
SELECT t.id::bigint AS cluster_id, r.full_name, i.labels, i.title, coalesce(s.raw, '')::text AS text, i.html_url
FROM unnest(@ids::bigint[]) AS t(id)
CROSS JOIN LATERAL (SELECT issue_id FROM cluster_members m WHERE m.cluster_id = t.id
                    ORDER BY m.issue_id DESC LIMIT @per_cluster) m
JOIN issues i ON i.id = m.issue_id
JOIN repositories r ON r.id = i.repository_id
LEFT JOIN issue_signatures s ON s.issue_id = i.id AND s.rank = 0;

-- name: ClusterRefreshSizes :exec
-- ClusterRefresh, after its ANALYZE cluster_members: size, first and
-- last seen; emptied active clusters become 'dissolved'.
UPDATE clusters c SET size = coalesce(a.n, 0), first_seen = a.first, last_seen = a.last, updated_at = now(),
    status = CASE WHEN coalesce(a.n, 0) = 0 AND c.status = 'active' THEN 'dissolved' ELSE c.status END
FROM unnest(@ids::bigint[]) AS t(id)
LEFT JOIN (
    SELECT m.cluster_id, count(*) AS n, min(i.created_at) AS first, max(i.created_at) AS last
    FROM cluster_members m JOIN issues i ON i.id = m.issue_id
    WHERE m.cluster_id = ANY(@ids::bigint[])
    GROUP BY m.cluster_id
) a ON a.cluster_id = t.id
WHERE c.id = t.id;

-- name: ClusterDailyCountsClear :exec
DELETE FROM cluster_daily_counts WHERE cluster_id = ANY(@ids::bigint[]);

-- name: ClusterDailyCountsWrite :exec
INSERT INTO cluster_daily_counts (cluster_id, day, reports, comments, reactions)
SELECT cluster_id, day, sum(reports), sum(comments), sum(reactions) FROM (
    SELECT m.cluster_id, (i.created_at AT TIME ZONE 'UTC')::date AS day,
           1 AS reports, 0 AS comments, i.reactions_total AS reactions
    FROM cluster_members m JOIN issues i ON i.id = m.issue_id
    WHERE m.cluster_id = ANY(@ids::bigint[])
    UNION ALL
    SELECT m.cluster_id, (c.created_at AT TIME ZONE 'UTC')::date, 0, 1, 0
    FROM cluster_members m JOIN comments c ON c.issue_id = m.issue_id
    WHERE m.cluster_id = ANY(@ids::bigint[])
) x GROUP BY cluster_id, day;

-- name: SignaturesDelete :exec
-- SignatureReplaceMany, before it copies the issues' new signatures.
DELETE FROM issue_signatures WHERE issue_id = ANY(@issue_ids::bigint[]);

-- name: MembersRemove :exec
DELETE FROM cluster_members WHERE issue_id = ANY(@issue_ids::bigint[]);

-- name: MembersMergeStage :exec
-- MemberSetMany: the memberships staged by COPY replace the issues'
-- previous ones; added_at moves only with the cluster.
INSERT INTO cluster_members (issue_id, cluster_id, score, reason)
SELECT issue_id, cluster_id, score, reason FROM member_stage
ON CONFLICT (issue_id) DO UPDATE SET cluster_id = EXCLUDED.cluster_id, score = EXCLUDED.score,
    reason = EXCLUDED.reason,
    added_at = CASE WHEN cluster_members.cluster_id = EXCLUDED.cluster_id THEN cluster_members.added_at ELSE now() END;

-- name: ClusterDatesWiden :exec
-- ClusterRefreshDelta: first and last seen widened by the changed issues.
UPDATE clusters c SET first_seen = least(c.first_seen, x.first), last_seen = greatest(c.last_seen, x.last)
FROM (SELECT m.cluster_id, min(i.created_at) AS first, max(i.created_at) AS last
      FROM cluster_members m JOIN issues i ON i.id = m.issue_id
      WHERE m.issue_id = ANY(@issue_ids::bigint[]) GROUP BY m.cluster_id) x
WHERE c.id = x.cluster_id;

-- name: ClusterDatesRecompute :exec
-- ClusterRefreshDelta: first and last seen of the clusters that lost
-- members (ids), from their members now (NULL when none is left). A
-- cluster keeps its dates unless an issue on either bound left it
-- (left_issues: the changed issues; created_at does not change): only
-- then are its members read again, for that cluster alone.
WITH need AS (
    SELECT b.id FROM clusters b
    WHERE b.id = ANY(@ids::bigint[]) AND (b.first_seen IS NULL OR b.last_seen IS NULL OR EXISTS (
        SELECT 1 FROM issues i WHERE i.id = ANY(@left_issues::bigint[])
          AND (i.created_at <= b.first_seen OR i.created_at >= b.last_seen)
          AND NOT EXISTS (SELECT 1 FROM cluster_members m WHERE m.issue_id = i.id AND m.cluster_id = b.id)))
)
UPDATE clusters c SET first_seen = x.first, last_seen = x.last
FROM need
LEFT JOIN LATERAL (SELECT min(i.created_at) AS first, max(i.created_at) AS last
      FROM cluster_members m JOIN issues i ON i.id = m.issue_id WHERE m.cluster_id = need.id) x ON true
WHERE c.id = need.id;

-- name: ClusterDissolveEmpty :exec
UPDATE clusters SET status = 'dissolved' WHERE id = ANY(@ids::bigint[]) AND size = 0 AND status = 'active';

-- name: ClusterDailyCountsClearDays :exec
DELETE FROM cluster_daily_counts WHERE cluster_id = ANY(@ids::bigint[]) AND day = ANY(@days::date[]);

-- name: ClusterDailyCountsWriteDays :exec
-- ClusterRefreshDelta: the daily counts of the given UTC days only. The
-- issues and comments of each day through the created_at indexes, then
-- each one's cluster by the members' primary key: work in proportion to
-- the days' reports, never a scan of the members of the touched clusters
-- (16 clusters of 62k members on the 1M store, where the plain join,
-- planned without knowing the days, hashed every member and read all 5M
-- comments: 4.5 s). OFFSET 0 keeps each subquery a nested loop driven by
-- the one before, whatever the statistics.
INSERT INTO cluster_daily_counts (cluster_id, day, reports, comments, reactions)
SELECT x.cluster_id, x.day, sum(x.reports), sum(x.comments), sum(x.reactions) FROM (
    SELECT m.cluster_id, d.day, 1 AS reports, 0 AS comments, i.reactions_total AS reactions
    FROM unnest(@days::date[]) AS d(day)
    CROSS JOIN LATERAL (SELECT i.id, i.reactions_total FROM issues i
          WHERE i.created_at >= d.day::timestamp AT TIME ZONE 'UTC'
            AND i.created_at < (d.day + 1)::timestamp AT TIME ZONE 'UTC' OFFSET 0) i
    CROSS JOIN LATERAL (SELECT m.cluster_id FROM cluster_members m WHERE m.issue_id = i.id OFFSET 0) m
    UNION ALL
    SELECT m.cluster_id, d.day, 0, 1, 0
    FROM unnest(@days::date[]) AS d(day)
    CROSS JOIN LATERAL (SELECT c.issue_id FROM comments c
          WHERE c.created_at >= d.day::timestamp AT TIME ZONE 'UTC'
            AND c.created_at < (d.day + 1)::timestamp AT TIME ZONE 'UTC' OFFSET 0) c
    CROSS JOIN LATERAL (SELECT m.cluster_id FROM cluster_members m WHERE m.issue_id = c.issue_id OFFSET 0) m
) x WHERE x.cluster_id = ANY(@ids::bigint[]) GROUP BY x.cluster_id, x.day;

