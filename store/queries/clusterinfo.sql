-- name: ClusterList :many
SELECT id, slug, title, signature, fingerprint, concept, coalesce(topic, '')::text AS topic, topic_reason,
       coalesce(category, '')::text AS category, category_reason, tools, tools_reason, status, merged_into, size,
       first_seen, last_seen
FROM clusters
WHERE status = 'active' AND size >= @min_size::int
  AND (@topic::text = '' OR topic = @topic::text) AND (@category::text = '' OR category = @category::text)
ORDER BY size DESC, last_seen DESC NULLS LAST, id
LIMIT sqlc.narg(max_rows)::int;

-- name: ClusterGet :one
SELECT id, slug, title, signature, fingerprint, concept, coalesce(topic, '')::text AS topic, topic_reason,
       coalesce(category, '')::text AS category, category_reason, tools, tools_reason, status, merged_into, size,
       first_seen, last_seen
FROM clusters WHERE id = @id OR slug = @slug;

-- name: ClusterMemberDetails :many
SELECT m.cluster_id, i.html_url, r.full_name, coalesce(s.raw, '')::text AS error
FROM cluster_members m
JOIN issues i ON i.id = m.issue_id
JOIN repositories r ON r.id = i.repository_id
LEFT JOIN issue_signatures s ON s.issue_id = i.id AND s.rank = 0
WHERE m.cluster_id = ANY(@ids::bigint[])
ORDER BY m.cluster_id, i.created_at, i.id;

-- name: ClusterRedirectsList :many
SELECT old_id, new_id, kind FROM cluster_redirects ORDER BY at, old_id, new_id;

-- name: ClusterDailyCountsGet :many
SELECT day::timestamptz AS day, reports, comments, reactions FROM cluster_daily_counts
WHERE cluster_id = @cluster_id ORDER BY day;
