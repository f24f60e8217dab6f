package pages

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/errata-tool/errata/store"
)

// Stable URLs.
//
// A page's URL is its path, "category/slug". The slug is chosen once, when
// the page is first written, from the cluster's slug (made safe), and never
// changes. Every path a slug was ever published at is remembered
// (page_paths), and every slug stays in page_slugs forever, in one of three
// states:
//
//   - live: the page of an active cluster. Once published, a cluster keeps
//     its page even if it later falls below --min-size. If its category
//     changes, the page moves to the new category and the old path becomes
//     an alias.
//   - redirect: the cluster is gone and most of its reports are now in one
//     cluster that has a page. The slug's paths become aliases of that page
//     (Hugo aliases, mkdocs-redirects redirect_maps, or a short forwarding
//     page in plain Markdown).
//   - tombstone: the cluster is gone and its reports went to several
//     clusters, or to none. A short page lists where they went.
//
// Where a gone cluster's reports went comes first from classify's own
// record (clusters.merged_into, cluster_redirects), then from the members
// the page showed when it was last live (page_slugs.members) and the
// clusters those issues belong to now. If the cluster that received most of
// them has no page yet, it inherits the gone cluster's slug and path, so a
// re-clustering that renumbers clusters keeps every URL.

// reserved are top-level names errata uses itself or that a site generator
// owns; a category with such a name gets "-errors" appended.
var reserved = map[string]bool{
	"topics": true, "tags": true, "categories": true, "index": true, "trends": true,
	"redirects": true, "assets": true, "static": true, "page": true, "search": true,
}

const (
	slugMax         = 80
	defaultCategory = "uncategorized"
)

// categoryDir is the directory of a category.
func categoryDir(category string) string {
	d := slugify(category, 40)
	if d == "" {
		d = defaultCategory
	}
	if reserved[d] {
		d += "-errors"
	}
	return d
}

// categoryOf is the category a cluster's page is filed under: its
// category, else its topic, else "uncategorized".
func categoryOf(c *store.PageCluster) string {
	if strings.TrimSpace(c.Category) != "" {
		return c.Category
	}
	return c.Topic
}

// topicSlug is the file name of a topic's index page.
func topicSlug(topic string) string {
	s := slugify(topic, 60)
	if s == "" {
		s = "other"
	}
	return s
}

// planned is the plan for one slug.
type planned struct {
	store.PageSlug
	changed bool // to be saved
}

// plan decides the state of every slug for this run. live maps an active
// cluster id to its slug. now maps an issue to its active cluster, for the
// members of slugs whose cluster is gone. It never deletes a slug.
type plan struct {
	slugs   map[string]*planned
	live    map[int64]string // cluster id -> slug
	aliases map[string][]string
}

// planInput is what plan reads.
type planInput struct {
	clusters  map[int64]*store.PageCluster // all clusters by id
	publish   []int64                      // active clusters at or above min size, by id
	active    map[int64]bool               // active clusters with members
	published []store.PageSlug
	redirects []store.PageRedirect
	now       map[int64]int64 // issue -> active cluster, for members of gone slugs
}

func makePlan(in planInput) *plan {
	p := &plan{slugs: map[string]*planned{}, live: map[int64]string{}, aliases: map[string][]string{}}
	for _, s := range in.published {
		ps := &planned{PageSlug: s}
		p.slugs[s.Slug] = ps
		if s.State == "live" && in.active[s.ClusterID] {
			p.live[s.ClusterID] = s.Slug
		}
	}
	// Slugs whose cluster is gone (and former redirects and tombstones,
	// whose target may have moved on): where did their reports go?
	type orphan struct {
		ps    *planned
		dest  int64
		votes int
		dests []countItem
	}
	var orphans []*orphan
	for _, name := range sortedKeys(p.slugs) {
		ps := p.slugs[name]
		if ps.State == "live" && in.active[ps.ClusterID] {
			continue
		}
		o := &orphan{ps: ps}
		o.dests = destinations(in, ps.ClusterID, ps.Members)
		total := 0
		for _, d := range o.dests {
			total += d.count
		}
		if len(o.dests) > 0 && (o.dests[0].count*2 > total || followMerge(in, ps.ClusterID) != 0) {
			if id, err := strconv.ParseInt(o.dests[0].name, 10, 64); err == nil {
				o.dest = id
			}
			o.votes = o.dests[0].count
		}
		orphans = append(orphans, o)
	}
	// The orphan with the biggest share inherits first.
	sort.SliceStable(orphans, func(i, j int) bool { return orphans[i].votes > orphans[j].votes })
	for _, o := range orphans {
		ps := o.ps
		before := ps.PageSlug
		if o.dest != 0 {
			if _, has := p.live[o.dest]; !has && ps.State == "live" {
				// Inherit: the slug now shows the cluster that took its reports.
				ps.ClusterID = o.dest
				p.live[o.dest] = ps.Slug
			} else {
				ps.State = "redirect"
				ps.TargetSlug = "" // filled below, once all live slugs are known
				ps.ClusterID = o.dest
			}
		} else {
			ps.State = "tombstone"
			ps.TargetSlug = ""
		}
		ps.changed = ps.changed || !sameSlug(before, ps.PageSlug)
	}
	// New pages.
	taken := map[string]bool{}
	for s := range p.slugs {
		taken[s] = true
	}
	for _, id := range in.publish {
		if _, has := p.live[id]; has {
			continue
		}
		c := in.clusters[id]
		base := slugify(c.Slug, slugMax)
		if base == "" {
			base = slugify(c.Title, slugMax)
		}
		if base == "" || reserved[base] {
			base = strings.Trim(base+"-"+fmt.Sprint(id), "-")
			if base == fmt.Sprint(id) {
				base = "cluster-" + base
			}
		}
		slug := base
		for n := 2; taken[slug]; n++ {
			slug = fmt.Sprintf("%s-%d", base, n)
		}
		taken[slug] = true
		p.slugs[slug] = &planned{PageSlug: store.PageSlug{Slug: slug, ClusterID: id, State: "live",
			Path: path.Join(categoryDir(categoryOf(c)), slug)}, changed: true}
		p.live[id] = slug
	}
	// Live pages: follow category changes, remember members.
	for id, slug := range p.live {
		ps := p.slugs[slug]
		c := in.clusters[id]
		want := path.Join(categoryDir(categoryOf(c)), slug)
		if ps.Path != want {
			if !contains(ps.OldPaths, ps.Path) && ps.Path != "" {
				ps.OldPaths = append(ps.OldPaths, ps.Path)
				sort.Strings(ps.OldPaths)
			}
			ps.Path = want
			ps.changed = true
		}
		if ps.State != "live" || ps.TargetSlug != "" {
			ps.State, ps.TargetSlug = "live", ""
			ps.changed = true
		}
	}
	// Redirect targets and aliases.
	for _, name := range sortedKeys(p.slugs) {
		ps := p.slugs[name]
		if ps.State != "redirect" {
			continue
		}
		target, ok := p.live[ps.ClusterID]
		if !ok {
			ps.State = "tombstone"
			ps.changed = true
			continue
		}
		if ps.TargetSlug != target {
			ps.TargetSlug = target
			ps.changed = true
		}
	}
	for _, name := range sortedKeys(p.slugs) {
		ps := p.slugs[name]
		switch ps.State {
		case "live":
			p.aliases[name] = append(p.aliases[name], ps.OldPaths...)
		case "redirect":
			p.aliases[ps.TargetSlug] = append(p.aliases[ps.TargetSlug], ps.Path)
			p.aliases[ps.TargetSlug] = append(p.aliases[ps.TargetSlug], ps.OldPaths...)
		}
	}
	for k, v := range p.aliases {
		sort.Strings(v)
		p.aliases[k] = dedupeStrings(v)
	}
	return p
}

// followMerge follows merged_into and merge redirects from a gone cluster
// to an active one; 0 when there is none.
func followMerge(in planInput, id int64) int64 {
	seen := map[int64]bool{}
	for id != 0 && !seen[id] {
		seen[id] = true
		if in.active[id] {
			return id
		}
		next := int64(0)
		if c := in.clusters[id]; c != nil && c.MergedInto != 0 {
			next = c.MergedInto
		}
		if next == 0 {
			for _, r := range in.redirects {
				if r.OldID == id && r.Kind == "merge" {
					next = r.NewID
					break
				}
			}
		}
		id = next
	}
	return 0
}

// destinations lists the active clusters that hold a gone cluster's
// reports, with counts ("name" is the decimal cluster id), most first.
func destinations(in planInput, id int64, members []int64) []countItem {
	counts := map[string]int{}
	for _, m := range members {
		if c, ok := in.now[m]; ok {
			counts[fmt.Sprint(c)]++
		}
	}
	if m := followMerge(in, id); m != 0 && len(counts) == 0 {
		counts[fmt.Sprint(m)] = 1
	}
	if len(counts) == 0 {
		for _, r := range in.redirects {
			if r.OldID == id && in.active[r.NewID] {
				counts[fmt.Sprint(r.NewID)] = 1
			}
		}
	}
	out := sortedCounts(counts)
	// Prefer the merge target on a tie of counts.
	if m := followMerge(in, id); m != 0 {
		for i, d := range out {
			if d.name == fmt.Sprint(m) && (i == 0 || d.count == out[0].count) {
				out[0], out[i] = out[i], out[0]
				break
			}
		}
	}
	return out
}

// setMembers records the issues a live page shows.
func (p *plan) setMembers(id int64, m []int64) {
	slug, ok := p.live[id]
	if !ok {
		return
	}
	ps := p.slugs[slug]
	if !equalIDs(ps.Members, m) {
		ps.Members = m
		ps.changed = true
	}
}

// changedSlugs returns the slugs to save.
func (p *plan) changedSlugs() []store.PageSlug {
	var out []store.PageSlug
	for _, name := range sortedKeys(p.slugs) {
		if ps := p.slugs[name]; ps.changed {
			out = append(out, ps.PageSlug)
		}
	}
	return out
}

func sameSlug(a, b store.PageSlug) bool {
	return a.ClusterID == b.ClusterID && a.State == b.State && a.TargetSlug == b.TargetSlug && a.Path == b.Path
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func dedupeStrings(xs []string) []string {
	var out []string
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
