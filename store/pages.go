package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/errata-tool/errata/store/internal/dbsqlc"
)

// Queries for errata pages (package reports/pages): the clusters to write,
// the evidence behind each, and the record of published slugs and paths
// (table page_slugs and page_paths, migration 0005).

// PageCluster is a cluster as pages need it.
type PageCluster struct {
	ID             int64
	Slug           string
	Title          string
	Description    string
	Signature      string
	Fingerprint    string
	Topic          string
	Category       string
	Tools          []string
	TopicReason    string
	CategoryReason string
	ToolsReason    string
	Status         string // active | merged | dissolved
	MergedInto     int64  // 0 when none
	Size           int    // members now (not clusters.size, which classify may update later)
	// TitleModel is the language model that wrote Title and Description
	// (llm_cluster_text), "" when they are errata's own.
	TitleModel string
}

// PageClusterList returns every cluster, whatever its status, by id.
func (s *Store) PageClusterList(ctx context.Context) ([]PageCluster, error) {
	rows, err := s.q.PageClusterList(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list clusters for pages: %w", err)
	}
	out := make([]PageCluster, len(rows))
	for i, r := range rows {
		out[i] = PageCluster{ID: r.ID, Slug: r.Slug, Title: r.Title, Description: r.Description, Signature: r.Signature,
			Fingerprint: r.Fingerprint, Topic: r.Topic, Category: r.Category, Tools: r.Tools, TopicReason: r.TopicReason,
			CategoryReason: r.CategoryReason, ToolsReason: r.ToolsReason, Status: r.Status, MergedInto: r.MergedInto,
			Size: int(r.Size), TitleModel: r.TitleModel}
	}
	return out, nil
}

// PageRedirect is a cluster_redirects row.
type PageRedirect struct {
	OldID, NewID int64
	Kind         string // merge | split
}

// PageRedirectList returns the cluster redirects recorded by classify.
func (s *Store) PageRedirectList(ctx context.Context) ([]PageRedirect, error) {
	rows, err := s.q.PageRedirectList(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list cluster redirects: %w", err)
	}
	out := make([]PageRedirect, len(rows))
	for i, r := range rows {
		out[i] = PageRedirect{OldID: r.OldID, NewID: r.NewID, Kind: r.Kind}
	}
	return out, nil
}

// PageSlug is a published slug (table page_slugs) with all its paths.
type PageSlug struct {
	Slug       string
	ClusterID  int64 // 0 when none
	State      string
	TargetSlug string
	Path       string
	Members    []int64
	OldPaths   []string // paths other than Path, sorted
}

// PageSlugList returns every published slug, by slug. The members of live
// slugs are left out (nil): they are every issue of every page, a million
// ids at a million issues, and a run needs them only for the few pages
// that stop being live (PageSlugMembers).
func (s *Store) PageSlugList(ctx context.Context) ([]PageSlug, error) {
	rows, err := s.q.PageSlugList(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list published slugs: %w", err)
	}
	out := make([]PageSlug, len(rows))
	for i, r := range rows {
		out[i] = PageSlug{Slug: r.Slug, ClusterID: r.ClusterID, State: r.State, TargetSlug: r.TargetSlug, Path: r.Path,
			Members: r.Members, OldPaths: r.OldPaths}
	}
	return out, nil
}

// PageSlugMembers returns the stored members of the given slugs.
func (s *Store) PageSlugMembers(ctx context.Context, slugs []string) (map[string][]int64, error) {
	out := map[string][]int64{}
	if len(slugs) == 0 {
		return out, nil
	}
	rows, err := s.q.PageSlugMembers(ctx, s.pool, slugs)
	if err != nil {
		return nil, fmt.Errorf("read published members: %w", err)
	}
	for _, r := range rows {
		out[r.Slug] = r.Members
	}
	return out, nil
}

// PageSlugSave writes slugs (insert or update) and records their current
// paths in page_paths. Paths are never removed. Nil Members keep the
// stored members (none for a new slug); an empty slice stores none.
//
// The rows are copied into a temporary table and merged with two
// statements: a first run publishes every page with its members (a
// million issue ids at a million issues), which one statement per slug
// made take seconds. Hand-written: the stage's CREATE TEMP TABLE and the
// COPY (sqlc has neither); the merges are generated.
func (s *Store) PageSlugSave(ctx context.Context, slugs []PageSlug) error {
	if len(slugs) == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, pageSlugsIn); err != nil {
			return fmt.Errorf("save published slugs: %w", err)
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"page_slugs_in"},
			[]string{"ord", "slug", "cluster_id", "state", "target_slug", "path", "members"},
			pgx.CopyFromSlice(len(slugs), func(i int) ([]any, error) {
				p := slugs[i]
				var members any // NULL: keep the stored members
				if p.Members != nil {
					members = p.Members
				}
				return []any{i, p.Slug, p.ClusterID, p.State, p.TargetSlug, p.Path, members}, nil
			}))
		if err != nil {
			return fmt.Errorf("save published slugs: %w", err)
		}
		if err := s.q.PageSlugMerge(ctx, tx); err != nil {
			return fmt.Errorf("save published slugs: %w", err)
		}
		if err := s.q.PagePathsRecord(ctx, tx); err != nil {
			return fmt.Errorf("save published paths: %w", err)
		}
		return nil
	})
}

// PageIssueClusters returns the active cluster of each of the given issues
// that has one.
func (s *Store) PageIssueClusters(ctx context.Context, issueIDs []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(issueIDs) == 0 {
		return out, nil
	}
	rows, err := s.q.PageIssueClusters(ctx, s.pool, issueIDs)
	if err != nil {
		return nil, fmt.Errorf("find clusters of issues: %w", err)
	}
	for _, r := range rows {
		out[r.IssueID] = r.ClusterID
	}
	return out, nil
}

// PageCount is a name with a count.
type PageCount struct {
	Name  string
	Count int
}

// PageIssue is a member issue shown as a source.
type PageIssue struct {
	ID                int64
	Repository        string
	Number            int
	Title             string
	Body              string // first PageEvidenceParams.BodyBytes bytes
	State             string
	StateReason       string
	Author            string
	AuthorAssociation string
	Labels            []string
	HTMLURL           string
	CommentCount      int
	ReactionsTotal    int
	CreatedAt         time.Time
	ClosedAt          *time.Time
}

// PageComment is a comment on a source issue.
type PageComment struct {
	IssueID           int64
	Author            string
	AuthorAssociation string
	Body              string // first PageEvidenceParams.BodyBytes bytes
	ReactionsTotal    int
	HTMLURL           string
	CreatedAt         time.Time
}

// PageEvidence is what a page says about one cluster.
type PageEvidence struct {
	ClusterID    int64
	Reports      int
	Open         int
	Closed       int
	Completed    int // closed as completed (or without a reason)
	NotPlanned   int // closed as not planned or duplicate
	Comments     int // comments on all reports
	FirstSeen    time.Time
	LastEvidence time.Time // newest report, comment or close
	Recent       int       // reports in the 30 days up to PageEvidenceParams.AsOf
	Previous     int       // reports in the 30 days before those
	Repos        []PageCount
	Variants     []PageCount   // raw primary signatures by reports, most first
	Members      []int64       // all member issue ids, ascending
	Sources      []PageIssue   // the most discussed reports, at most MaxSources
	Thread       []PageComment // comments on Sources, oldest first per issue
	Weekly       []PageCount   // reports per ISO week ("2026-W07"), ascending
}

// PageEvidenceParams chooses what PageEvidenceGet loads.
type PageEvidenceParams struct {
	ClusterIDs  []int64
	AsOf        time.Time // end of the trend windows
	MaxSources  int       // reports loaded in full per cluster
	MaxVariants int       // raw signature variants per cluster
	MaxComments int       // comments per source issue
	BodyBytes   int       // bytes of each body loaded
	// BigCluster is the number of members from which a cluster's newest
	// comment is looked for among the recent comments first (0:
	// DefaultPageBigCluster).
	BigCluster int
}

// PageAsOf returns the time of the newest report or comment in the store:
// the end of every trend window, so pages depend on the data, never on the
// clock.
func (s *Store) PageAsOf(ctx context.Context) (time.Time, error) {
	t, err := s.q.PageAsOf(ctx, s.pool)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil // an empty store
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("find newest evidence: %w", err)
	}
	return t.UTC(), nil
}

// mondayOf returns the Monday (UTC) of t's ISO week as days since
// 1970-01-01, a Thursday.
func mondayOf(t time.Time) int64 {
	day := t.Unix() / 86400
	if t.Unix() < 0 && t.Unix()%86400 != 0 {
		day-- // round towards the past
	}
	return day - ((day+3)%7+7)%7
}

// PageEvidenceGet loads the evidence of the given clusters, keyed by
// cluster id. Clusters without members are absent.
//
// One scan reads every member's dates, state and counts, and Go sums them
// (counts, repositories, weeks, trend windows) and picks the most
// discussed reports; only those are then read in full, with their
// comments. At a million issues this is several times faster than one
// aggregate query per figure, and at 16 clusters of 62,000 members it is
// still faster than the same sums in SQL (which sorts the members; see
// docs/benchmarks.md). A large cluster's newest comment is looked for
// among the recent comments (pageLastComments).
func (s *Store) PageEvidenceGet(ctx context.Context, p PageEvidenceParams) (map[int64]*PageEvidence, error) {
	out := map[int64]*PageEvidence{}
	if len(p.ClusterIDs) == 0 {
		return out, nil
	}
	if p.MaxSources <= 0 {
		p.MaxSources = 50
	}
	if p.BodyBytes <= 0 {
		p.BodyBytes = 8000
	}
	if p.MaxComments <= 0 {
		p.MaxComments = 20
	}
	if p.BigCluster <= 0 {
		p.BigCluster = DefaultPageBigCluster
	}
	repoNames, err := s.pageRepoNames(ctx)
	if err != nil {
		return nil, err
	}
	// The two scans of every member (issues, signatures) run at once, on
	// two connections: at 16 clusters of 62,000 members each takes
	// seconds, half of it decoding rows here.
	var (
		byCluster map[int64][]pageMember
		variants  map[int64][]PageCount
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		byCluster, err = s.pageMembers(gctx, p.ClusterIDs)
		return err
	})
	g.Go(func() (err error) {
		variants, err = s.pageVariants(gctx, p.ClusterIDs, p.MaxVariants)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	src := pageSources{cluster: map[int64]int64{}, rank: map[int64]int{}}
	for cid, ms := range byCluster {
		out[cid] = summarizeMembers(cid, ms, p.AsOf.UTC(), repoNames)
		out[cid].Variants = variants[cid]
		for i, m := range rankMembers(ms, p.MaxSources) {
			src.add(cid, m.id, i)
		}
	}
	if err := s.pageSourceIssues(ctx, src, p.BodyBytes, out); err != nil {
		return nil, err
	}
	if err := s.pageThreads(ctx, src, p.MaxComments, p.BodyBytes, out); err != nil {
		return nil, err
	}
	small, big := splitBySize(p.ClusterIDs, byCluster, p.BigCluster)
	if err := s.pageLastComments(ctx, small, big, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DefaultPageBigCluster is the size from which PageEvidenceGet looks for a
// cluster's newest comment among the recent comments.
const DefaultPageBigCluster = 2000

// splitBySize splits ids into the clusters with fewer than big members
// (as just read) and the others.
func splitBySize(ids []int64, members map[int64][]pageMember, big int) (smallIDs, bigIDs []int64) {
	for _, id := range ids {
		if len(members[id]) >= big {
			bigIDs = append(bigIDs, id)
		} else {
			smallIDs = append(smallIDs, id)
		}
	}
	return smallIDs, bigIDs
}

// pageMember is what the evidence sums read of each member.
type pageMember struct {
	id, repo            int64
	state, reason       string
	comments, reactions int
	created             time.Time
	closed              *time.Time
}

// pageSources are the reports a page reads in full: their ids, each one's
// cluster and its rank there (most discussed first).
type pageSources struct {
	ids     []int64
	cluster map[int64]int64
	rank    map[int64]int
}

func (src *pageSources) add(cluster, id int64, rank int) {
	src.ids = append(src.ids, id)
	src.cluster[id] = cluster
	src.rank[id] = rank
}

// pageMembers reads the members of the clusters, by cluster. The state is
// read as a code (PageMemberColumns) and given back as what the sums need:
// "open", or "closed" with "not_planned" or no reason.
func (s *Store) pageMembers(ctx context.Context, ids []int64) (map[int64][]pageMember, error) {
	rows, err := s.q.PageMemberColumns(ctx, s.pool, ids)
	if err != nil {
		return nil, fmt.Errorf("load cluster members: %w", err)
	}
	byCluster := make(map[int64][]pageMember, len(rows))
	for _, r := range rows {
		n := len(r.Ids)
		if len(r.Repos) != n || len(r.States) != n || len(r.Comments) != n || len(r.Reactions) != n ||
			len(r.Created) != n || len(r.Closed) != n {
			return nil, fmt.Errorf("load cluster members: columns of cluster %d differ in length", r.ClusterID)
		}
		ms := make([]pageMember, n)
		for i := range ms {
			m := &ms[i]
			m.id, m.repo, m.comments, m.reactions = r.Ids[i], r.Repos[i], int(r.Comments[i]), int(r.Reactions[i])
			switch r.States[i] {
			case 1:
				m.state = "open"
			case 2:
				m.state = "closed"
			case 3:
				m.state, m.reason = "closed", "not_planned"
			}
			m.created = time.UnixMicro(r.Created[i]).UTC()
			if r.Closed[i] != math.MinInt64 {
				c := time.UnixMicro(r.Closed[i]).UTC()
				m.closed = &c
			}
		}
		byCluster[r.ClusterID] = ms
	}
	return byCluster, nil
}

// summarizeMembers sums the members of cluster cid into its evidence:
// counts by state, first and last evidence, the trend windows up to asOf,
// repositories and weeks. It does not read the database.
func summarizeMembers(cid int64, ms []pageMember, asOf time.Time, repoNames map[int64]string) *PageEvidence {
	e := &PageEvidence{ClusterID: cid, Reports: len(ms)}
	repos := map[int64]int{}
	weeks := map[int64]int{} // Monday of the week, in Unix days
	for _, m := range ms {
		created := m.created.UTC()
		if m.state == "open" {
			e.Open++
		} else if m.state == "closed" {
			e.Closed++
			if m.reason == "not_planned" || m.reason == "duplicate" {
				e.NotPlanned++
			} else {
				e.Completed++
			}
		}
		e.Comments += m.comments
		if e.FirstSeen.IsZero() || created.Before(e.FirstSeen) {
			e.FirstSeen = created
		}
		last := created
		if m.closed != nil && m.closed.After(last) {
			last = m.closed.UTC()
		}
		if last.After(e.LastEvidence) {
			e.LastEvidence = last
		}
		if !created.After(asOf) {
			if created.After(asOf.Add(-30 * 24 * time.Hour)) {
				e.Recent++
			} else if created.After(asOf.Add(-60 * 24 * time.Hour)) {
				e.Previous++
			}
		}
		repos[m.repo]++
		weeks[mondayOf(created)]++
		e.Members = append(e.Members, m.id)
	}
	slices.Sort(e.Members)
	for r, n := range repos {
		e.Repos = append(e.Repos, PageCount{Name: repoNames[r], Count: n})
	}
	sortCounts(e.Repos)
	mondays := make([]int64, 0, len(weeks))
	for w := range weeks {
		mondays = append(mondays, w)
	}
	slices.Sort(mondays)
	for _, w := range mondays {
		e.Weekly = append(e.Weekly, PageCount{Name: time.Unix(w*86400, 0).UTC().Format(time.DateOnly), Count: weeks[w]})
	}
	return e
}

// rankMembers sorts ms by how much they were discussed (comments and
// reactions), newest first on a tie, then by id, and returns the first
// max.
func rankMembers(ms []pageMember, max int) []pageMember {
	slices.SortFunc(ms, func(a, b pageMember) int {
		if x, y := a.comments+a.reactions, b.comments+b.reactions; x != y {
			return cmp.Compare(y, x)
		}
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	if len(ms) > max {
		ms = ms[:max]
	}
	return ms
}

// pageSourceIssues reads the chosen reports in full, in their rank order.
func (s *Store) pageSourceIssues(ctx context.Context, src pageSources, bodyBytes int, out map[int64]*PageEvidence) error {
	rows, err := s.q.PageSourceIssues(ctx, s.pool, dbsqlc.PageSourceIssuesParams{Ids: src.ids, BodyChars: int32(bodyBytes)})
	if err != nil {
		return fmt.Errorf("load cluster reports: %w", err)
	}
	for _, r := range rows {
		is := PageIssue{ID: r.ID, Repository: r.FullName, Number: int(r.Number), Title: r.Title, Body: r.Body, State: r.State,
			StateReason: r.StateReason, Author: r.Author, AuthorAssociation: r.AuthorAssociation, Labels: r.Labels,
			HTMLURL: r.HtmlUrl, CommentCount: int(r.CommentCount), ReactionsTotal: int(r.ReactionsTotal),
			CreatedAt: r.CreatedAt.UTC(), ClosedAt: utcPtr(r.ClosedAt)}
		e := out[src.cluster[is.ID]]
		e.Sources = append(e.Sources, is)
	}
	for _, e := range out {
		sort.Slice(e.Sources, func(i, j int) bool { return src.rank[e.Sources[i].ID] < src.rank[e.Sources[j].ID] })
	}
	return nil
}

// pageThreads reads the comments of the chosen reports, oldest first, at
// most maxComments each (the statement ClusterBriefGet reads them with).
func (s *Store) pageThreads(ctx context.Context, src pageSources, maxComments, bodyBytes int, out map[int64]*PageEvidence) error {
	rows, err := s.q.ClusterBriefComments(ctx, s.pool, dbsqlc.ClusterBriefCommentsParams{
		IssueIds: src.ids, MaxComments: int64(maxComments), BodyChars: int32(bodyBytes)})
	if err != nil {
		return fmt.Errorf("load comments: %w", err)
	}
	for _, r := range rows {
		e := out[src.cluster[r.IssueID]]
		e.Thread = append(e.Thread, PageComment{IssueID: r.IssueID, Author: r.Author, AuthorAssociation: r.AuthorAssociation,
			Body: r.Body, ReactionsTotal: int(r.ReactionsTotal), HTMLURL: r.HtmlUrl, CreatedAt: r.CreatedAt.UTC()})
	}
	return nil
}

// pageLastComments moves each cluster's last evidence to its newest
// comment when that is later: a comment counts as evidence too.
//
// Reading all the members' comments costs a large cluster (big) hundreds
// of thousands of rows, so its newest comment is first looked for among
// the comments since the last day cluster_daily_counts gives it comments
// on, when those are fewer than its own: any comment found there is the
// newest, whether or not the daily counts are current; a cluster with none
// there is read in full like a small one.
func (s *Store) pageLastComments(ctx context.Context, small, big []int64, out map[int64]*PageEvidence) error {
	later := func(id int64, t time.Time) {
		if e := out[id]; e != nil && t.UTC().After(e.LastEvidence) {
			e.LastEvidence = t.UTC()
		}
	}
	if len(big) > 0 {
		days, err := s.q.PageLastCommentDays(ctx, s.pool, big)
		if err != nil {
			return fmt.Errorf("load last comment days: %w", err)
		}
		found := map[int64]bool{}
		for _, d := range days {
			if d.Since >= d.Own {
				continue
			}
			last, err := s.q.PageLastCommentSince(ctx, s.pool, dbsqlc.PageLastCommentSinceParams{ClusterID: d.ClusterID, Since: d.Day})
			if err != nil {
				return fmt.Errorf("load last comments: %w", err)
			}
			if len(last) > 0 {
				later(d.ClusterID, last[0])
				found[d.ClusterID] = true
			}
		}
		small = slices.Clone(small)
		for _, id := range big {
			if !found[id] {
				small = append(small, id)
			}
		}
	}
	if len(small) == 0 {
		return nil
	}
	rows, err := s.q.PageLastComments(ctx, s.pool, small)
	if err != nil {
		return fmt.Errorf("load last comments: %w", err)
	}
	for _, r := range rows {
		later(r.ClusterID, r.LastComment)
	}
	return nil
}

// pageRepoNames maps repository ids to names.
func (s *Store) pageRepoNames(ctx context.Context) (map[int64]string, error) {
	rows, err := s.q.TrendRepositoryNames(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("load repositories: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.FullName
	}
	return out, nil
}

func sortCounts(cs []PageCount) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Count != cs[j].Count {
			return cs[i].Count > cs[j].Count
		}
		return cs[i].Name < cs[j].Name
	})
}
