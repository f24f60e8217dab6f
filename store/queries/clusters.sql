-- name: ClusterMemberURLList :many
SELECT i.html_url, m.cluster_id FROM cluster_members m JOIN issues i ON i.id = m.issue_id;

-- name: ClusterConceptsGet :many
SELECT id, concept, signature FROM clusters WHERE id = ANY(@ids::bigint[]);
