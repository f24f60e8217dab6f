package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/errata-tool/errata/classify"
	"github.com/errata-tool/errata/reports/pages"
	"github.com/errata-tool/errata/reports/trends"
	"github.com/errata-tool/errata/store"
)

const resourcePrefix = "errata://clusters/"

func readOnly(title string) *mcp.ToolAnnotations {
	f := false
	return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, DestructiveHint: &f, OpenWorldHint: &f}
}

func (s *Server) addTools() {
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:  "match_error",
		Title: "Match an error to errata's known errors",
		Description: "Paste an error message (with a few lines around it) to find the known errors it matches, as `errata match` finds them: " +
			"each match has its score and why, the error's title and signature, how many reports in how many repositories, " +
			"first and last seen, its trend over the last 28 days, the top fixes and causes quoted from the GitHub threads with their links, " +
			"and the path (and URL) of its guide. Text is limited to 64 KiB.",
		Annotations: readOnly("Match an error"),
	}, s.matchError)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:  "get_error_guide",
		Title: "Read the guide of a known error",
		Description: "The full troubleshooting guide of one error cluster, by id or slug (from match_error or search_errors): " +
			"the page errata writes, as Markdown, plus its structured fields, fixes and causes with sources. " +
			"A cluster that was merged into another answers with the cluster it was merged into.",
		Annotations: readOnly("Read an error guide"),
	}, s.getErrorGuide)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:  "trending_errors",
		Title: "Errors that are growing",
		Description: "What `errata trends` reports: per cluster (or topic, category, tool, repository) the reports in the current window " +
			"against the baseline windows before it, with a state (New, Regressed, Escalating, Rising, Stable, Declining), the reason, counts, " +
			"ratio and adjusted p-values. Growing groups come first.",
		Annotations: readOnly("Trending errors"),
	}, s.trendingErrors)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:  "search_errors",
		Title: "Search known errors by words",
		Description: "Finds error clusters whose title, signature, error code or slug contain every word of the query " +
			"(prefixes match), optionally only those of a topic, category or tool; best ranked first.",
		Annotations: readOnly("Search errors"),
	}, s.searchErrors)
}

func textResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}

// checkText validates match_error's text.
func checkText(text string) error {
	if len(text) > MaxTextBytes {
		return badInput("text is %d bytes long; the limit is %d bytes (64 KiB): paste the error message and the few lines around it, not the whole log", len(text), MaxTextBytes)
	}
	if strings.TrimSpace(text) == "" {
		return badInput("text is empty: paste the error message you saw")
	}
	if !utf8.ValidString(text) {
		return badInput("text is not valid UTF-8")
	}
	return nil
}

func (s *Server) matchError(ctx context.Context, _ *mcp.CallToolRequest, in MatchInput) (*mcp.CallToolResult, MatchOutput, error) {
	out := MatchOutput{Matches: []ClusterMatch{}}
	if err := checkText(in.Text); err != nil {
		return nil, out, err
	}
	limit := in.Limit
	if limit == 0 {
		limit = 3
	}
	if limit < 1 || limit > MaxMatches {
		return nil, out, badInput("limit %d: want 1 to %d", in.Limit, MaxMatches)
	}
	text := strings.ReplaceAll(in.Text, "\x00", "")
	a, res, err := classify.MatchText(ctx, s.opts.Store, text, limit)
	if err != nil {
		return nil, out, s.toolErr("match_error", err)
	}
	if p := a.Primary(); p != nil {
		out.Signature = p.Normalized
		out.Code = a.Concept
	}
	ids := make([]int64, 0, len(res))
	for _, r := range res {
		ids = append(ids, r.Cluster.ID)
	}
	ver, err := s.version(ctx)
	if err != nil {
		return nil, out, s.toolErr("match_error", err)
	}
	guides, err := s.briefs(ctx, ver, ids)
	if err != nil {
		return nil, out, s.toolErr("match_error", err)
	}
	tr := s.trendRows(ctx, ver)
	for _, r := range res {
		g := guides[r.Cluster.ID]
		if g == nil {
			continue // removed since the matcher loaded
		}
		out.Matches = append(out.Matches, ClusterMatch{
			Score: roundScore(r.Score), Why: r.Reason, Cluster: s.summary(g, tr),
			Fixes: findings(g.Fixes, 3), Causes: findings(g.Causes, 2),
		})
	}
	return textResult(renderMatch(out)), out, nil
}

func roundScore(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

// summary is a cluster's summary from its guide, with its trend row from
// tr (see trendRows).
func (s *Server) summary(g *pages.Guide, tr map[int64]*trends.Row) ClusterSummary {
	c, ev := &g.Cluster, g.Evidence
	cs := ClusterSummary{ID: c.ID, Slug: c.Slug, Title: g.Title, Signature: c.Signature, Topic: c.Topic, Category: c.Category,
		Tools: nonNil(c.Tools), Reports: ev.Reports, Repositories: g.Repositories, TopRepositories: []string{}, Open: ev.Open,
		PagePath: g.Path, PagePublished: g.Published, PageURL: s.pageURL(g.Path), Resource: resourcePrefix + c.Slug}
	for i, r := range ev.Repos {
		if i == 5 {
			break
		}
		cs.TopRepositories = append(cs.TopRepositories, r.Name)
	}
	if !ev.FirstSeen.IsZero() {
		cs.FirstSeen = ev.FirstSeen.UTC().Format(time.RFC3339)
	}
	if !ev.LastEvidence.IsZero() {
		cs.LastSeen = ev.LastEvidence.UTC().Format(time.RFC3339)
	}
	cs.Trend = trendOf(tr[c.ID])
	return cs
}

func trendOf(r *trends.Row) *Trend {
	if r == nil {
		return nil
	}
	return &Trend{State: string(r.State), Reason: r.Reason, WindowDays: trends.DefaultWindowDays,
		Count: r.Count, BaselineCount: r.BaselineCount, Ratio: round3(r.Ratio)}
}

func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func round3(f float64) float64 { return roundScore(f) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func findings(fs []pages.Finding, n int) []Finding {
	out := []Finding{}
	for _, f := range fs {
		if len(out) == n {
			break
		}
		out = append(out, Finding{Kind: pages.KindLabel(f), Text: f.Text, Version: f.Version,
			Source: fmt.Sprintf("%s#%d", f.Repository, f.Number), URL: f.URL, Author: f.Author, Role: f.Role,
			Date: f.At.UTC().Format("2006-01-02")})
	}
	return out
}

// resolve finds the cluster for an id or slug and follows merges to the
// surviving cluster; merged is the id asked for when it was merged.
func (s *Server) resolve(ctx context.Context, id int64, slug string) (survivor int64, merged int64, err error) {
	var info *store.ClusterInfo
	name := slug
	switch {
	case id != 0:
		name = strconv.FormatInt(id, 10)
		info, err = s.opts.Store.ClusterGet(ctx, name)
	default:
		if _, perr := strconv.ParseInt(slug, 10, 64); perr == nil {
			return 0, 0, badInput("slug %q is a number: give it as id", slug)
		}
		info, err = s.opts.Store.ClusterGet(ctx, slug)
		if errors.Is(err, store.ErrNotFound) {
			// A page slug can differ from its cluster's slug (a page
			// keeps its URL when a re-clustering renumbers clusters).
			info, err = s.pageSlugCluster(ctx, slug)
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		if id != 0 {
			return 0, 0, badInput("no cluster with id %d: use match_error or search_errors to find one", id)
		}
		return 0, 0, badInput("no cluster with slug %q: use match_error or search_errors to find one", slug)
	}
	if err != nil {
		return 0, 0, err
	}
	switch info.Status {
	case "active":
		return info.ID, 0, nil
	case "merged":
		sid, err := s.opts.Store.ClusterSurvivorGet(ctx, info.ID)
		if errors.Is(err, store.ErrNotFound) {
			return 0, 0, badInput("cluster %s was merged into a cluster that no longer exists: use match_error with the error text", name)
		}
		return sid, info.ID, err
	default:
		return 0, 0, badInput("cluster %s was dissolved (its reports no longer form one error): use match_error with the error text", name)
	}
}

// pageSlugCluster finds the cluster a published page slug shows now.
func (s *Server) pageSlugCluster(ctx context.Context, slug string) (*store.ClusterInfo, error) {
	list, err := s.opts.Store.PageSlugList(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range list {
		if p.Slug == slug && p.ClusterID != 0 {
			return s.opts.Store.ClusterGet(ctx, strconv.FormatInt(p.ClusterID, 10))
		}
	}
	return nil, store.ErrNotFound
}

// guide loads one cluster's full guide.
func (s *Server) guide(ctx context.Context, id int64, slug string) (GuideOutput, error) {
	var out GuideOutput
	sid, merged, err := s.resolve(ctx, id, slug)
	if err != nil {
		return out, err
	}
	gs, err := pages.Guides(ctx, s.opts.Store, pages.GuideParams{ClusterIDs: []int64{sid}, Markdown: true})
	if err != nil {
		return out, err
	}
	g := gs[sid]
	if g == nil {
		return out, badInput("cluster %d is gone", sid)
	}
	out = GuideOutput{Cluster: s.summary(g, s.trendRows(ctx, "")), MergedFrom: merged, Summary: g.Summary,
		Fixes: findings(g.Fixes, 8), Causes: findings(g.Causes, 5), Markdown: g.Markdown}
	// First and last seen as everywhere else: the first and the newest
	// report (the page's evidence counts comments as activity too).
	if info, err := s.opts.Store.ClusterGet(ctx, strconv.FormatInt(sid, 10)); err == nil {
		out.Cluster.FirstSeen, out.Cluster.LastSeen = rfc3339(info.FirstSeen), rfc3339(info.LastSeen)
	} else {
		return out, err
	}
	return out, nil
}

func (s *Server) getErrorGuide(ctx context.Context, _ *mcp.CallToolRequest, in GuideInput) (*mcp.CallToolResult, GuideOutput, error) {
	var out GuideOutput
	if err := checkField("slug", in.Slug); err != nil {
		return nil, out, err
	}
	slug := strings.TrimSpace(in.Slug)
	switch {
	case in.ID == 0 && slug == "":
		return nil, out, badInput("give id or slug of a cluster (from match_error or search_errors)")
	case in.ID != 0 && slug != "":
		return nil, out, badInput("give id or slug, not both")
	case in.ID < 0:
		return nil, out, badInput("id %d: cluster ids are positive", in.ID)
	}
	out, err := s.guide(ctx, in.ID, slug)
	if err != nil {
		return nil, GuideOutput{}, s.toolErr("get_error_guide", err)
	}
	return textResult(renderGuide(out)), out, nil
}

// parseWindow reads "28d", "4w" or a bare number of days. (`errata
// trends` also takes a Go duration of whole days; agents are given the
// simpler forms.)
func parseWindow(s string) (int, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	mult := 1
	switch {
	case strings.HasSuffix(s, "d"):
		s = strings.TrimSuffix(s, "d")
	case strings.HasSuffix(s, "w"):
		s, mult = strings.TrimSuffix(s, "w"), 7
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, errors.New("want a positive number of days (28d) or weeks (4w)")
	}
	return n * mult, nil
}

func (s *Server) trendingErrors(ctx context.Context, _ *mcp.CallToolRequest, in TrendingInput) (*mcp.CallToolResult, TrendingOutput, error) {
	out := TrendingOutput{Rows: []TrendRow{}}
	for _, f := range [][2]string{{"window", in.Window}, {"by", in.By}, {"repo", in.Repo}, {"as_of", in.AsOf}} {
		if err := checkField(f[0], f[1]); err != nil {
			return nil, out, err
		}
	}
	q := trends.Query{By: trends.Grouping(strings.TrimSpace(in.By)), Repo: strings.TrimSpace(in.Repo), Top: in.Top}
	if in.Window != "" {
		days, err := parseWindow(in.Window)
		if err != nil {
			return nil, out, badInput("window %q: %v", in.Window, err)
		}
		q.WindowDays = days
	}
	if q.Top == 0 {
		q.Top = 10
	}
	if q.Top < 1 || q.Top > MaxTop {
		return nil, out, badInput("top %d: want 1 to %d", in.Top, MaxTop)
	}
	if in.AsOf != "" {
		d, err := trends.ParseDay(strings.TrimSpace(in.AsOf))
		if err != nil {
			return nil, out, badInput("as_of %q: want a date as YYYY-MM-DD", in.AsOf)
		}
		q.AsOf = d.Time()
	}
	q, err := q.Normalize(s.opts.Now())
	if err != nil {
		return nil, out, badInput("%v", err)
	}
	if q.Repo != "" {
		if _, err := s.opts.Store.TrendRepositoryID(ctx, q.Repo); errors.Is(err, store.ErrNotFound) {
			return nil, out, badInput("repo %q: errata has no reports from this repository (give owner/name)", q.Repo)
		} else if err != nil {
			return nil, out, s.toolErr("trending_errors", err)
		}
	}
	rep, err := trends.Compute(ctx, s.opts.TrendStore, q)
	if err != nil {
		return nil, out, s.toolErr("trending_errors", err)
	}
	out = TrendingOutput{By: string(rep.Query.By), WindowDays: rep.Query.WindowDays, AsOf: trends.DayOf(rep.Query.AsOf).String(),
		Current:  rep.Windows.Current.From.String() + ".." + rep.Windows.Current.To.String(),
		Baseline: rep.Windows.Baseline.From.String() + ".." + rep.Windows.Baseline.To.String(),
		Groups:   rep.Groups, Rows: []TrendRow{}, Explanation: rep.Caption(), RepoFilter: rep.Query.Repo, MinimumCounts: rep.Query.MinCount}
	var ids []int64
	for _, r := range rep.Rows {
		if r.ClusterID != 0 {
			ids = append(ids, r.ClusterID)
		}
	}
	paths := map[int64]string{}
	if s.opts.SiteURL != "" && len(ids) > 0 {
		if paths, err = s.pagePaths(ctx, ids); err != nil {
			return nil, out, s.toolErr("trending_errors", err)
		}
	}
	for _, r := range rep.Rows {
		tr := TrendRow{Key: r.Key, Label: r.Label, ClusterID: r.ClusterID, State: string(r.State), Reason: r.Reason,
			Count: r.Count, BaselineCount: r.BaselineCount, BaselinePerWindow: round3(r.BaselinePerWindow), Ratio: round3(r.Ratio),
			LastWeek: r.LastWeek, QUp: r.QUp, QDown: r.QDown, PageURL: s.pageURL(paths[r.ClusterID])}
		if r.Change != nil {
			c := round3(*r.Change)
			tr.Change = &c
		}
		out.Rows = append(out.Rows, tr)
	}
	return textResult(renderTrending(out)), out, nil
}

// pagePaths returns the page path of each cluster: the published one, or
// the one a first publication would give it.
func (s *Server) pagePaths(ctx context.Context, ids []int64) (map[int64]string, error) {
	live, err := s.opts.Store.PageSlugLiveGetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	cs, err := s.opts.Store.PageClusterGetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, id := range ids {
		if p, ok := live[id]; ok {
			out[id] = p.Path
		} else if c := cs[id]; c != nil {
			_, out[id] = pages.PagePlace(c)
		}
	}
	return out, nil
}

func (s *Server) searchErrors(ctx context.Context, _ *mcp.CallToolRequest, in SearchInput) (*mcp.CallToolResult, SearchOutput, error) {
	out := SearchOutput{Results: []SearchHit{}}
	for _, f := range [][2]string{{"query", in.Query}, {"topic", in.Topic}, {"category", in.Category}, {"tool", in.Tool}} {
		if err := checkField(f[0], f[1]); err != nil {
			return nil, out, err
		}
	}
	if strings.TrimSpace(in.Query) == "" {
		return nil, out, badInput("query is empty: give words to look for, such as an error code or the words of the message")
	}
	limit := in.Limit
	if limit == 0 {
		limit = 10
	}
	if limit < 1 || limit > 50 {
		return nil, out, badInput("limit %d: want 1 to 50", in.Limit)
	}
	hits, err := s.opts.Store.ClusterSearch(ctx, store.ClusterSearchParams{Query: in.Query, Topic: strings.TrimSpace(in.Topic),
		Category: strings.TrimSpace(in.Category), Tool: strings.TrimSpace(in.Tool), Limit: limit})
	if errors.Is(err, store.ErrNoSearchWords) {
		return nil, out, badInput("query %q has no words to search for", in.Query)
	}
	if err != nil {
		return nil, out, s.toolErr("search_errors", err)
	}
	ids := make([]int64, 0, len(hits))
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	paths, err := s.pagePaths(ctx, ids)
	if err != nil {
		return nil, out, s.toolErr("search_errors", err)
	}
	det, err := s.opts.Store.ClusterDetailsGet(ctx, ids, 0)
	if err != nil {
		return nil, out, s.toolErr("search_errors", err)
	}
	live, err := s.opts.Store.PageSlugLiveGetMany(ctx, ids)
	if err != nil {
		return nil, out, s.toolErr("search_errors", err)
	}
	tr := s.trendRows(ctx, "")
	for _, h := range hits {
		c := h.ClusterInfo
		cs := ClusterSummary{ID: c.ID, Slug: c.Slug, Title: c.Title, Signature: c.Signature, Topic: c.Topic, Category: c.Category,
			Tools: nonNil(c.Tools), Reports: c.Size, TopRepositories: []string{}, PagePath: paths[c.ID], PageURL: s.pageURL(paths[c.ID]),
			Resource: resourcePrefix + c.Slug}
		_, cs.PagePublished = live[c.ID]
		if d := det[c.ID]; d != nil {
			cs.Repositories = len(d.Repositories)
			cs.TopRepositories = append(cs.TopRepositories, d.Repositories[:min(5, len(d.Repositories))]...)
		}
		cs.FirstSeen, cs.LastSeen = rfc3339(c.FirstSeen), rfc3339(c.LastSeen)
		cs.Trend = trendOf(tr[c.ID])
		out.Results = append(out.Results, SearchHit{Rank: round3(h.Rank), Cluster: cs})
	}
	return textResult(renderSearch(out)), out, nil
}

func (s *Server) addResources() {
	s.mcp.AddResourceTemplate(&mcp.ResourceTemplate{
		Name:        "error-guide",
		Title:       "errata error guide",
		Description: "The troubleshooting guide of one known error, as Markdown, by cluster slug (see match_error's resource field).",
		URITemplate: resourcePrefix + "{slug}",
		MIMEType:    "text/markdown",
	}, func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		uri := req.Params.URI
		slug := strings.TrimPrefix(uri, resourcePrefix)
		if slug == uri || slug == "" || strings.Contains(slug, "/") || len(slug) > MaxFieldBytes {
			return nil, mcp.ResourceNotFoundError(uri)
		}
		g, err := s.guide(ctx, 0, slug)
		if err != nil {
			var ie *inputError
			if errors.As(err, &ie) {
				return nil, mcp.ResourceNotFoundError(uri)
			}
			return nil, s.toolErr("resource", err)
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/markdown", Text: g.Markdown}}}, nil
	})
}
