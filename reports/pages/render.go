package pages

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/errata-tool/errata/llm"
	"github.com/errata-tool/errata/store"
)

// Format is a site generator profile.
type Format string

// Formats.
const (
	Hugo   Format = "hugo"
	MkDocs Format = "mkdocs"
	Plain  Format = "plain"
)

// Limits of what one page shows.
const (
	maxVariants   = 5
	maxSourceRows = 25
	maxRelated    = 8
	titleMax      = 120
)

// doc builds one Markdown page. Prose goes through para and item, which
// drop any sentence the page already has: no sentence is repeated across
// the sections of a page.
type doc struct {
	b    strings.Builder
	seen map[string]bool
	// section buffers the current section so that a section whose body
	// came out empty is left out with its heading.
	section  strings.Builder
	heading  string
	hasBody  bool
	inList   bool
	listKind string
	// blank is set after an item that ends with a block (a code fence):
	// the next item starts after a blank line.
	blank bool
}

func newDoc() *doc { return &doc{seen: map[string]bool{}} }

// fresh reports whether a sentence is new to the page, and records it.
func (d *doc) fresh(s string) bool {
	k := sentenceKey(s)
	if k == "" {
		return false
	}
	if d.seen[k] {
		return false
	}
	d.seen[k] = true
	return true
}

// taken reports whether item would refuse key: it says nothing new. Loops
// check it before building an item's text.
func (d *doc) taken(key string) bool {
	k := sentenceKey(key)
	return k == "" || d.seen[k]
}

func (d *doc) flushSection() {
	d.endList()
	if d.hasBody {
		if d.heading != "" {
			d.b.WriteString(d.heading + "\n\n")
		}
		d.b.WriteString(d.section.String())
	}
	d.section.Reset()
	d.heading, d.hasBody = "", false
}

// h2 starts a section.
func (d *doc) h2(title string) {
	d.flushSection()
	d.heading = "## " + title
}

func (d *doc) endList() {
	if d.inList {
		d.section.WriteString("\n")
		d.inList, d.blank = false, false
	}
}

// block writes raw Markdown (already safe) as its own block.
func (d *doc) block(md string) {
	d.endList()
	d.section.WriteString(md + "\n\n")
	d.hasBody = true
}

// para writes a paragraph of sentences (safe Markdown), keeping only those
// the page does not have yet.
func (d *doc) para(sentences ...string) {
	var keep []string
	for _, s := range sentences {
		if s != "" && d.fresh(s) {
			keep = append(keep, s)
		}
	}
	if len(keep) > 0 {
		d.block(strings.Join(keep, " "))
	}
}

// item writes a list item whose identity is key (untrusted text is keyed
// on its plain form); bullet is "-" or "1.".
func (d *doc) item(bullet, key, md string) bool {
	if key != "" && !d.fresh(key) {
		return false
	}
	if !d.inList || d.listKind != bullet {
		d.endList()
		d.inList, d.listKind = true, bullet
	}
	if d.blank {
		d.section.WriteString("\n")
		d.blank = false
	}
	d.section.WriteString(bullet + " " + md + "\n")
	d.hasBody = true
	return true
}

// itemCode is item followed by a fenced block inside the list item.
func (d *doc) itemCode(bullet, key, md, block string) bool {
	if !d.item(bullet, key, md) {
		return false
	}
	if block == "" {
		return true
	}
	d.section.WriteString("\n")
	for _, l := range strings.Split(block, "\n") {
		if l != "" {
			d.section.WriteString(strings.Repeat(" ", len(bullet)+1))
		}
		d.section.WriteString(l + "\n")
	}
	d.blank = true
	return true
}

// h3 writes a sub-heading inside the current section.
func (d *doc) h3(title string) {
	d.endList()
	d.section.WriteString("### " + title + "\n\n")
}

func (d *doc) String() string {
	d.flushSection()
	return strings.TrimRight(d.b.String(), "\n") + "\n"
}

// pageData is everything one cluster page shows.
type pageData struct {
	c        *store.PageCluster
	ev       *store.PageEvidence
	slug     string
	path     string // "category/slug"
	aliases  []string
	related  []relatedPage
	splitTo  []relatedPage // clusters that took part of this page's former reports
	asOf     time.Time
	chartSVG string // file name of the weekly chart next to the page, "" for none
	// title is pageTitle(c) when the caller computed it already, "" for
	// renderCluster to compute it: titles are costly and a page's chart
	// needs its title too.
	title string

	prose   *llm.Prose          // model-written sections, nil for none
	proseEv llm.ClusterEvidence // the numbered sources prose cites
}

// modelProse writes the model's statements for a section, each followed by
// links to the reports it cites; nothing when the model wrote none.
func modelProse(d *doc, pd *pageData, key string) {
	md := llm.SectionMarkdown(pd.prose.Section(key), inline, func(n int) string {
		label, u := llm.SourceLabel(pd.proseEv, n)
		return link(label, u)
	})
	if md != "" {
		d.block("*" + inline(llm.SectionAttribution(pd.prose.Model)) + "*")
		d.block(md)
	}
}

// modelHeadings are this page's headings of the sections a model may write.
var modelHeadings = map[string]string{
	llm.SectionMeaning: "What this error means",
	llm.SectionWhy:     "Why it happens",
	llm.SectionCauses:  "Common causes",
	llm.SectionFixes:   "Quick fixes and workarounds",
}

type relatedPage struct {
	title   string
	path    string
	reports int  // the count, or with band the lower bound of its size band
	band    bool // reports is a size band (sizeBand): shown as "N+ reports"
}

// reportsLabel is how a related or destination page shows its reports.
func (r relatedPage) reportsLabel() string {
	if r.band {
		return fmt.Sprintf("%d+ reports", r.reports)
	}
	return plural(r.reports, "report", "reports")
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// description is one plain sentence for front matter and indexes.
func description(c *store.PageCluster, ev *store.PageEvidence) string {
	if d := oneLine(c.Description); d != "" {
		return truncate(d, 200)
	}
	repos := len(ev.Repos)
	return truncate(fmt.Sprintf("%s of this error in %s, first seen %s, with the fixes and workarounds found in their threads.",
		plural(ev.Reports, "report", "reports"), plural(repos, "repository", "repositories"), day(ev.FirstSeen)), 200)
}

// relURL returns the link from page fromPath to page toPath (both
// "dir/name" without extension) for the format. Index pages are named
// "dir/_index" (hugo) or "dir/index".
func relURL(f Format, fromPath, toPath string) string {
	if f == Hugo {
		// Hugo serves content/a/b.md at /a/b/ and a/_index.md at /a/.
		from := hugoURL(fromPath)
		to := hugoURL(toPath)
		rel := relPath(strings.TrimSuffix(from, "/"), to, true)
		return rel
	}
	return relPath(path.Dir(fromPath), toPath+".md", false)
}

func hugoURL(p string) string {
	p = strings.TrimSuffix(p, "_index")
	p = strings.TrimSuffix(p, "/")
	if p == "" || p == "." {
		return "/"
	}
	return "/" + p + "/"
}

// relPath makes a relative link from directory fromDir to target.
func relPath(fromDir, target string, urlStyle bool) string {
	if urlStyle {
		fromDir = strings.Trim(fromDir, "/")
		target = strings.TrimPrefix(target, "/")
	}
	if fromDir == "." {
		fromDir = ""
	}
	var up int
	if fromDir != "" {
		up = strings.Count(fromDir, "/") + 1
	}
	return strings.Repeat("../", up) + target
}

var reArea = []struct {
	area string
	re   *regexp.Regexp
}{
	{"auth", regexp.MustCompile(`(?i)oauth|auth|token|credential|login|sign[ -]?in|scope|client[_ ]id|401|403|invalid_(?:scope|client|grant|token)`)},
	{"rate", regexp.MustCompile(`(?i)rate[ _-]?limit|\b429\b|quota|overload|\b529\b|capacity|too many requests`)},
	{"network", regexp.MustCompile(`(?i)connect|network|ECONN|ETIMEDOUT|ENOTFOUND|fetch failed|socket|dns|proxy|tls|certificate|timed? ?out`)},
	{"model", regexp.MustCompile(`(?i)\bmodel\b|context[_ ]length|token limit|prompt is too long|max_tokens`)},
	{"protocol", regexp.MustCompile(`(?i)\bmcp\b|json-?rpc|protocol|transport|stdio|\bsse\b|handshake|initiali[sz]e`)},
	{"file", regexp.MustCompile(`\bE(?:PERM|ACCES|BUSY|NOENT|EXIST|ISDIR|NOTDIR)\b|(?i)no such file|permission denied|resource busy|operation not permitted`)},
	{"install", regexp.MustCompile(`(?i)install|npm|pip\b|module not found|cannot find module|ENOENT|command not found|not recognized`)},
}

// area is the troubleshooting area of a cluster: from its error (signature
// and title) first, and only when that names no area from its topic and
// category, so a page never gets another class's advice.
func area(c *store.PageCluster) string {
	for _, s := range []string{c.Signature + " " + c.Title, c.Topic + " " + c.Category} {
		for _, a := range reArea {
			if a.re.MatchString(s) {
				return a.area
			}
		}
	}
	return "general"
}

// collect is what to put in a new report for each troubleshooting area,
// when the threads hold no fix yet.
var collect = map[string]string{
	"auth":     "the sign-in method, the scopes or permissions requested, the authorization server and the full error response",
	"rate":     "the limit named in the response, its reset or Retry-After value, and how many requests ran at once",
	"network":  "the host and port, whether a proxy or VPN is set (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) and the output of the same request from curl",
	"model":    "the exact model identifier, the provider endpoint and the size of the request",
	"protocol": "the client and server versions, the transport (stdio, SSE or HTTP) and the server's own log",
	"file":     "the path in the message, the user the tool runs as, and whether another program (an editor, antivirus or sync client) holds the file",
	"install":  "the package manager, the versions of the runtime and the package, and the exact install command",
	"general":  "the tool's version, the operating system and the full error output",
}

// collectAdvice is the sentence saying what to collect when reporting the
// error.
func collectAdvice(area string) string {
	return "When you report it, include " + collect[area] + "."
}

// quoteFinding quotes a finding's sentence, with the sentence before it
// when it leans on it.
func quoteFinding(f Finding) string {
	q := "\"" + quoteMD(f.Text) + "\""
	if f.Context != "" {
		q = "\"" + quoteMD(f.Context) + " " + quoteMD(f.Text) + "\""
	}
	if su := safeURL(f.Link); su != "" {
		// The page a linked word pointed to ("follow [this guide]").
		if pu, err := url.Parse(su); err == nil && pu.Host != "" {
			q += " — " + link(pu.Host, su)
		}
	}
	return q
}

// codeBlock is the fenced block a finding introduces, "" for none.
func codeBlock(f Finding) string {
	if f.Code == "" {
		return ""
	}
	return fence(f.Code, codeLang(f.Code))
}

var roleText = map[string]string{"maintainer": "maintainer", "reporter": "reporter"}

// sourceRef renders "[owner/repo#12](url), maintainer, 2026-01-02".
func sourceRef(f Finding) string {
	ref := link(fmt.Sprintf("%s#%d", f.Repository, f.Number), f.URL)
	parts := []string{ref}
	if r := roleText[f.Role]; r != "" {
		parts = append(parts, r)
	}
	parts = append(parts, day(f.At))
	return strings.Join(parts, ", ")
}

// renderCluster renders a cluster page: front matter, then the sections in
// page order. Each section is written by its own function into d, which
// drops sentences an earlier section already has, so the order of the
// calls is the order of precedence.
func renderCluster(f Format, pd *pageData) string {
	c, ev := pd.c, pd.ev
	title := pd.title
	if title == "" {
		title = pageTitle(c)
	}
	desc := description(c, ev)
	d := newDoc()
	d.h2("Summary")
	d.para(inline(desc))
	signatureSection(d, c, ev)

	texts := []string{c.Signature, c.Title}
	for _, v := range ev.Variants {
		texts = append(texts, v.Name)
	}
	gl := terms(texts, 4)
	meaningSection(d, pd, gl)
	hs := whySection(d, pd)

	adv := selectAdvice(mine(ev))
	a := area(c)
	causesSection(d, pd, adv)
	fixedIn := fixesSection(d, pd, adv, a)

	// Platform and tool-specific checks: what the threads say for a
	// platform, with their words.
	d.h2("Platform and tool-specific checks")
	platformChecks(d, ev, adv)
	toolChecks(d, c, ev)

	stepsSection(d, ev, fixedIn, gl, hs, a)
	preventSection(d, adv, fixedIn, ev.Repos)
	sourcesSection(d, ev)
	evidenceSection(d, f, pd)

	// Related errors.
	d.h2("Related errors")
	for _, r := range pd.related {
		d.item("-", "related:"+r.path, ilink(r.title, relURL(f, pd.path, r.path))+" ("+r.reportsLabel()+")")
	}

	// FAQ.
	d.h2("FAQ")
	faq(d, c, ev, fixedIn, adv.fixes)

	return clusterFrontMatter(f, pd, title, desc) + d.String()
}

// clusterFrontMatter is the YAML front matter of a cluster page (hugo,
// mkdocs) or its title line (plain).
func clusterFrontMatter(f Format, pd *pageData, title, desc string) string {
	c, ev := pd.c, pd.ev
	var fm strings.Builder
	switch f {
	case Hugo:
		fm.WriteString("---\n")
		fmt.Fprintf(&fm, "title: %s\n", yamlString(title))
		fmt.Fprintf(&fm, "slug: %s\n", yamlString(pd.slug))
		fmt.Fprintf(&fm, "description: %s\n", yamlString(desc))
		fmt.Fprintf(&fm, "date: %s\n", ev.FirstSeen.UTC().Format(time.RFC3339))
		fmt.Fprintf(&fm, "lastmod: %s\n", ev.LastEvidence.UTC().Format(time.RFC3339))
		writeYAMLList(&fm, "categories", nonEmpty(categoryOf(c)))
		writeYAMLList(&fm, "tags", tags(c))
		if len(pd.aliases) > 0 {
			var as []string
			for _, a := range pd.aliases {
				as = append(as, hugoURL(a))
			}
			writeYAMLList(&fm, "aliases", as)
		}
		fm.WriteString("params:\n")
		writeYAMLListIndent(&fm, "  ", "tools", c.Tools)
		fmt.Fprintf(&fm, "  cluster_id: %d\n", c.ID)
		fmt.Fprintf(&fm, "  fingerprint: %s\n", yamlString(c.Fingerprint))
		fmt.Fprintf(&fm, "  reports: %d\n", ev.Reports)
		fm.WriteString("---\n\n")
	case MkDocs:
		fm.WriteString("---\n")
		fmt.Fprintf(&fm, "title: %s\n", yamlString(title))
		fmt.Fprintf(&fm, "slug: %s\n", yamlString(pd.slug))
		fmt.Fprintf(&fm, "description: %s\n", yamlString(desc))
		fmt.Fprintf(&fm, "date: %s\n", ev.FirstSeen.UTC().Format(time.RFC3339))
		fmt.Fprintf(&fm, "lastmod: %s\n", ev.LastEvidence.UTC().Format(time.RFC3339))
		writeYAMLList(&fm, "categories", nonEmpty(categoryOf(c)))
		writeYAMLList(&fm, "tags", tags(c))
		writeYAMLList(&fm, "tools", c.Tools)
		fmt.Fprintf(&fm, "cluster_id: %d\n", c.ID)
		fm.WriteString("---\n\n")
	default:
		fm.WriteString("# " + inline(title) + "\n\n")
	}
	return fm.String()
}

// signatureSection shows the canonical signature and up to maxVariants
// raw variants, each once.
func signatureSection(d *doc, c *store.PageCluster, ev *store.PageEvidence) {
	d.h2("Error signature")
	if sig := strings.TrimSpace(clean(c.Signature)); sig != "" {
		d.para("The canonical form below masks the parts that vary between reports.")
		d.block(fence(sig, "text"))
		d.seen[sentenceKey(sig)] = true
	}
	n := 0
	for _, v := range ev.Variants {
		raw := strings.TrimSpace(clean(v.Name))
		if raw == "" || d.seen["variant:"+sentenceKey(raw)] {
			continue
		}
		d.seen["variant:"+sentenceKey(raw)] = true
		n++
		d.para(fmt.Sprintf("Variant %d, as written in %s:", n, plural(v.Count, "report", "reports")))
		d.block(fence(truncate(raw, 1200), "text"))
		if n == maxVariants {
			break
		}
	}
}

// meaningSection: the model's prose, the cluster's description and what
// the glossary terms of the error mean.
func meaningSection(d *doc, pd *pageData, gl []term) {
	d.h2("What this error means")
	modelProse(d, pd, llm.SectionMeaning)
	if pd.c.Description != "" {
		d.para(inline(pd.c.Description))
	}
	for _, g := range gl {
		d.para(g.meaning)
	}
}

// whySection: the model's prose, the facts of the reports and the servers
// they name; it returns those servers, most named first.
func whySection(d *doc, pd *pageData) []countItem {
	d.h2("Why it happens")
	modelProse(d, pd, llm.SectionWhy)
	d.para(whyFacts(pd.c, pd.ev)...)
	hs := hosts(errorTexts(pd.ev))
	if len(hs) > 0 {
		var parts []string
		for i, h := range hs {
			if i == 4 {
				break
			}
			parts = append(parts, fmt.Sprintf("%s (%s)", code(h.name), plural(h.count, "report", "reports")))
		}
		d.para("Servers named in the reports: " + strings.Join(parts, ", ") + ".")
	}
	return hs
}

// causesSection quotes the causes the threads give.
func causesSection(d *doc, pd *pageData, adv advice) {
	d.h2("Common causes")
	modelProse(d, pd, llm.SectionCauses)
	for _, fd := range adv.causes {
		if d.taken(fd.Text) {
			continue
		}
		d.itemCode("-", fd.Text, quoteFinding(fd)+" ("+sourceRef(fd)+")", codeBlock(fd))
	}
}

// fixesSection lists the quick fixes and workarounds, confirmed ones
// first, each saying how its thread confirmed it; it returns the fixes
// shown that a release confirms.
func fixesSection(d *doc, pd *pageData, adv advice, area string) []Finding {
	d.h2("Quick fixes and workarounds")
	modelProse(d, pd, llm.SectionFixes)
	confirmed, backed := 0, 0
	var fixedIn []Finding
	for _, fd := range adv.fixes {
		switch {
		case fd.Confirm >= ConfirmOthers:
			confirmed++
		case fd.Confirm > ConfirmNone:
			backed++
		}
	}
	switch {
	case len(adv.fixes) == 0:
		d.para("No fix has been found in these threads yet.", collectAdvice(area))
	case confirmed == 0 && backed > 0:
		// A maintainer's answer or a closing after the fix is some
		// support: saying "no fix is confirmed" above a bullet labelled
		// "issue closed as completed after it" reads as a contradiction.
		d.para("Nobody in these threads has reported back that a fix below worked: each says what backs it, a maintainer's answer or the issue closing after it, or that nothing does.")
	case confirmed == 0:
		d.para("No fix in these threads is confirmed yet: the suggestions below come from the threads, and nobody has reported back that they worked.")
	}
	for _, fd := range adv.fixes {
		if d.taken(fd.Text) {
			continue
		}
		if fd.Context != "" && d.taken(fd.Context) {
			// The sentence it leans on is already on the page (a cause).
			fd.Context = ""
		}
		if d.itemCode("-", fd.Text, "**"+fixLabel(fd)+":** "+quoteFinding(fd)+" ("+sourceRef(fd)+")", codeBlock(fd)) {
			if fd.Confirm == ConfirmReleased && fd.Version != "" {
				fixedIn = append(fixedIn, fd)
			}
		}
	}
	return fixedIn
}

// stepsSection: checks for this error's codes and this cluster's evidence
// only.
func stepsSection(d *doc, ev *store.PageEvidence, fixedIn []Finding, gl []term, hs []countItem, area string) {
	d.h2("Step-by-step troubleshooting")
	var steps []string
	if len(fixedIn) > 0 {
		fd := fixedIn[0]
		steps = append(steps, fmt.Sprintf("Check your installed version against %s, the release named as fixing this in %s.", code(fd.Version), link(fmt.Sprintf("%s#%d", fd.Repository, fd.Number), fd.URL)))
	}
	for _, g := range gl {
		steps = append(steps, g.check)
	}
	// A server is worth checking when several reports name it; one
	// report's own address (a local port, a private IP) says nothing
	// about the reader's setup.
	if len(hs) > 0 && hs[0].count >= 2 && (len(hs) == 1 || hs[0].count > hs[1].count) && (area == "network" || area == "protocol") {
		steps = append(steps, fmt.Sprintf("Check that %s, named in %d of the reports, is reachable from the machine where the error appears.", code(hs[0].name), hs[0].count))
	}
	if len(steps) > 0 {
		if open := openReport(ev); open != nil {
			steps = append(steps, fmt.Sprintf("If none of this helps, add your versions and full error output to the open report %s instead of opening a new one.", link(fmt.Sprintf("%s#%d", open.Repository, open.Number), open.HTMLURL)))
		}
	}
	for _, s := range steps {
		d.item("1.", s, s)
	}
}

// preventSection: advice from the threads and the release that fixed it;
// nothing when the threads give none.
func preventSection(d *doc, adv advice, fixedIn []Finding, repos []store.PageCount) {
	d.h2("How to prevent it")
	for _, fd := range adv.prevent {
		if d.taken(fd.Text) {
			continue
		}
		d.itemCode("-", fd.Text, quoteFinding(fd)+" ("+sourceRef(fd)+")", codeBlock(fd))
	}
	if len(fixedIn) > 0 {
		s := fmt.Sprintf("Stay on %s or later, the release named as fixing this error.", code(fixedIn[0].Version))
		if len(repos) > 1 {
			// A version is a version of one project: on a page whose
			// reports come from several, say which.
			s = fmt.Sprintf("If you use %s, stay on %s or later, the release named as fixing this error there.", code(fixedIn[0].Repository), code(fixedIn[0].Version))
		}
		d.item("-", s, s)
	}
}

// sourceRows are the reports the sources table lists: newest first (then
// by repository and number), at most maxSourceRows.
func sourceRows(sources []store.PageIssue) []store.PageIssue {
	srcs := append([]store.PageIssue(nil), sources...)
	sort.Slice(srcs, func(i, j int) bool {
		if !srcs[i].CreatedAt.Equal(srcs[j].CreatedAt) {
			return srcs[i].CreatedAt.After(srcs[j].CreatedAt)
		}
		if srcs[i].Repository != srcs[j].Repository {
			return srcs[i].Repository < srcs[j].Repository
		}
		return srcs[i].Number < srcs[j].Number
	})
	if len(srcs) > maxSourceRows {
		srcs = srcs[:maxSourceRows]
	}
	return srcs
}

// sourcesSection is the table of the reports the page read.
func sourcesSection(d *doc, ev *store.PageEvidence) {
	d.h2("Sources checked")
	if len(ev.Sources) == 0 {
		return
	}
	srcs := sourceRows(ev.Sources)
	if ev.Reports > len(srcs) {
		d.para(fmt.Sprintf("The table lists the %d most discussed of the %d reports, newest first.", len(srcs), ev.Reports))
	} else {
		d.para(fmt.Sprintf("All %s behind this page, newest first.", plural(len(srcs), "report", "reports")))
	}
	var t strings.Builder
	t.WriteString("| Report | Title | State | Opened | Closed |\n| --- | --- | --- | --- | --- |\n")
	for _, s := range srcs {
		closed := "—"
		if s.ClosedAt != nil {
			closed = day(*s.ClosedAt)
		}
		state := s.State
		if s.StateReason != "" && s.State == "closed" {
			state += " (" + strings.ReplaceAll(s.StateReason, "_", " ") + ")"
		}
		fmt.Fprintf(&t, "| %s | %s | %s | %s | %s |\n", link(fmt.Sprintf("%s#%d", s.Repository, s.Number), s.HTMLURL),
			cell(s.Title, 100), cell(state, 30), day(s.CreatedAt), closed)
	}
	d.block(strings.TrimRight(t.String(), "\n"))
}

// evidenceSection is the evidence note: counts, the trend, who wrote the
// prose, the chart and where reports that were here went.
func evidenceSection(d *doc, f Format, pd *pageData) {
	d.h2("Evidence note")
	d.para(evidenceNote(pd.ev, pd.asOf)...)
	if note := llm.PageProseNote(pd.prose, modelHeadings); note != "" {
		d.para(inline(note))
	}
	if note := llm.ClusterTextNote(pd.c.TitleModel, pd.c.TopicReason, pd.c.CategoryReason); note != "" {
		d.para(inline(note))
	}
	if pd.chartSVG != "" {
		d.block(fmt.Sprintf("![Reports per week](%s)", pd.chartSVG))
	}
	if len(pd.splitTo) > 0 {
		var parts []string
		for _, r := range pd.splitTo {
			parts = append(parts, ilink(r.title, relURL(f, pd.path, r.path)))
		}
		d.para("Some reports that were grouped here earlier now belong to " + strings.Join(parts, ", ") + ".")
	}
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			out = append(out, x)
		}
	}
	return out
}

func tags(c *store.PageCluster) []string {
	set := map[string]bool{}
	var out []string
	for _, x := range append([]string{c.Topic}, c.Tools...) {
		x = oneLine(x)
		if x != "" && !set[strings.ToLower(x)] {
			set[strings.ToLower(x)] = true
			out = append(out, x)
		}
	}
	return out
}

func writeYAMLList(b *strings.Builder, key string, vals []string) {
	writeYAMLListIndent(b, "", key, vals)
}

func writeYAMLListIndent(b *strings.Builder, indent, key string, vals []string) {
	if len(vals) == 0 {
		fmt.Fprintf(b, "%s%s: []\n", indent, key)
		return
	}
	fmt.Fprintf(b, "%s%s:\n", indent, key)
	for _, v := range vals {
		fmt.Fprintf(b, "%s  - %s\n", indent, yamlString(v))
	}
}

func whyFacts(c *store.PageCluster, ev *store.PageEvidence) []string {
	var out []string
	if len(c.Tools) > 0 {
		var ts []string
		for _, t := range c.Tools {
			ts = append(ts, inline(t))
		}
		out = append(out, fmt.Sprintf("It is reported by users of %s.", strings.Join(ts, ", ")))
	}
	var rs []string
	for i, r := range ev.Repos {
		if i == 5 {
			rs = append(rs, fmt.Sprintf("%d more", len(ev.Repos)-5))
			break
		}
		rs = append(rs, fmt.Sprintf("%s (%d)", inline(r.Name), r.Count))
	}
	if len(rs) > 0 {
		out = append(out, fmt.Sprintf("Reports come from %s: %s.", plural(len(ev.Repos), "repository", "repositories"), strings.Join(rs, ", ")))
	}
	if !ev.FirstSeen.IsZero() {
		months := monthsBetween(ev.FirstSeen, ev.LastEvidence)
		out = append(out, fmt.Sprintf("The first report dates from %s; there are %s over %s, about %s per month.",
			day(ev.FirstSeen), plural(ev.Reports, "report", "reports"), plural(months, "month", "months"), perMonth(ev.Reports, months)))
	}
	if ev.Reports > 0 {
		s := fmt.Sprintf("%d open and %d closed", ev.Open, ev.Closed)
		if ev.NotPlanned > 0 {
			s += fmt.Sprintf(", of which %d closed as not planned or duplicate", ev.NotPlanned)
		}
		out = append(out, "Of these reports, "+s+".")
	}
	return out
}

func monthsBetween(a, b time.Time) int {
	m := int(b.Sub(a).Hours()/(24*30.44)) + 1
	if m < 1 {
		m = 1
	}
	return m
}

func perMonth(n, months int) string {
	v := float64(n) / float64(months)
	if v >= 10 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// errorTexts are the parts of each source report that show program output:
// its signature variant, title, code blocks and inline code. Servers are
// counted there, not in links people paste to documentation.
func errorTexts(ev *store.PageEvidence) []string {
	var out []string
	for _, s := range ev.Sources {
		var b strings.Builder
		b.WriteString(s.Title)
		for _, m := range reCodeParts.FindAllString(s.Body, -1) {
			b.WriteString("\n")
			b.WriteString(m)
		}
		out = append(out, b.String())
	}
	return out
}

var reCodeParts = regexp.MustCompile("(?s)```.*?```|`[^`\n]+`")

func openReport(ev *store.PageEvidence) *store.PageIssue {
	var best *store.PageIssue
	for i := range ev.Sources {
		s := &ev.Sources[i]
		if s.State != "open" {
			continue
		}
		if best == nil || s.CommentCount > best.CommentCount || (s.CommentCount == best.CommentCount && s.CreatedAt.After(best.CreatedAt)) {
			best = s
		}
	}
	return best
}

// platformChecks lists, for each platform the reports name, what the
// threads' causes and fixes say about it, quoted with their source; a
// platform no advice mentions is left out.
func platformChecks(d *doc, ev *store.PageEvidence, adv advice) {
	var all []Finding
	all = append(all, adv.fixes...)
	all = append(all, adv.causes...)
	for _, p := range platforms {
		for _, f := range all {
			if !p.named(strings.ToLower(f.Text)) {
				continue
			}
			// A sentence already quoted as a cause or fix is not quoted
			// again: the check points a reader on that platform to it.
			if d.taken(f.Text) {
				d.item("-", "platform:"+p.name, fmt.Sprintf("**%s:** see the %s above from %s, which is about %s.",
					p.name, kindNames[f.Kind], link(fmt.Sprintf("%s#%d", f.Repository, f.Number), f.URL), p.name))
				break
			}
			d.item("-", "platform:"+p.name, fmt.Sprintf("**%s:** %s (%s).", p.name, quoteFinding(f), sourceRef(f)))
			break
		}
	}
}

func toolChecks(d *doc, c *store.PageCluster, ev *store.PageEvidence) {
	versions := map[string]int{}
	for _, s := range ev.Sources {
		seen := map[string]bool{}
		for _, v := range versionsIn(s.Body) {
			seen[v] = true
		}
		for v := range seen {
			versions[v]++
		}
	}
	// A version one report names is that reporter's setup; a version
	// several reports share points at a release to check.
	var parts []string
	for _, v := range sortedCounts(versions) {
		if v.count < 2 || len(parts) == 6 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d reports)", code(v.name), v.count))
	}
	if len(parts) > 0 {
		d.item("-", "versions", "**Versions several reports name:** "+strings.Join(parts, ", ")+"; check whether you run one of them.")
	}
}

func evidenceNote(ev *store.PageEvidence, asOf time.Time) []string {
	out := []string{fmt.Sprintf("This page rests on %s with %s, first seen %s and last active %s.",
		plural(ev.Reports, "report", "reports"), plural(ev.Comments, "comment", "comments"), day(ev.FirstSeen), day(ev.LastEvidence))}
	if !asOf.IsZero() {
		trend := "steady"
		switch {
		case ev.Recent > ev.Previous && ev.Recent >= 2:
			trend = "rising"
		case ev.Recent < ev.Previous:
			trend = "falling"
		case ev.Recent == 0 && ev.Previous == 0:
			trend = "quiet"
		}
		out = append(out, fmt.Sprintf("New reports in the 30 days up to %s: %d, against %d in the 30 days before (%s).",
			day(asOf), ev.Recent, ev.Previous, trend))
	}
	return out
}

// confirmPhrase says how a confirmed fix was confirmed, to follow "the
// fix".
func confirmPhrase(f Finding) string {
	switch f.Confirm {
	case ConfirmReleased:
		if f.Version != "" {
			return "released in " + code(f.Version)
		}
		return "that a thread says a newer release holds"
	case ConfirmReporter:
		return "its reporter confirmed"
	case ConfirmOthers:
		return "other users confirmed"
	}
	return "from the threads"
}

// backedFix is the best-backed fix that nobody confirmed (a maintainer's
// answer before a closing), or nil when none has any support.
func backedFix(fixes []Finding) *Finding {
	var b *Finding
	for i := range fixes {
		if fixes[i].Confirm > ConfirmNone && fixes[i].Confirm < ConfirmOthers &&
			(b == nil || b.InCode && !fixes[i].InCode || b.InCode == fixes[i].InCode && fixes[i].Confirm > b.Confirm) {
			b = &fixes[i]
		}
	}
	return b
}

func faq(d *doc, c *store.PageCluster, ev *store.PageEvidence, fixedIn []Finding, fixes []Finding) {
	type qa struct{ q, a string }
	var qs []qa
	var best *Finding
	for i := range fixes {
		if fixes[i].Confirm >= ConfirmOthers {
			best = &fixes[i]
			break
		}
	}
	switch {
	case len(fixedIn) > 0:
		qs = append(qs, qa{"Is this error fixed?", fmt.Sprintf("A fix is reported in %s according to %s; %d of the reports are still open.",
			code(fixedIn[0].Version), link(fmt.Sprintf("%s#%d", fixedIn[0].Repository, fixedIn[0].Number), fixedIn[0].URL), ev.Open)})
	case best != nil && best.Confirm == ConfirmReleased:
		// A release is said to fix it, but none is named: the page
		// cannot say "no release names a fix, but a fix is fixed in a
		// release".
		which := "without naming the version"
		if best.LaterVersion != "" {
			which = "and a later comment that says it works names " + code(best.LaterVersion)
		}
		qs = append(qs, qa{"Is this error fixed?", fmt.Sprintf("A thread says a newer release fixes it, %s, in %s; %d of %d reports are still open.",
			which, link(fmt.Sprintf("%s#%d", best.Repository, best.Number), best.URL), ev.Open, ev.Reports)})
	case best != nil:
		qs = append(qs, qa{"Is this error fixed?", fmt.Sprintf("No release names a fix, but a fix is %s in %s; %d of %d reports are still open.",
			best.Confirm.String(), link(fmt.Sprintf("%s#%d", best.Repository, best.Number), best.URL), ev.Open, ev.Reports)})
	case ev.Open == 0 && ev.Completed > 0:
		qs = append(qs, qa{"Is this error fixed?", fmt.Sprintf("Every report is closed and %d were closed as completed, but no thread names a release with the fix or confirms one.", ev.Completed)})
	case backedFix(fixes) != nil:
		b := backedFix(fixes)
		how := "a maintainer's answer in %s"
		switch {
		case b.InCode:
			how = "a change to the project's code in %s, in no named release yet"
		case b.Confirm == ConfirmClosed:
			how = "the fix in %s, after which the issue was closed as completed"
		}
		qs = append(qs, qa{"Is this error fixed?", fmt.Sprintf("Nobody has reported back that a fix worked; the best backed is "+how+"; %d of %d reports are still open.",
			link(fmt.Sprintf("%s#%d", b.Repository, b.Number), b.URL), ev.Open, ev.Reports)})
	case ev.Reports > 0:
		qs = append(qs, qa{"Is this error fixed?", fmt.Sprintf("The threads hold no confirmed fix yet; %d of %d reports are still open.", ev.Open, ev.Reports)})
	}
	if best != nil {
		qs = append(qs, qa{"What should I try first?", fmt.Sprintf("Start with the fix %s: %s", confirmPhrase(*best), quoteFinding(*best))})
	}
	for _, x := range qs {
		if !d.fresh(x.a) {
			continue
		}
		d.h3(x.q)
		d.block(x.a)
	}
}
