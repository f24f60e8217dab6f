package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Cluster search and single-cluster lookups for errata's MCP server.
//
// Search is PostgreSQL full-text search over each active cluster's title,
// signature, error code and slug, computed at query time: a store holds
// thousands to tens of thousands of clusters (one per distinct error, not
// one per issue), which a sequential scan ranks in milliseconds, so no
// index or migration is needed. The 'simple' configuration is used (no
// stemming, no stop words) because error texts are identifiers and codes
// more than English prose; a query word matches a word of the cluster's
// text or its prefix ("ECONNREF" finds ECONNREFUSED).

// ClusterSearchParams filters ClusterSearch.
type ClusterSearchParams struct {
	Query    string // words; every word must match (prefix match)
	Topic    string // topic id; "" for all
	Category string // category id; "" for all
	Tool     string // one of the cluster's tools; "" for all
	Limit    int    // at most this many; default 10
}

// ClusterSearchHit is one found cluster with its rank.
type ClusterSearchHit struct {
	ClusterInfo
	Rank float64
}

// ErrNoSearchWords is returned when a query has no word to search for.
var ErrNoSearchWords = errors.New("the query has no words to search for")

// ClusterSearch returns the active clusters whose text holds every word
// of the query, best ranked first (then largest). A query with no words
// (only punctuation) returns ErrNoSearchWords.
func (s *Store) ClusterSearch(ctx context.Context, p ClusterSearchParams) ([]ClusterSearchHit, error) {
	if p.Limit <= 0 {
		p.Limit = 10
	}
	// The query's words become a prefix tsquery ('a':* & 'b':*); the
	// words come from PostgreSQL's own parser, so no user text is ever
	// spliced into tsquery syntax.
	var tsq *string
	if err := s.pool.QueryRow(ctx, `SELECT nullif(string_agg(quote_literal(lexeme) || ':*', ' & '), '')
		FROM unnest(to_tsvector('simple', $1))`, p.Query).Scan(&tsq); err != nil {
		return nil, fmt.Errorf("search clusters: %w", err)
	}
	if tsq == nil {
		return nil, ErrNoSearchWords
	}
	rows, err := s.pool.Query(ctx, `WITH q AS (SELECT to_tsquery('simple', $1) AS q),
		doc AS (
			SELECT c.*, setweight(to_tsvector('simple', c.title), 'A') ||
				setweight(to_tsvector('simple', c.concept || ' ' || replace(c.slug, '-', ' ')), 'B') ||
				setweight(to_tsvector('simple', c.signature), 'C') AS v
			FROM clusters c
			WHERE c.status = 'active' AND c.size > 0
			  AND ($2 = '' OR c.topic = $2) AND ($3 = '' OR c.category = $3)
			  AND ($4 = '' OR $4 = ANY (c.tools))
		)
		SELECT `+clusterCols+`, ts_rank(v, q.q)::float8 FROM doc, q
		WHERE v @@ q.q
		ORDER BY 18 DESC, size DESC, id
		LIMIT $5`, *tsq, p.Topic, p.Category, p.Tool, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("search clusters: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClusterSearchHit, error) {
		var h ClusterSearchHit
		c := &h.ClusterInfo
		err := r.Scan(&c.ID, &c.Slug, &c.Title, &c.Signature, &c.Fingerprint, &c.Concept, &c.Topic, &c.TopicReason,
			&c.Category, &c.CategoryReason, &c.Tools, &c.ToolsReason, &c.Status, &c.MergedInto, &c.Size, &c.FirstSeen, &c.LastSeen, &h.Rank)
		if c.FirstSeen != nil {
			t := c.FirstSeen.UTC()
			c.FirstSeen = &t
		}
		if c.LastSeen != nil {
			t := c.LastSeen.UTC()
			c.LastSeen = &t
		}
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("search clusters: %w", err)
	}
	return out, nil
}

// ClusterSurvivorGet follows a merged cluster's merged_into chain (at most
// 32 hops, so a cycle cannot loop) to the active cluster that holds its
// reports now. An active cluster is its own survivor; a dissolved cluster,
// or a chain that ends in one, returns ErrNotFound.
func (s *Store) ClusterSurvivorGet(ctx context.Context, id int64) (int64, error) {
	var out *int64
	err := s.pool.QueryRow(ctx, `WITH RECURSIVE chain (id, status, next, depth) AS (
			SELECT id, status, merged_into, 0 FROM clusters WHERE id = $1
			UNION ALL
			SELECT c.id, c.status, c.merged_into, ch.depth + 1 FROM chain ch JOIN clusters c ON c.id = ch.next
			WHERE ch.status = 'merged' AND ch.depth < 32
		)
		SELECT id FROM chain WHERE status = 'active' ORDER BY depth DESC LIMIT 1`, id).Scan(&out)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && out == nil) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("follow merged cluster %d: %w", id, err)
	}
	return *out, nil
}

// ClusterDataVersion is a cheap token that changes whenever classify
// creates, updates, merges or dissolves a cluster (every such write sets
// clusters.updated_at) or members move: callers cache what they derive
// from the clusters and rebuild it when the token changes.
func (s *Store) ClusterDataVersion(ctx context.Context) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') FROM clusters`).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("read cluster version: %w", err)
	}
	return v, nil
}

// PageClusterGetMany returns the given clusters as pages need them (see
// PageClusterList), by id; unknown ids are absent.
func (s *Store) PageClusterGetMany(ctx context.Context, ids []int64) (map[int64]*PageCluster, error) {
	out := map[int64]*PageCluster{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id, slug, title, description, signature, fingerprint,
			coalesce(topic, ''), coalesce(category, ''), tools, topic_reason, category_reason, tools_reason,
			status, coalesce(merged_into, 0),
			(SELECT count(*) FROM cluster_members m WHERE m.cluster_id = c.id),
			coalesce((SELECT t.model FROM llm_cluster_text t WHERE t.cluster_id = c.id AND t.title <> '' AND t.title = c.title), '')
		FROM clusters c WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("get clusters for pages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c PageCluster
		if err := rows.Scan(&c.ID, &c.Slug, &c.Title, &c.Description, &c.Signature, &c.Fingerprint, &c.Topic, &c.Category,
			&c.Tools, &c.TopicReason, &c.CategoryReason, &c.ToolsReason, &c.Status, &c.MergedInto, &c.Size, &c.TitleModel); err != nil {
			return nil, fmt.Errorf("get clusters for pages: %w", err)
		}
		out[c.ID] = &c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get clusters for pages: %w", err)
	}
	return out, nil
}

// PageSlugLiveGetMany returns the live published page of each given
// cluster that has one, by cluster id.
func (s *Store) PageSlugLiveGetMany(ctx context.Context, ids []int64) (map[int64]PageSlug, error) {
	out := map[int64]PageSlug{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT p.slug, coalesce(p.cluster_id, 0), p.state, coalesce(p.target_slug, ''), p.path, p.members, '{}'::text[]
		FROM page_slugs p WHERE p.state = 'live' AND p.cluster_id = ANY($1) ORDER BY p.slug`, ids)
	if err != nil {
		return nil, fmt.Errorf("get published pages: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PageSlug])
	if err != nil {
		return nil, fmt.Errorf("get published pages: %w", err)
	}
	for _, p := range list {
		if _, ok := out[p.ClusterID]; !ok {
			out[p.ClusterID] = p
		}
	}
	return out, nil
}
