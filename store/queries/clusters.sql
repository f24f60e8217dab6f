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
