-- name: ClusterSurvivorGet :one
WITH RECURSIVE chain (id, status, next, depth) AS (
    SELECT c0.id, c0.status, c0.merged_into, 0 FROM clusters c0 WHERE c0.id = @id
    UNION ALL
    SELECT c.id, c.status, c.merged_into, ch.depth + 1 FROM chain ch JOIN clusters c ON c.id = ch.next
    WHERE ch.status = 'merged' AND ch.depth < 32
)
SELECT chain.id FROM chain WHERE chain.status = 'active' ORDER BY chain.depth DESC LIMIT 1;

-- name: ClusterDataVersion :one
SELECT (count(*)::text || '/' || coalesce(max(updated_at)::text, ''))::text AS version FROM clusters;

-- name: PageClusterGetMany :many
SELECT id, slug, title, description, signature, fingerprint,
       coalesce(topic, '')::text AS topic, coalesce(category, '')::text AS category, tools, topic_reason, category_reason,
       tools_reason, status, coalesce(merged_into, 0)::bigint AS merged_into,
       (SELECT count(*) FROM cluster_members m WHERE m.cluster_id = c.id) AS size,
       coalesce((SELECT t.model FROM llm_cluster_text t WHERE t.cluster_id = c.id AND t.title <> '' AND t.title = c.title), '')::text AS title_model
FROM clusters c WHERE id = ANY(@ids::bigint[]);

-- name: PageSlugLiveGetMany :many
SELECT p.slug, coalesce(p.cluster_id, 0)::bigint AS cluster_id, p.state, coalesce(p.target_slug, '')::text AS target_slug,
       p.path, p.members
FROM page_slugs p WHERE p.state = 'live' AND p.cluster_id = ANY(@ids::bigint[]) ORDER BY p.slug;
