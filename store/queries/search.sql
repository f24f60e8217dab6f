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

-- name: SearchTSQuery :one
-- ClusterSearch: the query's words as a prefix tsquery ('a':* & 'b':*),
-- from PostgreSQL's own parser, so no user text is spliced into tsquery
-- syntax. Empty when the query has no words.
SELECT coalesce(string_agg(quote_literal(lexeme) || ':*', ' & '), '')::text AS tsq
FROM unnest(to_tsvector('simple', @query::text));

-- name: ClusterSearch :many
-- Active clusters whose text matches tsq, best ranked first (then largest).
WITH q AS (SELECT to_tsquery('simple', @tsq::text) AS q),
doc AS (
    SELECT c.*, setweight(to_tsvector('simple', c.title), 'A') ||
        setweight(to_tsvector('simple', c.concept || ' ' || replace(c.slug, '-', ' ')), 'B') ||
        setweight(to_tsvector('simple', c.signature), 'C') AS v
    FROM clusters c
    WHERE c.status = 'active' AND c.size > 0
      AND (@topic::text = '' OR c.topic = @topic::text) AND (@category::text = '' OR c.category = @category::text)
      AND (@tool::text = '' OR @tool::text = ANY (c.tools))
)
SELECT doc.id, doc.slug, doc.title, doc.signature, doc.fingerprint, doc.concept, coalesce(doc.topic, '')::text AS topic, doc.topic_reason,
       coalesce(doc.category, '')::text AS category, doc.category_reason, doc.tools, doc.tools_reason, doc.status, doc.merged_into, doc.size,
       doc.first_seen, doc.last_seen, ts_rank(doc.v, q.q)::float8 AS rank
FROM doc, q
WHERE doc.v @@ q.q
ORDER BY 18 DESC, doc.size DESC, doc.id
LIMIT @max_rows;

-- name: ClusterBriefComments :many
-- ClusterBriefGet and PageEvidenceGet (pageThreads): the sources' comments, oldest first, at most
-- max_comments each, bodies cut to body_chars characters.
SELECT issue_id, coalesce(author, '')::text AS author, coalesce(author_association, '')::text AS author_association,
       left(body, @body_chars::int)::text AS body, reactions_total, coalesce(html_url, '')::text AS html_url, created_at
FROM (SELECT c.*, row_number() OVER (PARTITION BY c.issue_id ORDER BY c.created_at, c.id) AS rn
      FROM comments c WHERE c.issue_id = ANY(@issue_ids::bigint[])) x
WHERE rn <= @max_comments::bigint
ORDER BY issue_id, created_at, id;
