package pages

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/errata-tool/errata/store"
)

// Guides: one cluster's page rendered on demand, for callers that answer
// about a few clusters at a time (errata's MCP server) rather than write a
// site. The Markdown is the page Generate writes for the cluster, with the
// same evidence limits, except what needs the whole site: no weekly chart
// and no "related pages" list (both would need every cluster loaded).

// GuideParams chooses the clusters Guides renders and how.
type GuideParams struct {
	ClusterIDs []int64
	// Markdown renders the page; without it only the structured fields
	// and findings are filled (cheaper: no page text is built).
	Markdown bool
	Format   Format // default Plain
	// MaxSources is how many reports per cluster are read in full for
	// findings; default 25, as for pages.
	MaxSources int
	// AsOf ends the trend windows the page text mentions; zero means the
	// store's newest evidence, as for pages.
	AsOf time.Time
}

// Guide is one cluster's guide.
type Guide struct {
	Cluster store.PageCluster
	// Slug and Path ("category/slug") are the page's: the published ones
	// when `errata pages` has published it (Published), else those a first
	// publication would give it (unless that slug is taken by then).
	Slug      string
	Path      string
	Published bool
	Title     string // the page title
	Summary   string // the page's one-paragraph description
	Evidence  *store.PageEvidence
	// Repositories is the number of repositories with reports (Evidence.
	// Repos may list only the top ones).
	Repositories int
	// Fixes are the mined fixes, workarounds, maintainer answers and
	// closing notes, best first; Causes the mined causes. Each carries its
	// source (repository, number, URL, author, date).
	Fixes, Causes []Finding
	Markdown      string
	AsOf          time.Time
}

// KindLabel names a finding as a page's bullet lead does: a fix or
// workaround with how its thread confirmed it ("Fix, confirmed by the
// reporter", "Workaround, not confirmed"), else "Cause" or "Prevention".
func KindLabel(f Finding) string {
	switch f.Kind {
	case KindFix, KindWorkaround:
		return fixLabel(f)
	case KindCause:
		return "Cause"
	}
	return "Prevention"
}

// PagePlace returns the slug and path ("category/slug") a first
// publication gives a cluster's page, as Generate chooses them when the
// slug is not taken yet. Only Slug, Title, Category and Topic are read.
func PagePlace(c *store.PageCluster) (slug, pagePath string) {
	slug = slugify(c.Slug, slugMax)
	if slug == "" {
		slug = slugify(c.Title, slugMax)
	}
	if slug == "" || reserved[slug] {
		slug = strings.Trim(slug+"-"+fmt.Sprint(c.ID), "-")
		if slug == fmt.Sprint(c.ID) {
			slug = "cluster-" + slug
		}
	}
	return slug, path.Join(categoryDir(categoryOf(c)), slug)
}

// Guides renders the guides of the given clusters (any status; callers
// resolve merges first), by id; unknown ids are absent.
func Guides(ctx context.Context, s *store.Store, p GuideParams) (map[int64]*Guide, error) {
	out := map[int64]*Guide{}
	if len(p.ClusterIDs) == 0 {
		return out, nil
	}
	if p.Format == "" {
		p.Format = Plain
	}
	if p.MaxSources <= 0 {
		p.MaxSources = 25
	}
	cs, err := s.PageClusterGetMany(ctx, p.ClusterIDs)
	if err != nil {
		return nil, err
	}
	live, err := s.PageSlugLiveGetMany(ctx, p.ClusterIDs)
	if err != nil {
		return nil, err
	}
	asOf := p.AsOf
	if asOf.IsZero() {
		if asOf, err = s.PageAsOf(ctx); err != nil {
			return nil, err
		}
	}
	evs, err := s.PageEvidenceGet(ctx, store.PageEvidenceParams{ClusterIDs: p.ClusterIDs, AsOf: asOf,
		MaxSources: p.MaxSources, MaxVariants: maxVariants, MaxComments: 20, BodyBytes: 6000})
	if err != nil {
		return nil, err
	}
	for _, id := range p.ClusterIDs {
		c := cs[id]
		if c == nil || out[id] != nil {
			continue
		}
		ev := evs[id]
		if ev == nil {
			ev = &store.PageEvidence{ClusterID: id}
		}
		g := &Guide{Cluster: *c, Evidence: ev, AsOf: asOf, Title: pageTitle(c), Summary: description(c, ev)}
		if ps, ok := live[id]; ok {
			g.Slug, g.Path, g.Published = ps.Slug, ps.Path, true
		} else {
			g.Slug, g.Path = PagePlace(c)
		}
		g.Repositories = len(ev.Repos)
		g.Fixes, g.Causes = Findings(ev)
		if p.Markdown {
			pd := &pageData{c: c, ev: ev, slug: g.Slug, path: g.Path, asOf: asOf}
			g.Markdown = renderCluster(p.Format, pd)
		}
		out[id] = g
	}
	return out, nil
}

// Findings returns the fixes (confirmed ones first, by how their threads
// confirmed them) and causes a page shows for the evidence, chosen exactly
// as the page chooses them. Each names its source.
func Findings(ev *store.PageEvidence) (fixes, causes []Finding) {
	a := selectAdvice(mine(ev))
	return a.fixes, a.causes
}

// Briefs is the light form of Guides, for answers about matched clusters:
// counts come from store.ClusterBriefGet (PostgreSQL counts; only the
// maxSources most discussed reports are read), findings are mined from
// those reports, and there is no Markdown, Summary or signature variants.
// Evidence holds the counts, the top five repositories, Sources and Thread.
func Briefs(ctx context.Context, s *store.Store, ids []int64, maxSources int) (map[int64]*Guide, error) {
	out := map[int64]*Guide{}
	if len(ids) == 0 {
		return out, nil
	}
	cs, err := s.PageClusterGetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	live, err := s.PageSlugLiveGetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	briefs, err := s.ClusterBriefGet(ctx, store.ClusterBriefParams{ClusterIDs: ids, MaxSources: maxSources})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		c := cs[id]
		if c == nil || out[id] != nil {
			continue
		}
		g := &Guide{Cluster: *c, Title: pageTitle(c), Evidence: &store.PageEvidence{ClusterID: id}}
		if b := briefs[id]; b != nil {
			g.Evidence = b.Evidence
			g.Evidence.Repos = b.TopRepos
			g.Repositories = b.Repositories
		}
		if ps, ok := live[id]; ok {
			g.Slug, g.Path, g.Published = ps.Slug, ps.Path, true
		} else {
			g.Slug, g.Path = PagePlace(c)
		}
		g.Fixes, g.Causes = Findings(g.Evidence)
		out[id] = g
	}
	return out, nil
}
