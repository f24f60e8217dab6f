package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
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
	tsq, err := s.q.SearchTSQuery(ctx, s.pool, p.Query)
	if err != nil {
		return nil, fmt.Errorf("search clusters: %w", err)
	}
	if tsq == "" {
		return nil, ErrNoSearchWords
	}
	rows, err := s.q.ClusterSearch(ctx, s.pool, dbsqlc.ClusterSearchParams{Tsq: tsq, Topic: p.Topic,
		Category: p.Category, Tool: p.Tool, MaxRows: int32(min(p.Limit, math.MaxInt32))})
	if err != nil {
		return nil, fmt.Errorf("search clusters: %w", err)
	}
	out := make([]ClusterSearchHit, len(rows))
	for i, r := range rows {
		out[i] = ClusterSearchHit{ClusterInfo: clusterInfo(dbsqlc.ClusterListRow{ID: r.ID, Slug: r.Slug, Title: r.Title,
			Signature: r.Signature, Fingerprint: r.Fingerprint, Concept: r.Concept, Topic: r.Topic,
			TopicReason: r.TopicReason, Category: r.Category, CategoryReason: r.CategoryReason, Tools: r.Tools,
			ToolsReason: r.ToolsReason, Status: r.Status, MergedInto: r.MergedInto, Size: r.Size,
			FirstSeen: r.FirstSeen, LastSeen: r.LastSeen}), Rank: r.Rank}
	}
	return out, nil
}

// ClusterSurvivorGet follows a merged cluster's merged_into chain (at most
// 32 hops, so a cycle cannot loop) to the active cluster that holds its
// reports now. An active cluster is its own survivor; a dissolved cluster,
// or a chain that ends in one, returns ErrNotFound.
func (s *Store) ClusterSurvivorGet(ctx context.Context, id int64) (int64, error) {
	out, err := s.q.ClusterSurvivorGet(ctx, s.pool, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("follow merged cluster %d: %w", id, err)
	}
	return out, nil
}

// ClusterDataVersion is a cheap token that changes whenever classify
// creates, updates, merges or dissolves a cluster (every such write sets
// clusters.updated_at) or members move: callers cache what they derive
// from the clusters and rebuild it when the token changes.
func (s *Store) ClusterDataVersion(ctx context.Context) (string, error) {
	v, err := s.q.ClusterDataVersion(ctx, s.pool)
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
	rows, err := s.q.PageClusterGetMany(ctx, s.pool, ids)
	if err != nil {
		return nil, fmt.Errorf("get clusters for pages: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = &PageCluster{ID: r.ID, Slug: r.Slug, Title: r.Title, Description: r.Description, Signature: r.Signature,
			Fingerprint: r.Fingerprint, Topic: r.Topic, Category: r.Category, Tools: r.Tools, TopicReason: r.TopicReason,
			CategoryReason: r.CategoryReason, ToolsReason: r.ToolsReason, Status: r.Status, MergedInto: r.MergedInto,
			Size: int(r.Size), TitleModel: r.TitleModel}
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
	rows, err := s.q.PageSlugLiveGetMany(ctx, s.pool, ids)
	if err != nil {
		return nil, fmt.Errorf("get published pages: %w", err)
	}
	for _, r := range rows {
		if _, ok := out[r.ClusterID]; !ok {
			out[r.ClusterID] = PageSlug{Slug: r.Slug, ClusterID: r.ClusterID, State: r.State, TargetSlug: r.TargetSlug,
				Path: r.Path, Members: r.Members, OldPaths: []string{}}
		}
	}
	return out, nil
}

// ClusterBriefParams chooses what ClusterBriefGet loads.
type ClusterBriefParams struct {
	ClusterIDs  []int64
	MaxSources  int // most discussed reports loaded in full per cluster (default 10)
	MaxComments int // comments per source (default 20)
	BodyBytes   int // bytes of each body (default 6000)
	TopRepos    int // repositories listed per cluster, most reports first (default 5)
}

// ClusterBrief is what an answer about a matched cluster needs: its
// counts and its most discussed reports with their comments (as
// PageEvidence Sources and Thread, for mining fixes). It is a lighter
// PageEvidenceGet: the counting is done by PostgreSQL and only the chosen
// reports travel, so its cost does not follow the cluster's size as
// closely (errata mcp answers a match within tens of milliseconds).
type ClusterBrief struct {
	ClusterID    int64
	Reports      int
	Open         int
	Repositories int
	TopRepos     []PageCount
	FirstSeen    time.Time
	LastSeen     time.Time // newest report
	Evidence     *PageEvidence
}

// ClusterBriefGet loads the briefs of the given clusters, by id; clusters
// without members are absent.
// Hand-written: one pgx batch of reads (sqlc methods cannot join a
// batch); the read of the sources' comments after it is generated.
func (s *Store) ClusterBriefGet(ctx context.Context, p ClusterBriefParams) (map[int64]*ClusterBrief, error) {
	out := map[int64]*ClusterBrief{}
	if len(p.ClusterIDs) == 0 {
		return out, nil
	}
	if p.MaxSources <= 0 {
		p.MaxSources = 10
	}
	if p.MaxComments <= 0 {
		p.MaxComments = 20
	}
	if p.BodyBytes <= 0 {
		p.BodyBytes = 6000
	}
	if p.TopRepos <= 0 {
		p.TopRepos = 5
	}
	b := &pgx.Batch{}
	// Counts per cluster and repository, summed here: one pass over the
	// members gives the totals and the top repositories.
	b.Queue(`SELECT x.cluster_id, r.full_name, x.n, x.open, x.first, x.last FROM (
			SELECT cm.cluster_id, i.repository_id, count(*) AS n, count(*) FILTER (WHERE i.state = 'open') AS open,
				min(i.created_at) AS first, max(i.created_at) AS last
			FROM cluster_members cm JOIN issues i ON i.id = cm.issue_id
			WHERE cm.cluster_id = ANY($1) GROUP BY 1, 2) x
		JOIN repositories r ON r.id = x.repository_id`, p.ClusterIDs)
	// The most discussed reports, newest first on a tie (as pages choose).
	b.Queue(`SELECT x.cluster_id, i.id, r.full_name, i.number, i.title, left(i.body, $3), i.state,
			coalesce(i.state_reason, ''), coalesce(i.author, ''), coalesce(i.author_association, ''), i.labels, i.html_url,
			i.comment_count, i.reactions_total, i.created_at, i.closed_at
		FROM (SELECT cm.cluster_id, i.id, row_number() OVER (PARTITION BY cm.cluster_id
				ORDER BY i.comment_count + i.reactions_total DESC, i.created_at DESC, i.id) AS rn
			FROM cluster_members cm JOIN issues i ON i.id = cm.issue_id
			WHERE cm.cluster_id = ANY($1)) x
		JOIN issues i ON i.id = x.id
		JOIN repositories r ON r.id = i.repository_id
		WHERE x.rn <= $2 ORDER BY x.cluster_id, x.rn`, p.ClusterIDs, p.MaxSources, p.BodyBytes)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	fail := func(err error) (map[int64]*ClusterBrief, error) {
		return nil, fmt.Errorf("load cluster briefs: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		return fail(err)
	}
	repos := map[int64][]PageCount{}
	for rows.Next() {
		var id int64
		var pc PageCount
		var open int
		var first, last time.Time
		if err := rows.Scan(&id, &pc.Name, &pc.Count, &open, &first, &last); err != nil {
			rows.Close()
			return fail(err)
		}
		first, last = first.UTC(), last.UTC()
		c := out[id]
		if c == nil {
			c = &ClusterBrief{ClusterID: id, FirstSeen: first, LastSeen: last}
			out[id] = c
		}
		c.Reports += pc.Count
		c.Open += open
		c.Repositories++
		if first.Before(c.FirstSeen) {
			c.FirstSeen = first
		}
		if last.After(c.LastSeen) {
			c.LastSeen = last
		}
		repos[id] = append(repos[id], pc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	for id, c := range out {
		rs := repos[id]
		sortCounts(rs)
		c.TopRepos = append([]PageCount{}, rs[:min(len(rs), p.TopRepos)]...)
		c.Evidence = &PageEvidence{ClusterID: id, Reports: c.Reports, Open: c.Open, FirstSeen: c.FirstSeen, LastEvidence: c.LastSeen}
	}
	if rows, err = br.Query(); err != nil {
		return fail(err)
	}
	var sourceIDs []int64
	sourceCluster := map[int64]int64{}
	for rows.Next() {
		var cid int64
		var is PageIssue
		if err := rows.Scan(&cid, &is.ID, &is.Repository, &is.Number, &is.Title, &is.Body, &is.State, &is.StateReason,
			&is.Author, &is.AuthorAssociation, &is.Labels, &is.HTMLURL, &is.CommentCount, &is.ReactionsTotal,
			&is.CreatedAt, &is.ClosedAt); err != nil {
			rows.Close()
			return fail(err)
		}
		is.CreatedAt = is.CreatedAt.UTC()
		is.ClosedAt = utcPtr(is.ClosedAt)
		if c := out[cid]; c != nil {
			c.Evidence.Sources = append(c.Evidence.Sources, is)
			sourceIDs = append(sourceIDs, is.ID)
			sourceCluster[is.ID] = cid
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if err := br.Close(); err != nil {
		return fail(err)
	}
	if len(sourceIDs) == 0 {
		return out, nil
	}
	// The sources' comments, oldest first, at most MaxComments each.
	comments, err := s.q.ClusterBriefComments(ctx, s.pool, dbsqlc.ClusterBriefCommentsParams{IssueIds: sourceIDs,
		MaxComments: int64(p.MaxComments), BodyChars: int32(min(p.BodyBytes, math.MaxInt32))})
	if err != nil {
		return fail(err)
	}
	for _, r := range comments {
		c := PageComment{IssueID: r.IssueID, Author: r.Author, AuthorAssociation: r.AuthorAssociation, Body: r.Body,
			ReactionsTotal: int(r.ReactionsTotal), HTMLURL: r.HtmlUrl, CreatedAt: r.CreatedAt.UTC()}
		e := out[sourceCluster[c.IssueID]].Evidence
		e.Thread = append(e.Thread, c)
	}
	return out, nil
}
