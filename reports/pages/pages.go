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

	"github.com/errata-tool/errata/llm"
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
	Logger   *slog.Logger
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
	Pages      int // cluster pages
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
func Generate(ctx context.Context, s *store.Store, opts Options) (Result, error) {
	var res Result
	if opts.Out == "" {
		return res, fmt.Errorf("pages: no output directory")
	}
	switch opts.Format {
	case "":
		opts.Format = Hugo
	case Hugo, MkDocs, Plain:
	default:
		return res, fmt.Errorf("pages: unknown format %q (want hugo, mkdocs or plain)", opts.Format)
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
	w, err := newWriter(opts.Out)
	if err != nil {
		return res, err
	}

	clusters, err := s.PageClusterList(ctx)
	if err != nil {
		return res, err
	}
	byID := map[int64]*store.PageCluster{}
	active := map[int64]bool{}
	var publish []int64
	for i := range clusters {
		c := &clusters[i]
		byID[c.ID] = c
		if c.Status == "active" && c.Size > 0 {
			active[c.ID] = true
			if c.Size >= opts.MinSize {
				publish = append(publish, c.ID)
			}
		}
	}
	published, err := s.PageSlugList(ctx)
	if err != nil {
		return res, err
	}
	redirects, err := s.PageRedirectList(ctx)
	if err != nil {
		return res, err
	}
	var orphanMembers []int64
	for _, p := range published {
		if !(p.State == "live" && active[p.ClusterID]) {
			orphanMembers = append(orphanMembers, p.Members...)
		}
	}
	now, err := s.PageIssueClusters(ctx, orphanMembers)
	if err != nil {
		return res, err
	}
	pl := makePlan(planInput{clusters: byID, publish: publish, active: active, published: published, redirects: redirects, now: now})
	asOf, err := s.PageAsOf(ctx)
	if err != nil {
		return res, err
	}

	// Pages, in batches of clusters.
	var liveIDs []int64
	for id := range pl.live {
		liveIDs = append(liveIDs, id)
	}
	sort.Slice(liveIDs, func(i, j int) bool { return liveIDs[i] < liveIDs[j] })
	entries := map[int64]*indexEntry{}
	for _, id := range liveIDs {
		slug := pl.live[id]
		c := byID[id]
		entries[id] = &indexEntry{id: id, title: pageTitle(c), path: pl.slugs[slug].Path, category: categoryOf(c), topic: c.Topic, reports: c.Size}
	}
	byTopic := map[string][]*indexEntry{}
	for _, id := range liveIDs {
		e := entries[id]
		byTopic[topicSlug(e.topic)] = append(byTopic[topicSlug(e.topic)], e)
	}
	for _, es := range byTopic {
		sortEntries(es)
	}
	// Pages: clusters are loaded in batches (the next batch loads while
	// the current one renders) and rendered and written by one worker per
	// CPU; the first error in cluster order is returned.
	type loaded struct {
		batch []int64
		evs   map[int64]*store.PageEvidence
		err   error
	}
	var batches [][]int64
	for start := 0; start < len(liveIDs); start += opts.Batch {
		batches = append(batches, liveIDs[start:min(start+opts.Batch, len(liveIDs))])
	}
	loadCh := make(chan loaded, 1)
	var loadTime time.Duration
	loadCtx, cancelLoad := context.WithCancel(ctx)
	defer cancelLoad()
	go func() {
		defer close(loadCh)
		for _, b := range batches {
			t0 := time.Now()
			evs, err := s.PageEvidenceGet(loadCtx, store.PageEvidenceParams{ClusterIDs: b, AsOf: asOf,
				MaxSources: opts.MaxSources, MaxVariants: maxVariants, MaxComments: evidenceComments, BodyBytes: evidenceBodyBytes})
			loadTime += time.Since(t0)
			select {
			case loadCh <- loaded{b, evs, err}:
			case <-loadCtx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	type out struct {
		chart     string
		chartSV   []byte
		keepChart bool
		members   []int64
		err       error
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
			return res, ld.err
		}
		outs := make([]out, len(ld.batch))
		var wg sync.WaitGroup
		next := make(chan int)
		for k := 0; k < workers; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					id := ld.batch[i]
					o := &outs[i]
					if err := ctx.Err(); err != nil {
						// Stopped: finish the files in hand, start no more.
						o.err = err
						continue
					}
					ev := ld.evs[id]
					if ev == nil {
						ev = &store.PageEvidence{ClusterID: id}
					}
					c := byID[id]
					slug := pl.live[id]
					pd := &pageData{c: c, ev: ev, slug: slug, path: pl.slugs[slug].Path, aliases: pl.aliases[slug], asOf: asOf}
					if opts.LLM.Enabled() {
						var err error
						pd.proseEv = llm.PageEvidence(c, ev, 0, 0)
						if pd.prose, err = opts.LLM.PageProse(ctx, pd.proseEv); err != nil {
							o.err = err
							continue
						}
					}
					for _, r := range byTopic[topicSlug(c.Topic)] {
						if r.id != id && len(pd.related) < maxRelated {
							pd.related = append(pd.related, relatedPage{title: r.title, path: r.path, reports: r.reports})
						}
					}
					if opts.Chart != nil && ev.Reports >= chartMinReports {
						// The chart's name carries a hash of what it shows, so
						// an existing file is the right chart: reruns skip
						// drawing it.
						name := fmt.Sprintf("%s-weekly-%s.svg", slug, chartKey(pageTitle(c), ev.Weekly, asOf))
						o.chart = path.Join(path.Dir(pd.path), name)
						if w.exists(o.chart) {
							o.keepChart = true
							pd.chartSVG = chartRef(opts.Format, name)
						} else if svg := opts.Chart(pageTitle(c), ev.Weekly, asOf); len(svg) > 0 {
							o.chartSV = svg
							pd.chartSVG = chartRef(opts.Format, name)
						} else {
							o.chart = ""
						}
					}
					o.members = ev.Members
					if o.chart != "" {
						if o.keepChart {
							o.err = w.keep(o.chart)
						} else {
							o.err = w.write(o.chart, o.chartSV)
						}
						if o.err != nil {
							continue
						}
					}
					o.err = w.write(pageFile(opts.Format, pd.path), []byte(renderCluster(opts.Format, pd)))
				}
			}()
		}
		for i := range ld.batch {
			next <- i
		}
		close(next)
		wg.Wait()
		for i, id := range ld.batch {
			o := &outs[i]
			if o.err != nil {
				return res, o.err
			}
			if err := ctx.Err(); err != nil {
				return res, err
			}
			if ev := ld.evs[id]; ev != nil {
				entries[id].lastSeen = ev.LastEvidence
			}
			res.Pages++
			pl.setMembers(id, o.members)
		}
	}

	res.LoadTime = loadTime // the loader has finished: loadCh is closed

	// Redirects and tombstones.
	var redirectMap [][2]string
	for _, name := range sortedKeys(pl.slugs) {
		ps := pl.slugs[name]
		switch ps.State {
		case "redirect":
			res.Redirects++
			target := pl.slugs[ps.TargetSlug]
			for _, from := range append([]string{ps.Path}, ps.OldPaths...) {
				redirectMap = append(redirectMap, [2]string{from, target.Path})
			}
		case "tombstone":
			res.Tombstones++
			var dests []relatedPage
			for _, d := range destinations(planInput{clusters: byID, active: active, redirects: redirects, now: now}, ps.ClusterID, ps.Members) {
				id, err := strconv.ParseInt(d.name, 10, 64)
				if slug, ok := pl.live[id]; ok && err == nil {
					dests = append(dests, relatedPage{title: entries[id].title, path: pl.slugs[slug].Path, reports: d.count})
				}
			}
			title := "Former error page " + ps.Slug
			if c := byID[ps.ClusterID]; c != nil {
				title = pageTitle(c)
			}
			for _, p := range append([]string{ps.Path}, ps.OldPaths...) {
				if err := w.write(pageFile(opts.Format, p), []byte(renderTombstone(opts.Format, p, title, dests))); err != nil {
					return res, err
				}
			}
		case "live":
			for _, old := range ps.OldPaths {
				redirectMap = append(redirectMap, [2]string{old, ps.Path})
			}
		}
	}
	sort.Slice(redirectMap, func(i, j int) bool { return redirectMap[i][0] < redirectMap[j][0] })
	switch opts.Format {
	case MkDocs:
		if len(redirectMap) > 0 {
			if err := w.write("redirects.yml", []byte(renderMkDocsRedirects(redirectMap))); err != nil {
				return res, err
			}
		}
	case Plain:
		for _, r := range redirectMap {
			if err := w.write(pageFile(opts.Format, r[0]), []byte(renderForward(opts.Format, r[0], r[1], titleOfPath(entries, r[1])))); err != nil {
				return res, err
			}
		}
	}

	// Index pages.
	var all []*indexEntry
	for _, id := range liveIDs {
		all = append(all, entries[id])
	}
	n, err := writeIndexes(w, opts.Format, all, !opts.NoTrends)
	if err != nil {
		return res, err
	}
	res.Indexes = n
	if !opts.NoTrends {
		paths := map[string]string{}
		titles := map[int64]string{}
		for id, slug := range pl.live {
			paths[slug] = pl.slugs[slug].Path
			titles[id] = entries[id].title
		}
		page, err := trendsPage(ctx, s, opts.Format, asOf, pl.live, paths, titles)
		if err != nil {
			return res, err
		}
		if err := w.write("trends.md", []byte(page)); err != nil {
			return res, err
		}
		res.Indexes++
	}

	if err := s.PageSlugSave(ctx, pl.changedSlugs()); err != nil {
		return res, err
	}
	removed, err := w.finish()
	if err != nil {
		return res, err
	}
	res.Removed = removed
	res.Written, res.Unchanged = w.written, w.unchanged
	res.Files = w.files()
	return res, nil
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

func atomicWrite(full string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(full), ".errata-tmp-*")
	if err != nil {
		return fmt.Errorf("pages: write %s: %w", full, err)
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		// CreateTemp makes the file 0600; pages are for publishing.
		werr = tmp.Chmod(0o644)
	}
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), full)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return writeError(full, werr)
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
