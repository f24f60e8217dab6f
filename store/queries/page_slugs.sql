-- Published pages (migration 0005) and the clusters they show.

-- name: PageClusterList :many
-- Every cluster, whatever its status, by id. size is the members now (not
-- clusters.size); title_model the model that wrote the title, '' for
-- errata's own.
SELECT c.id, c.slug, c.title, c.description, c.signature, c.fingerprint,
    coalesce(c.topic, '')::text AS topic, coalesce(c.category, '')::text AS category, c.tools,
    c.topic_reason, c.category_reason, c.tools_reason,
    c.status, coalesce(c.merged_into, 0)::bigint AS merged_into,
    (SELECT count(*) FROM cluster_members m WHERE m.cluster_id = c.id) AS size,
    coalesce((SELECT t.model FROM llm_cluster_text t WHERE t.cluster_id = c.id AND t.title <> '' AND t.title = c.title), '')::text AS title_model
FROM clusters c ORDER BY c.id;

-- name: PageRedirectList :many
SELECT old_id, new_id, kind FROM cluster_redirects ORDER BY old_id, new_id;

-- name: PageSlugList :many
-- Every published slug, by slug; members are NULL for live slugs.
SELECT p.slug, coalesce(p.cluster_id, 0)::bigint AS cluster_id, p.state, coalesce(p.target_slug, '')::text AS target_slug, p.path,
    (CASE WHEN p.state = 'live' THEN NULL ELSE p.members END)::bigint[] AS members,
    coalesce((SELECT array_agg(pp.path ORDER BY pp.path) FROM page_paths pp WHERE pp.slug = p.slug AND pp.path <> p.path), '{}')::text[] AS old_paths
FROM page_slugs p ORDER BY p.slug;

-- name: PageSlugMembers :many
SELECT slug, members FROM page_slugs WHERE slug = ANY(@slugs::text[]) ORDER BY slug;

-- name: PageSlugMerge :exec
-- Merges the staged slugs (page_slugs_in, filled by COPY) into
-- page_slugs; a NULL members keeps the stored ones.
INSERT INTO page_slugs (slug, cluster_id, state, target_slug, path, members)
SELECT i.slug, nullif(i.cluster_id, 0), i.state, nullif(i.target_slug, ''), i.path,
    coalesce(i.members, (SELECT p.members FROM page_slugs p WHERE p.slug = i.slug), '{}')
FROM page_slugs_in i ORDER BY i.ord
ON CONFLICT (slug) DO UPDATE SET cluster_id = excluded.cluster_id, state = excluded.state,
    target_slug = excluded.target_slug, path = excluded.path, members = excluded.members, updated_at = now()
WHERE (page_slugs.cluster_id, page_slugs.state, page_slugs.target_slug, page_slugs.path, page_slugs.members)
    IS DISTINCT FROM (excluded.cluster_id, excluded.state, excluded.target_slug, excluded.path, excluded.members);

-- name: PagePathsRecord :exec
-- Records the staged slugs' paths; a path, once published, is never moved.
INSERT INTO page_paths (path, slug) SELECT path, slug FROM page_slugs_in ORDER BY ord
ON CONFLICT (path) DO NOTHING;

-- name: PageIssueClusters :many
SELECT cm.issue_id, cm.cluster_id FROM cluster_members cm
JOIN clusters c ON c.id = cm.cluster_id AND c.status = 'active'
WHERE cm.issue_id = ANY(@issue_ids::bigint[]);

-- name: PageAsOf :one
-- The newest report or comment: two index probes. No row in an empty
-- store.
SELECT t.at::timestamptz AS as_of
FROM (SELECT max(created_at) AS at FROM issues UNION ALL SELECT max(created_at) FROM comments) t
WHERE t.at IS NOT NULL ORDER BY t.at DESC LIMIT 1;
