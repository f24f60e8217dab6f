package pages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/errata-tool/errata/store"
)

// Incremental rendering.
//
// A cluster page is a function of its cluster's row (title, labels, size),
// its slug, path and aliases, the related pages of its topic, its evidence
// (members, their issues, comments and signatures), the as-of time and the
// render settings. Generate renders a page again only when one of these
// may have changed since the last render of the same output directory:
//
//   - the evidence: triggers (migration 0015) record the clusters whose
//     members, member issues, comments, signature variants, merges or
//     redirects changed, with the writing transaction (store.PageDirtySince);
//   - the row, slug, path, aliases and related pages: a hash of them per
//     page (pageInputHash), compared with the last render's. The related
//     pages show size bands, not counts (site.related), so a new report
//     changes another page's hash only when its cluster crosses a band;
//   - the as-of time: a new day changes the evidence note of every page,
//     so it renders everything; a later time on the same day moves only the
//     30-day trend counts, of the clusters with a member created in the
//     slices of time the windows moved over (store.PageWindowClusters);
//     charts depend on the as-of week only (chartKey);
//   - the settings: a fingerprint of the options that shape the output and
//     of errata's build (settingsFingerprint); a change renders everything.
//
// A page whose file (or chart) is missing from the directory is rendered
// too. Redirects, tombstones, indexes and the trends page are always
// rendered (they are cheap), and the pages not rendered are kept as they
// are. Options.Full renders everything; the result is byte-identical
// either way (TestIncrementalMatchesFull).

// renderVersion changes when the page output changes without a change of
// errata's build information (say, a development build): every directory
// is then rendered in full once.
const renderVersion = "2"

// pageRecord is what the last render of a directory remembers of one page.
type pageRecord struct {
	Hash  string    `json:"h"`           // pageInputHash
	Last  time.Time `json:"l"`           // the page's last evidence, for the indexes
	Chart string    `json:"c,omitempty"` // its chart file, "" for none
	Prose bool      `json:"p,omitempty"` // it has model prose
	// Row is rowHash of its cluster and Title its title then: the next
	// render takes the title from here while the row is the same.
	Row   string `json:"r,omitempty"`
	Title string `json:"t,omitempty"`
}

// rowHash hashes a cluster's row, all that pageTitle reads.
func rowHash(c *store.PageCluster) string {
	h := sha256.New()
	fmt.Fprintf(h, "%#v", *c)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// renderState is what this render reuses from the last one.
type renderState struct {
	full    bool
	reason  string               // why everything is rendered
	dirty   map[int64]bool       // clusters whose evidence may have changed
	prev    map[int64]pageRecord // the last render's pages
	snap    string               // taken before this render read anything
	setting string
	records map[int64]pageRecord // this render's pages
}

// settingsFingerprint hashes what shapes every page besides the database:
// the options, the renderer's version and errata's build. A custom
// Options.Chart cannot be hashed: a change of it needs Options.Full.
func settingsFingerprint(opts Options) string {
	h := sha256.New()
	fmt.Fprintf(h, "pages v%s\x00format=%s\x00min=%d\x00sources=%d\x00charts=%t\x00trends=%t\x00llm=%t",
		renderVersion, opts.Format, opts.MinSize, opts.MaxSources, opts.Chart != nil, !opts.NoTrends, opts.LLM.Enabled())
	if opts.LLM.Enabled() {
		fmt.Fprintf(h, "\x00model=%s", opts.LLM.Model())
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(h, "\x00%s@%s", bi.Main.Path, bi.Main.Version)
		modified := bi.Main.Version == "" || bi.Main.Version == "(devel)"
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				fmt.Fprintf(h, "\x00%s=%s", s.Key, s.Value)
			}
			if s.Key == "vcs.modified" && s.Value == "true" {
				modified = true
			}
		}
		if modified {
			// A development build from edited sources carries the same
			// version and revision as the build before the edit: its
			// executable tells them apart.
			fmt.Fprintf(h, "\x00exe=%s", executableHash())
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// executableHash hashes the running program's file, once per process; ""
// when it cannot be read (then a rebuild is seen only by its version).
var executableHash = sync.OnceValue(func() string {
	path, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
})

// pageInputHash hashes what a page shows besides its evidence, the as-of
// time and the settings.
func pageInputHash(st *site, id int64) string {
	h := sha256.New()
	c := st.byID[id]
	slug := st.pl.live[id]
	fmt.Fprintf(h, "%#v\x00%s\x00%s\x00%q\x00%#v", *c, slug, st.pl.slugs[slug].Path, st.pl.aliases[slug], st.related(id))
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// loadRenderState decides what this render of w's directory reuses. snap
// was taken before st was loaded.
func loadRenderState(ctx context.Context, s *store.Store, w *writer, opts Options, st *site, snap string) (*renderState, error) {
	rs := &renderState{snap: snap, setting: settingsFingerprint(opts), records: map[int64]pageRecord{}}
	last, ok, err := s.PageRenderGet(ctx, w.realRoot)
	switch {
	case err != nil:
		return nil, err
	case opts.Full:
		rs.full, rs.reason = true, "--full"
	case !ok:
		rs.full, rs.reason = true, "no earlier render of this directory"
	case last.Settings != rs.setting:
		rs.full, rs.reason = true, "the render settings or errata's version changed"
	case day(last.AsOf) != day(st.asOf) || st.asOf.Before(last.AsOf):
		rs.full, rs.reason = true, "the as-of day changed"
	}
	if rs.full {
		return rs, nil
	}
	if err := json.Unmarshal(last.Pages, &rs.prev); err != nil {
		rs.full, rs.reason = true, "the record of the last render is unreadable"
		return rs, nil
	}
	dirty, err := s.PageDirtySince(ctx, last.Snapshot)
	if err != nil {
		return nil, err
	}
	if !st.asOf.Equal(last.AsOf) {
		const month = 30 * 24 * time.Hour
		moved, err := s.PageWindowClusters(ctx, last.AsOf.Add(-month), st.asOf.Add(-month), last.AsOf.Add(-2*month), st.asOf.Add(-2*month))
		if err != nil {
			return nil, err
		}
		dirty = append(dirty, moved...)
	}
	rs.dirty = map[int64]bool{}
	for _, id := range dirty {
		if id == 0 {
			rs.full, rs.reason = true, "every page was marked changed"
			return rs, nil
		}
		rs.dirty[id] = true
	}
	return rs, nil
}

// split returns the live pages to render, ascending, and records the
// others as kept.
func (rs *renderState) split(w *writer, opts Options, st *site) []int64 {
	if rs.full {
		return st.liveIDs
	}
	var render []int64
	for _, id := range st.liveIDs {
		rec, ok := rs.prev[id]
		slug := st.pl.live[id]
		switch {
		case !ok, rs.dirty[id], rec.Hash != pageInputHash(st, id),
			opts.LLM.Enabled() && !rec.Prose,
			!w.exists(pageFile(opts.Format, st.pl.slugs[slug].Path)),
			rec.Chart != "" && !w.exists(rec.Chart):
			render = append(render, id)
		default:
			rs.records[id] = rec
		}
	}
	sort.Slice(render, func(i, j int) bool { return render[i] < render[j] })
	return render
}

// keep claims the files of the pages not rendered, so they stay, and puts
// their last evidence in the indexes.
func (rs *renderState) keep(w *writer, opts Options, st *site, res *Result) error {
	for _, id := range st.liveIDs {
		rec, ok := rs.records[id]
		if !ok {
			continue
		}
		if err := w.keep(pageFile(opts.Format, st.pl.slugs[st.pl.live[id]].Path)); err != nil {
			return err
		}
		if rec.Chart != "" {
			if err := w.keep(rec.Chart); err != nil {
				return err
			}
		}
		st.lastSeen[id] = rec.Last
		rec.Row, rec.Title = st.entries[id].row, st.entries[id].title
		rs.records[id] = rec
		res.Pages++
	}
	return nil
}

// save records this render of w's directory.
func (rs *renderState) save(ctx context.Context, s *store.Store, w *writer, st *site) error {
	b, err := json.Marshal(rs.records)
	if err != nil {
		return fmt.Errorf("pages: record render: %w", err)
	}
	return s.PageRenderSave(ctx, w.realRoot, store.PageRender{Settings: rs.setting, AsOf: st.asOf, Snapshot: rs.snap, Pages: b})
}
