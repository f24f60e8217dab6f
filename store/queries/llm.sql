-- name: LLMCacheGet :one
UPDATE llm_cache SET last_used_at = now()
WHERE model = @model AND prompt_hash = @prompt_hash
RETURNING model, prompt_hash, kind, content, prompt_tokens, completion_tokens, created_at, last_used_at;

-- name: LLMCachePut :exec
INSERT INTO llm_cache (model, prompt_hash, kind, content, prompt_tokens, completion_tokens)
VALUES (@model, @prompt_hash, @kind, @content, @prompt_tokens, @completion_tokens)
ON CONFLICT (model, prompt_hash) DO UPDATE SET
    kind = EXCLUDED.kind, content = EXCLUDED.content,
    prompt_tokens = EXCLUDED.prompt_tokens, completion_tokens = EXCLUDED.completion_tokens,
    created_at = now(), last_used_at = now();

-- name: LLMCachePrune :execrows
DELETE FROM llm_cache WHERE last_used_at < @before;

-- name: LLMCacheCount :one
SELECT count(*) FROM llm_cache;

-- name: LLMRefineClusterList :many
SELECT c.id, c.slug, c.title, c.description, c.signature, coalesce(c.topic, '')::text AS topic,
       coalesce(c.category, '')::text AS category, c.tools, c.size,
       (t.cluster_id IS NOT NULL)::bool AS has_text, coalesce(t.evidence_hash, '')::text AS text_evidence_hash,
       coalesce(t.model, '')::text AS text_model, coalesce(t.title, '')::text AS text_title,
       coalesce(t.description, '')::text AS text_description, coalesce(t.rule_title, '')::text AS text_rule_title,
       coalesce(t.rule_description, '')::text AS text_rule_description, coalesce(t.topic, '')::text AS text_topic,
       coalesce(t.category, '')::text AS text_category, coalesce(t.reason, '')::text AS text_reason,
       coalesce(t.refined_at, 'epoch')::timestamptz AS text_refined_at
FROM clusters c LEFT JOIN llm_cluster_text t ON t.cluster_id = c.id
WHERE c.status = 'active' AND c.size >= @min_size::int
ORDER BY c.size DESC, c.id;

-- name: LLMClusterSources :many
SELECT cluster_id, full_name, number, title, left(body, @max_body::int)::text AS body, state, html_url,
       coalesce(raw, '')::text AS error, created_at
FROM (
    SELECT m.cluster_id, r.full_name, i.number, i.title, i.body, i.state, i.html_url, sg.raw, i.created_at,
           row_number() OVER (PARTITION BY m.cluster_id ORDER BY i.created_at, i.id) AS rn
    FROM cluster_members m
    JOIN issues i ON i.id = m.issue_id
    JOIN repositories r ON r.id = i.repository_id
    LEFT JOIN issue_signatures sg ON sg.issue_id = i.id AND sg.rank = 0
    WHERE m.cluster_id = ANY(@ids::bigint[])
) x WHERE rn <= @per_cluster::int
ORDER BY cluster_id, rn;

-- name: LLMClusterTextPut :exec
INSERT INTO llm_cluster_text (cluster_id, evidence_hash, model, title, description, rule_title, rule_description, topic, category, reason, refined_at)
VALUES (@cluster_id, @evidence_hash, @model, @title, @description, @rule_title, @rule_description, @topic, @category, @reason, now())
ON CONFLICT (cluster_id) DO UPDATE SET evidence_hash = EXCLUDED.evidence_hash, model = EXCLUDED.model,
    title = EXCLUDED.title, description = EXCLUDED.description, rule_title = EXCLUDED.rule_title,
    rule_description = EXCLUDED.rule_description, topic = EXCLUDED.topic, category = EXCLUDED.category,
    reason = EXCLUDED.reason, refined_at = now();

-- name: LLMClusterTitleApply :exec
UPDATE clusters SET title = @title::text, description = @description::text
WHERE id = @id AND (title = @rule_title::text OR title = @title::text)
  AND (title <> @title::text OR description <> @description::text);

-- name: LLMClusterTopicApply :exec
UPDATE clusters SET topic = @topic::text, topic_reason = @reason::text WHERE id = @id AND topic IS NULL;

-- name: LLMClusterCategoryApply :exec
UPDATE clusters SET category = @category::text, category_reason = @reason::text WHERE id = @id AND category IS NULL;

-- name: LLMClusterTextList :many
SELECT cluster_id, evidence_hash, model, title, description, rule_title, rule_description, topic, category, reason, refined_at
FROM llm_cluster_text WHERE cluster_id = ANY(@ids::bigint[]);
