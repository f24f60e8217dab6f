// Package pages writes errata's troubleshooting pages: one Markdown page
// per error cluster with the evidence behind every statement, index pages
// per category and topic, and a top-level index, for Hugo, MkDocs or plain
// Markdown.
//
// Decisions:
//
//   - Output is a pure function of the database: no clock, no map order, no
//     absolute paths. Trend windows end at the newest report or comment in
//     the store (store.PageAsOf), not at the time of the run. Rerunning on
//     the same database writes nothing; a changed page is replaced through a
//     temporary file and a rename, a new one is created in place (and
//     removed if its write fails).
//   - errata owns only the files it wrote: it lists them in
//     .errata-pages.txt in the output directory and removes, on the next
//     run, those it no longer writes. Other files in the directory are left
//     alone.
//   - Every text from an issue is untrusted (see text.go): it is redacted of
//     secrets (package classify/redact), stripped of control characters and
//     escaped for where it goes. Slugs and directory names are
//     [a-z0-9-] only and every path is checked to stay inside the output
//     directory.
//   - URLs are stable (see plan.go): a page, once written, keeps its slug
//     and path for as long as the database lives.
//   - A page reads at most MaxSources reports of its cluster in full (the
//     most discussed ones), and their first MaxComments comments; counts,
//     dates, repositories and signature variants cover all reports.
package pages

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/errata-tool/errata/internal/atomicfile"
	"github.com/errata-tool/errata/llm"
	"github.com/errata-tool/errata/reports/trends"
	"github.com/errata-tool/errata/store"
)

// Options configure Generate.
type Options struct {
	Out     string // output directory (created if missing)
	Format  Format // hugo (default), mkdocs or plain
	MinSize int    // minimum reports for a new page; default 2
	// Batch is how many clusters are loaded at once; default 500.
	Batch int
	// MaxSources is how many reports per cluster are read in full; default 25.
	MaxSources int
	// Chart returns an SVG of reports per ISO week for a cluster's page, or
	// nil for none. The weeks are named by their Monday ("2026-02-16"), with
	// counts, ascending, weeks without reports left out. Nil means
	// WeeklyChart; NoCharts turns charts off.
	Chart    func(title string, weeks []store.PageCount, asOf time.Time) []byte
	NoCharts bool
	// NoTrends leaves out the trends page (trends.md).
	NoTrends bool
	// Trends is the report the trends page shows, when the caller computed
	// it already (TrendsReport, as of store.PageAsOf); nil, or a report of
	// another query or day, means Generate computes it.
	Trends *trends.Report
	// Full renders every page. Without it, Generate renders only the pages
	// whose inputs changed since the last render of the same directory
	// (see incremental.go); the output is the same.
	Full   bool
	Logger *slog.Logger
	// LLM, when enabled, writes prose for the sections "What this error
	// means", "Why it happens", "Common causes" and "Quick fixes" from the
	// page's reports and their comments, each statement linking to the
	// reports it cites, above errata's own text; the evidence note names the
	// model. Answers are cached in the database, and any failure leaves the
	// page as it would be without a model. Nil: no model.
	LLM *llm.Client
}

// Result says what Generate did.
type Result struct {
	Pages    int // cluster pages (rendered or kept)
	Rendered int // cluster pages rendered by this run
	// Full is set when every page was rendered, FullReason says why.
	Full       bool
	FullReason string
	Indexes    int // index pages
	Redirects  int // slugs that redirect to another page
	Tombstones int // short pages for clusters that are gone
	Written    int // files written (new or changed)
	Unchanged  int // files already up to date
	Removed    int // stale files removed
	Files      []string
	// LoadTime is the time spent loading evidence from the database, and
	// LoadWait the part of it that rendering waited for (the rest overlapped).
	LoadTime, LoadWait time.Duration
}

const manifestName = ".errata-pages.txt"

// Generate writes the pages for the database in s into opts.Out.
//
// It runs in phases: load the clusters and plan every slug (loadSite),
// render and write the cluster pages in batches (renderPages), then the
// redirects and tombstones, the index pages and the trends page, and last
// save the slugs and remove the files this run no longer writes.
func Generate(ctx context.Context, s *store.Store, opts Options) (Result, error) {
	var res Result
	opts, err := opts.normalized()
	if err != nil {
		return res, err
	}
	w, err := newWriter(opts.Out)
	if err != nil {
		return res, err
	}
	// Before anything is read: a change committed later is seen by the
	// next render.
	snap, err := s.PageSnapshot(ctx)
	if err != nil {
		return res, err
	}
	t0 := time.Now()
	phase := func(name string) {
		if opts.Logger != nil {
			opts.Logger.Debug("pages phase", "phase", name, "took", time.Since(t0).Round(time.Millisecond))
		}
		t0 = time.Now()
	}
	// The signature variant counts the evidence reads: a recount of the
	// clusters that changed otherwise than by new members.
	if err := s.PageVariantRefresh(ctx); err != nil {
		return res, err
	}
	phase("variant counts")
	st, err := loadSite(ctx, s, opts)
	if err != nil {
		return res, err
	}
	phase("load site")
	rs, err := loadRenderState(ctx, s, w, opts, st, snap)
	if err != nil {
		return res, err
	}
	st.index(rs.prev)
	ids := rs.split(w, opts, st)
	phase("render state")
	res.Full, res.FullReason, res.Rendered = rs.full, rs.reason, len(ids)
	if err := rs.keep(w, opts, st, &res); err != nil {
		return res, err
	}
	if err := renderPages(ctx, s, w, opts, st, ids, rs.records, &res); err != nil {
		return res, err
	}
	if opts.Logger != nil {
		opts.Logger.Debug("pages evidence", "load", res.LoadTime.Round(time.Millisecond), "waited", res.LoadWait.Round(time.Millisecond))
	}
	phase("cluster pages")
	if err := writeRedirects(w, opts.Format, st, &res); err != nil {
		return res, err
	}
	n, err := writeIndexes(w, opts.Format, st.allEntries(), !opts.NoTrends)
	if err != nil {
		return res, err
	}
	res.Indexes = n
	phase("redirects and indexes")
	if !opts.NoTrends {
		if err := writeTrendsPage(ctx, s, w, opts, st); err != nil {
			return res, err
		}
		res.Indexes++
		phase("trends page")
	}
	if err := s.PageSlugSave(ctx, st.pl.changedSlugs()); err != nil {
		return res, err
	}
	removed, err := w.finish()
	if err != nil {
		return res, err
	}
	res.Removed = removed
	res.Written, res.Unchanged = w.written, w.unchanged
	res.Files = w.files()
	if err := rs.save(ctx, s, w, st); err != nil {
		return res, err
	}
	phase("save")
	if opts.Logger != nil {
		opts.Logger.Debug("pages rendered", "rendered", res.Rendered, "pages", res.Pages, "full", res.Full, "reason", res.FullReason)
	}
	return res, nil
}

// normalized returns the options with their defaults filled in.
func (opts Options) normalized() (Options, error) {
	if opts.Out == "" {
		return opts, fmt.Errorf("pages: no output directory")
	}
	switch opts.Format {
	case "":
		opts.Format = Hugo
	case Hugo, MkDocs, Plain:
	default:
		return opts, fmt.Errorf("pages: unknown format %q (want hugo, mkdocs or plain)", opts.Format)
	}
	if opts.MinSize <= 0 {
		opts.MinSize = 2
	}
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.MaxSources <= 0 {
		opts.MaxSources = 25
	}
	if opts.Chart == nil && !opts.NoCharts {
		opts.Chart = WeeklyChart
	}
	if opts.NoCharts {
		opts.Chart = nil
	}
	return opts, nil
}

// site is what a run renders, loaded before any page is written: the
// clusters, the plan of every slug, the evidence horizon and the index
// entries of the live pages.
type site struct {
	byID    map[int64]*store.PageCluster
	in      planInput // what the plan was made from
	pl      *plan
	asOf    time.Time
	liveIDs []int64               // clusters with a live page, ascending
	entries map[int64]*indexEntry // by cluster id
	// relatedByTopic holds the entries by topic slug, in related-list
	// order (sortRelated).
	relatedByTopic map[string][]*indexEntry
	lastSeen       map[int64]time.Time // filled as pages render
}

// loadSite reads the clusters, slugs and redirects and plans the slugs.
func loadSite(ctx context.Context, s *store.Store, opts Options) (*site, error) {
	clusters, err := s.PageClusterList(ctx)
	if err != nil {
		return nil, err
	}
	in := planInput{clusters: map[int64]*store.PageCluster{}, active: map[int64]bool{}}
	for i := range clusters {
		c := &clusters[i]
		in.clusters[c.ID] = c
		if c.Status == "active" && c.Size > 0 {
			in.active[c.ID] = true
			if c.Size >= opts.MinSize {
				in.publish = append(in.publish, c.ID)
			}
		}
	}
	if in.published, err = s.PageSlugList(ctx); err != nil {
		return nil, err
	}
	if in.redirects, err = s.PageRedirectList(ctx); err != nil {
		return nil, err
	}
	// The stored members of live slugs are not read (there is one per
	// issue): only those of the slugs whose cluster is gone, which the
	// plan sends on. A rendered page saves its members again.
	var gone []string
	for _, p := range in.published {
		if p.State == "live" && !in.active[p.ClusterID] {
			gone = append(gone, p.Slug)
		}
	}
	members, err := s.PageSlugMembers(ctx, gone)
	if err != nil {
		return nil, err
	}
	var orphanMembers []int64
	for i := range in.published {
		p := &in.published[i]
		if m, ok := members[p.Slug]; ok {
			p.Members = m
		}
		if !(p.State == "live" && in.active[p.ClusterID]) {
			orphanMembers = append(orphanMembers, p.Members...)
		}
	}
	if in.now, err = s.PageIssueClusters(ctx, orphanMembers); err != nil {
		return nil, err
	}
	st := &site{byID: in.clusters, in: in, pl: makePlan(in)}
	if st.asOf, err = s.PageAsOf(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

// index builds the index entries of the live pages and groups them by
// topic for the related lists. A page's title is taken from the last
// render's record (prev, nil for none) when its cluster's row is the same:
// titles are costly (pageTitle), and every page needs every title of its
// topic.
func (st *site) index(prev map[int64]pageRecord) {
	st.liveIDs = st.liveIDs[:0]
	for id := range st.pl.live {
		st.liveIDs = append(st.liveIDs, id)
	}
	sort.Slice(st.liveIDs, func(i, j int) bool { return st.liveIDs[i] < st.liveIDs[j] })
	st.entries = map[int64]*indexEntry{}
	st.relatedByTopic = map[string][]*indexEntry{}
	st.lastSeen = map[int64]time.Time{}
	for _, id := range st.liveIDs {
		slug := st.pl.live[id]
		c := st.byID[id]
		row := rowHash(c)
		title := prev[id].Title
		if prev[id].Row != row || title == "" {
			title = pageTitle(c)
		}
		e := &indexEntry{id: id, title: title, row: row, path: st.pl.slugs[slug].Path, category: categoryOf(c), topic: c.Topic, reports: c.Size}
		st.entries[id] = e
		st.relatedByTopic[topicSlug(e.topic)] = append(st.relatedByTopic[topicSlug(e.topic)], e)
	}
	for _, es := range st.relatedByTopic {
		sortRelated(es)
	}
}

// allEntries returns the index entries in cluster order, each with the
// last evidence of its page.
func (st *site) allEntries() []*indexEntry {
	var all []*indexEntry
	for _, id := range st.liveIDs {
		e := st.entries[id]
		e.lastSeen = st.lastSeen[id]
		all = append(all, e)
	}
	return all
}

// related lists the other pages of a cluster's topic, at most maxRelated,
// for its "Related errors" section.
//
// Decision: the list ranks and labels by a size band, not by the live
// report count. Bands go 1, 2, 5, 10, 20, 50, 100, ... (sizeBand): a page
// lists its topic's pages in the highest band first, then by path, and
// shows the band ("100+ reports"), not the count. With live counts, one new
// report in a big cluster changed the list (and so the page) of every
// other cluster of its topic, and a run after new reports re-rendered
// nearly every page. With bands, a page changes only when a related page
// crosses a band, appears or disappears, so the work of an incremental
// render follows the change; readers still see the biggest related errors
// first and their order of magnitude. The index and topic pages, rendered
// on every run anyway, keep the exact counts.
func (st *site) related(id int64) []relatedPage {
	var out []relatedPage
	for _, r := range st.relatedByTopic[topicSlug(st.byID[id].Topic)] {
		if r.id != id && len(out) < maxRelated {
			out = append(out, relatedPage{title: r.title, path: r.path, reports: sizeBand(r.reports), band: true})
		}
	}
	return out
}

// sizeBand is the largest of 1, 2, 5, 10, 20, 50, 100, ... at most n (0
// for n < 1): a cluster stays in its band until it grows by at least
// twice or two and a half times.
func sizeBand(n int) int {
	if n < 1 {
		return 0
	}
	for b := 1; ; b *= 10 {
		switch {
		case n < 2*b:
			return b
		case n < 5*b:
			return 2 * b
		case n < 10*b:
			return 5 * b
		}
	}
}

// sortRelated orders a topic's entries for related lists: highest size
// band first, then by path.
func sortRelated(es []*indexEntry) {
	sort.Slice(es, func(i, j int) bool {
		if bi, bj := sizeBand(es[i].reports), sizeBand(es[j].reports); bi != bj {
			return bi > bj
		}
		return es[i].path < es[j].path
	})
}

// loaded is one batch of evidence.
type loaded struct {
	batch []int64
	evs   map[int64]*store.PageEvidence
	err   error
}

// loadBatches loads the evidence of ids in batches of opts.Batch on a
// goroutine, one batch ahead of the renderer; the channel is closed after
// the last batch or the first error. *took holds the time spent loading
// once the channel is closed.
func loadBatches(ctx context.Context, s *store.Store, opts Options, asOf time.Time, ids []int64, took *time.Duration) <-chan loaded {
	ch := make(chan loaded, 1)
	go func() {
		defer close(ch)
		for start := 0; start < len(ids); start += opts.Batch {
			b := ids[start:min(start+opts.Batch, len(ids))]
			t0 := time.Now()
			evs, err := s.PageEvidenceGet(ctx, store.PageEvidenceParams{ClusterIDs: b, AsOf: asOf,
				MaxSources: opts.MaxSources, MaxVariants: maxVariants, MaxComments: evidenceComments, BodyBytes: evidenceBodyBytes})
			*took += time.Since(t0)
			select {
			case ch <- loaded{b, evs, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// renderPages renders and writes the pages of ids: clusters are loaded in
// batches (the next batch loads while the current one renders) and
// rendered and written by one worker per CPU; the first error in cluster
// order is returned.
func renderPages(ctx context.Context, s *store.Store, w *writer, opts Options, st *site, ids []int64, records map[int64]pageRecord, res *Result) error {
	var loadTime time.Duration
	loadCtx, cancelLoad := context.WithCancel(ctx)
	defer cancelLoad()
	loadCh := loadBatches(loadCtx, s, opts, st.asOf, ids, &loadTime)
	type out struct {
		members []int64
		rec     pageRecord
		err     error
	}
	workers := runtime.GOMAXPROCS(0)
	for {
		t0 := time.Now()
		ld, ok := <-loadCh
		res.LoadWait += time.Since(t0)
		if !ok {
			break
		}
		if ld.err != nil {
			return ld.err
		}
		// Errors are kept per page, not returned to the group, so the
		// first in cluster order is reported and one failure does not
		// cancel the pages in hand.
		outs := make([]out, len(ld.batch))
		var g errgroup.Group
		g.SetLimit(workers)
		for i := range ld.batch {
			g.Go(func() error {
				if err := ctx.Err(); err != nil {
					// Stopped: finish the files in hand, start no more.
					outs[i].err = err
					return nil
				}
				outs[i].members, outs[i].rec, outs[i].err = renderPage(ctx, w, opts, st, ld.batch[i], ld.evs[ld.batch[i]])
				return nil
			})
		}
		_ = g.Wait() // every goroutine returns nil; errors are in outs
		for i, id := range ld.batch {
			if err := outs[i].err; err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			res.Pages++
			st.pl.setMembers(id, outs[i].members)
			rec := outs[i].rec
			rec.Hash = pageInputHash(st, id)
			rec.Row, rec.Title = st.entries[id].row, st.entries[id].title
			records[id] = rec
			st.lastSeen[id] = rec.Last
		}
	}
	res.LoadTime = loadTime // the loader has finished: loadCh is closed
	return nil
}

// renderPage renders and writes the page of cluster id (and its chart)
// from its evidence (nil: none) and returns the issues the page shows and
// its record for the next render (without its input hash).
func renderPage(ctx context.Context, w *writer, opts Options, st *site, id int64, ev *store.PageEvidence) ([]int64, pageRecord, error) {
	if ev == nil {
		ev = &store.PageEvidence{ClusterID: id}
	}
	c := st.byID[id]
	slug := st.pl.live[id]
	// The title once: the chart's name and drawing and the page use it.
	title := pageTitle(c)
	pd := &pageData{c: c, ev: ev, slug: slug, path: st.pl.slugs[slug].Path, aliases: st.pl.aliases[slug], asOf: st.asOf, related: st.related(id), title: title}
	rec := pageRecord{Last: ev.LastEvidence}
	if opts.LLM.Enabled() {
		var err error
		pd.proseEv = llm.PageEvidence(c, ev, 0, 0)
		if pd.prose, err = opts.LLM.PageProse(ctx, pd.proseEv); err != nil {
			return nil, rec, err
		}
		rec.Prose = pd.prose != nil
	}
	if opts.Chart != nil && ev.Reports >= chartMinReports {
		// The chart's name carries a hash of what it shows, so an
		// existing file is the right chart: reruns skip drawing it.
		name := fmt.Sprintf("%s-weekly-%s.svg", slug, chartKey(title, ev.Weekly, st.asOf))
		chart := path.Join(path.Dir(pd.path), name)
		if w.exists(chart) {
			pd.chartSVG, rec.Chart = chartRef(opts.Format, name), chart
			if err := w.keep(chart); err != nil {
				return nil, rec, err
			}
		} else if svg := opts.Chart(title, ev.Weekly, st.asOf); len(svg) > 0 {
			pd.chartSVG, rec.Chart = chartRef(opts.Format, name), chart
			if err := w.write(chart, svg); err != nil {
				return nil, rec, err
			}
		}
	}
	return ev.Members, rec, w.write(pageFile(opts.Format, pd.path), []byte(renderCluster(opts.Format, pd)))
}

// redirectPlan is what the slugs that are not live pages need: the path
// pairs that redirect (old path, new path), sorted by old path, and the
// tombstone pages to write.
type redirectPlan struct {
	redirects  int // slugs that redirect to another page
	forwards   [][2]string
	tombstones []tombstone
}

// tombstone is the short page of a gone cluster, at each of its paths.
type tombstone struct {
	paths []string
	title string
	dests []relatedPage
}

// planRedirects plans the redirects and tombstones of st's slugs.
func planRedirects(st *site) redirectPlan {
	var rp redirectPlan
	pl := st.pl
	for _, name := range sortedKeys(pl.slugs) {
		ps := pl.slugs[name]
		switch ps.State {
		case "redirect":
			rp.redirects++
			target := pl.slugs[ps.TargetSlug]
			for _, from := range append([]string{ps.Path}, ps.OldPaths...) {
				rp.forwards = append(rp.forwards, [2]string{from, target.Path})
			}
		case "tombstone":
			tb := tombstone{paths: append([]string{ps.Path}, ps.OldPaths...), title: "Former error page " + ps.Slug}
			for _, d := range destinations(st.in, ps.ClusterID, ps.Members) {
				id, err := strconv.ParseInt(d.name, 10, 64)
				if slug, ok := pl.live[id]; ok && err == nil {
					tb.dests = append(tb.dests, relatedPage{title: st.entries[id].title, path: pl.slugs[slug].Path, reports: d.count})
				}
			}
			if c := st.byID[ps.ClusterID]; c != nil {
				tb.title = pageTitle(c)
			}
			rp.tombstones = append(rp.tombstones, tb)
		case "live":
			for _, old := range ps.OldPaths {
				rp.forwards = append(rp.forwards, [2]string{old, ps.Path})
			}
		}
	}
	sort.Slice(rp.forwards, func(i, j int) bool { return rp.forwards[i][0] < rp.forwards[j][0] })
	return rp
}

// writeRedirects writes the tombstone pages and, by format, the redirect
// map (mkdocs) or forwarding pages (plain); Hugo pages carry their
// aliases themselves.
func writeRedirects(w *writer, f Format, st *site, res *Result) error {
	rp := planRedirects(st)
	res.Redirects += rp.redirects
	for _, tb := range rp.tombstones {
		res.Tombstones++
		for _, p := range tb.paths {
			if err := w.write(pageFile(f, p), []byte(renderTombstone(f, p, tb.title, tb.dests))); err != nil {
				return err
			}
		}
	}
	switch f {
	case MkDocs:
		if len(rp.forwards) > 0 {
			if err := w.write("redirects.yml", []byte(renderMkDocsRedirects(rp.forwards))); err != nil {
				return err
			}
		}
	case Plain:
		for _, r := range rp.forwards {
			if err := w.write(pageFile(f, r[0]), []byte(renderForward(f, r[0], r[1], titleOfPath(st.entries, r[1])))); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeTrendsPage writes trends.md, from opts.Trends when the caller
// computed the report already.
func writeTrendsPage(ctx context.Context, s *store.Store, w *writer, opts Options, st *site) error {
	paths := map[string]string{}
	titles := map[int64]string{}
	for id, slug := range st.pl.live {
		paths[slug] = st.pl.slugs[slug].Path
		titles[id] = st.entries[id].title
	}
	rep := opts.Trends
	if !usableTrends(rep, st.asOf) {
		var err error
		if rep, err = TrendsReport(ctx, s, st.asOf); err != nil {
			return err
		}
	}
	return w.write("trends.md", []byte(trendsPage(opts.Format, rep, st.pl.live, paths, titles)))
}

func titleOfPath(entries map[int64]*indexEntry, p string) string {
	for _, e := range entries {
		if e.path == p {
			return e.title
		}
	}
	return p
}

// pageFile is the file of a page path for the format.
func pageFile(f Format, p string) string { return p + ".md" }

// chartRef is how a page refers to an image next to it. Hugo serves a
// page at /category/slug/, one level below its file, so its images are one
// level up.
func chartRef(f Format, name string) string {
	if f == Hugo {
		return "../" + name
	}
	return name
}

type indexEntry struct {
	id       int64
	title    string
	row      string // rowHash of the cluster
	path     string
	category string
	topic    string
	reports  int
	lastSeen time.Time
}

func sortEntries(es []*indexEntry) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].reports != es[j].reports {
			return es[i].reports > es[j].reports
		}
		return es[i].path < es[j].path
	})
}

func indexName(f Format, dir string) string {
	name := "index"
	if f == Hugo {
		name = "_index"
	}
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func frontMatter(f Format, title, desc string) string {
	if f == Plain {
		return "# " + inline(title) + "\n\n"
	}
	return "---\ntitle: " + yamlString(title) + "\ndescription: " + yamlString(desc) + "\n---\n\n"
}

func entryTable(f Format, from string, es []*indexEntry) string {
	var b strings.Builder
	b.WriteString("| Error | Reports | Last active |\n| --- | ---: | --- |\n")
	for _, e := range es {
		last := "—"
		if !e.lastSeen.IsZero() {
			last = day(e.lastSeen)
		}
		fmt.Fprintf(&b, "| %s | %d | %s |\n", ilink(truncate(e.title, 100), relURL(f, from, e.path)), e.reports, last)
	}
	return strings.TrimRight(b.String(), "\n")
}

// writeIndexes writes the top-level index, one per category and one per
// topic, and returns how many.
func writeIndexes(w *writer, f Format, all []*indexEntry, withTrends bool) (int, error) {
	n := 0
	cats := map[string][]*indexEntry{}
	catName := map[string]string{}
	topics := map[string][]*indexEntry{}
	topicName := map[string]string{}
	for _, e := range all {
		d := categoryDir(e.category)
		cats[d] = append(cats[d], e)
		if catName[d] == "" || oneLine(e.category) < catName[d] {
			catName[d] = oneLine(e.category)
		}
		t := topicSlug(e.topic)
		topics[t] = append(topics[t], e)
		if topicName[t] == "" || oneLine(e.topic) < topicName[t] {
			topicName[t] = oneLine(e.topic)
		}
	}
	total := 0
	for _, e := range all {
		total += e.reports
	}
	// Top-level index.
	top := indexName(f, "")
	var b strings.Builder
	b.WriteString(frontMatter(f, "Error troubleshooting guides", "Troubleshooting pages for the errors people report, built from the evidence in their issues."))
	fmt.Fprintf(&b, "These %s cover %s. Each page quotes its sources.\n\n", plural(len(all), "page", "pages"), plural(total, "report", "reports"))
	if len(all) == 0 {
		b.WriteString("No error cluster has enough reports for a page yet.\n")
	}
	if len(cats) > 0 {
		b.WriteString("## Categories\n\n")
		for _, d := range sortedKeys(cats) {
			name := catName[d]
			if name == "" {
				name = "Uncategorized"
			}
			fmt.Fprintf(&b, "- %s (%s)\n", ilink(name, relURL(f, top, indexName(f, d))), plural(len(cats[d]), "page", "pages"))
		}
		b.WriteString("\n")
	}
	if len(topics) > 0 {
		b.WriteString("## Topics\n\n")
		for _, t := range sortedKeys(topics) {
			name := topicName[t]
			if name == "" {
				name = "Other"
			}
			fmt.Fprintf(&b, "- %s (%s)\n", ilink(name, relURL(f, top, "topics/"+t)), plural(len(topics[t]), "page", "pages"))
		}
		b.WriteString("\n")
	}
	if withTrends {
		fmt.Fprintf(&b, "See also the %s.\n\n", ilink("trends of the last weeks", relURL(f, top, "trends")))
	}
	if len(all) > 0 {
		es := append([]*indexEntry(nil), all...)
		sortEntries(es)
		if len(es) > 20 {
			es = es[:20]
		}
		b.WriteString("## Most reported errors\n\n")
		b.WriteString(entryTable(f, top, es) + "\n")
	}
	if err := w.write(top+".md", []byte(strings.TrimRight(b.String(), "\n")+"\n")); err != nil {
		return n, err
	}
	n++
	for _, d := range sortedKeys(cats) {
		es := cats[d]
		sortEntries(es)
		name := catName[d]
		if name == "" {
			name = "Uncategorized"
		}
		p := indexName(f, d)
		var b strings.Builder
		b.WriteString(frontMatter(f, name+" errors", fmt.Sprintf("Troubleshooting pages for %s errors.", name)))
		fmt.Fprintf(&b, "%s in this category, most reported first.\n\n", plural(len(es), "error page", "error pages"))
		b.WriteString(entryTable(f, p, es) + "\n")
		if err := w.write(p+".md", []byte(b.String())); err != nil {
			return n, err
		}
		n++
	}
	if len(topics) > 0 {
		p := indexName(f, "topics")
		var b strings.Builder
		b.WriteString(frontMatter(f, "Topics", "Error pages grouped by topic."))
		for _, t := range sortedKeys(topics) {
			name := topicName[t]
			if name == "" {
				name = "Other"
			}
			fmt.Fprintf(&b, "- %s (%s)\n", ilink(name, relURL(f, p, "topics/"+t)), plural(len(topics[t]), "page", "pages"))
		}
		if err := w.write(p+".md", []byte(b.String())); err != nil {
			return n, err
		}
		n++
	}
	for _, t := range sortedKeys(topics) {
		es := topics[t]
		sortEntries(es)
		name := topicName[t]
		if name == "" {
			name = "Other"
		}
		p := "topics/" + t
		var b strings.Builder
		b.WriteString(frontMatter(f, "Topic: "+name, fmt.Sprintf("Error pages about %s.", name)))
		fmt.Fprintf(&b, "%s about this topic, most reported first.\n\n", plural(len(es), "error page", "error pages"))
		b.WriteString(entryTable(f, p, es) + "\n")
		if err := w.write(p+".md", []byte(b.String())); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func renderTombstone(f Format, from, title string, dests []relatedPage) string {
	var b strings.Builder
	b.WriteString(frontMatter(f, "Moved: "+title, "The reports of this former error page are now grouped elsewhere."))
	b.WriteString("The reports this page collected are now grouped elsewhere.\n\n")
	if len(dests) == 0 {
		fmt.Fprintf(&b, "None of them is grouped with enough other reports for a page now; see the %s.\n", ilink("index of error pages", relURL(f, from, indexName(f, ""))))
		return b.String()
	}
	for _, d := range dests {
		fmt.Fprintf(&b, "- %s (%s from here)\n", ilink(d.title, relURL(f, from, d.path)), plural(d.reports, "report", "reports"))
	}
	return b.String()
}

func renderForward(f Format, from, to, title string) string {
	var b strings.Builder
	b.WriteString(frontMatter(f, "Moved: "+title, "This page has moved."))
	fmt.Fprintf(&b, "This page has moved to %s.\n", ilink(title, relURL(f, from, to)))
	return b.String()
}

func renderMkDocsRedirects(m [][2]string) string {
	var b strings.Builder
	b.WriteString("# Written by errata pages: the old paths of merged and moved error pages.\n")
	b.WriteString("# Copy redirect_maps under the redirects plugin in mkdocs.yml\n")
	b.WriteString("# (plugins: - redirects: redirect_maps: ...).\n")
	b.WriteString("redirect_maps:\n")
	for _, r := range m {
		fmt.Fprintf(&b, "  %s: %s\n", yamlString(r[0]+".md"), yamlString(r[1]+".md"))
	}
	return b.String()
}

// writer writes files under a root, only when their bytes change, never
// outside the root: a new file is created in place, an existing one is
// replaced through a temporary file and a rename. It is safe
// for concurrent use: pages are written by the goroutines that render
// them.
type writer struct {
	root     string
	realRoot string

	mu        sync.Mutex
	wrote     map[string]bool
	dirs      map[string]bool // directories checked to be inside the root; true: created by this run
	written   int
	unchanged int
}

func newWriter(root string) (*writer, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("pages: output directory: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("pages: create output directory: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("pages: output directory: %w", err)
	}
	return &writer{root: abs, realRoot: real, wrote: map[string]bool{}, dirs: map[string]bool{}}, nil
}

// target checks a relative slash path and returns its absolute file name,
// and whether its directory was created by this run (so the file cannot
// exist yet). A directory is created and checked (no symbolic link leads
// it outside the root) once per run.
func (w *writer) target(rel string) (string, bool, error) {
	clean := path.Clean(rel)
	if rel == "" || path.IsAbs(rel) || clean != rel || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(rel, "\\") {
		return "", false, fmt.Errorf("pages: refusing to write %q outside the output directory", rel)
	}
	for _, seg := range strings.Split(clean, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") && seg != manifestName {
			return "", false, fmt.Errorf("pages: refusing to write %q: bad path segment", rel)
		}
	}
	full := filepath.Join(w.root, filepath.FromSlash(clean))
	dir := filepath.Dir(full)
	w.mu.Lock()
	created, checked := w.dirs[dir]
	w.mu.Unlock()
	if !checked {
		_, err := os.Lstat(dir)
		created = errors.Is(err, fs.ErrNotExist)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", false, fmt.Errorf("pages: create %s: %w", dir, err)
		}
		realDir, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return "", false, fmt.Errorf("pages: %w", err)
		}
		if r, err := filepath.Rel(w.realRoot, realDir); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return "", false, fmt.Errorf("pages: refusing to write %q: its directory leads outside the output directory", rel)
		}
		w.mu.Lock()
		w.dirs[dir] = created
		w.mu.Unlock()
	}
	return full, created, nil
}

// exists reports whether rel is a regular file under the root.
func (w *writer) exists(rel string) bool {
	if path.Clean(rel) != rel || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return false
	}
	fi, err := os.Lstat(filepath.Join(w.root, filepath.FromSlash(rel)))
	return err == nil && fi.Mode().IsRegular()
}

// claim records rel as written by this run; a second claim is an error.
func (w *writer) claim(rel string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wrote[rel] {
		return fmt.Errorf("pages: %s written twice", rel)
	}
	w.wrote[rel] = true
	return nil
}

func (w *writer) count(written bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if written {
		w.written++
	} else {
		w.unchanged++
	}
}

// keep records an existing file as written by this run, unchanged.
func (w *writer) keep(rel string) error {
	if _, _, err := w.target(rel); err != nil {
		return err
	}
	if err := w.claim(rel); err != nil {
		return err
	}
	w.count(false)
	return nil
}

func (w *writer) write(rel string, data []byte) error {
	full, fresh, err := w.target(rel)
	if err != nil {
		return err
	}
	if err := w.claim(rel); err != nil {
		return err
	}
	var fi fs.FileInfo
	if fresh {
		err = fs.ErrNotExist // a directory this run created holds only what it wrote
	} else {
		fi, err = os.Lstat(full)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A new file is created in place: there is nothing a reader could
		// see half-replaced, and it costs half the file-system work of a
		// temporary file and a rename (most of a first run's system time).
		// A crash can leave it short; the next run finds it differs and
		// replaces it.
		err := createFile(full, data)
		if errors.Is(err, fs.ErrExist) {
			err = atomicWrite(full, data) // created meanwhile by someone else
		}
		if err != nil {
			return err
		}
		w.count(true)
		return nil
	case err == nil && fi.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("pages: refusing to write %q: it is a symbolic link", rel)
	case err == nil && fi.Mode().IsRegular() && fi.Size() == int64(len(data)):
		if old, err := os.ReadFile(full); err == nil && string(old) == string(data) {
			w.count(false)
			return nil
		}
	}
	if err := atomicWrite(full, data); err != nil {
		return err
	}
	w.count(true)
	return nil
}

// createFile creates full, which must not exist, with data.
func createFile(full string, data []byte) error {
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("pages: write %s: %w", full, err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(0o644) // whatever the umask, pages are for publishing
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(full)
		return writeError(full, werr)
	}
	return nil
}

// writeError names the page once: the *PathError of a failed write
// already holds a path (the page's, or its temporary file's).
func writeError(full string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("pages: write %s: %w", full, err)
}

// atomicWrite replaces full with data through a temporary file and a
// rename (package atomicfile).
func atomicWrite(full string, data []byte) error {
	if err := atomicfile.Write(full, data, 0o644); err != nil {
		return fmt.Errorf("pages: %w", err)
	}
	return nil
}

func (w *writer) files() []string {
	return sortedKeys(w.wrote)
}

// finish removes the files the previous run wrote and this one did not,
// then records this run's files.
func (w *writer) finish() (int, error) {
	removed := 0
	old, err := os.ReadFile(filepath.Join(w.root, manifestName))
	if err == nil {
		for _, rel := range strings.Split(string(old), "\n") {
			rel = strings.TrimSpace(rel)
			if rel == "" || strings.HasPrefix(rel, "#") || w.wrote[rel] {
				continue
			}
			full, _, err := w.target(rel)
			if err != nil {
				continue // never follow a tampered manifest outside the root
			}
			if err := os.Remove(full); err == nil {
				removed++
			}
		}
	}
	var b strings.Builder
	b.WriteString("# Files written by errata pages; errata removes those it no longer writes.\n")
	for _, f := range w.files() {
		b.WriteString(f + "\n")
	}
	full := filepath.Join(w.root, manifestName)
	if old, err := os.ReadFile(full); err == nil && string(old) == b.String() {
		return removed, nil
	}
	return removed, atomicWrite(full, []byte(b.String()))
}
