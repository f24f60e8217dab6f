package pages

import (
	"context"
	"sort"
	"strings"

	"github.com/errata-tool/errata/store"
)

// Limits of the advice one page shows.
const (
	maxFixes       = 6
	maxCauses      = 4
	maxPrevent     = 3
	maxPerPost     = 2 // bullets of one kind from one body or comment
	maxPerThreadFx = 3 // fix bullets from one issue's thread
)

// advice is what a page shows under causes, fixes and prevention, best
// first: the renderer and Advice (for errata eval --pages) share it.
type advice struct {
	causes, fixes, prevent []Finding
}

// selectAdvice picks a page's advice from its findings: fixes confirmed in
// their threads first (by how they were confirmed), then maintainers'
// answers, then the rest; no sentence twice; a few per post and thread so
// one long thread cannot fill the page.
func selectAdvice(fs []Finding) advice {
	var a advice
	seen := map[string]bool{}
	perPost := map[string]int{}
	perThread := map[string]int{}
	var fixes []Finding
	for _, f := range fs {
		if f.Kind == KindFix || f.Kind == KindWorkaround {
			fixes = append(fixes, f)
		}
	}
	sort.SliceStable(fixes, func(i, j int) bool { return fixes[i].Score > fixes[j].Score })
	take := func(f Finding, n int, cap int) bool {
		if n >= cap {
			return false
		}
		k := sentenceKey(f.Text)
		pk := f.URL + "\x00" + f.Author + "\x00" + f.At.String() + "\x00" + string(rune('0'+f.Kind))
		postCap := maxPerPost
		if f.Confirm >= ConfirmOthers {
			// A post whose fixes its thread confirmed may show one more.
			postCap++
		}
		if k == "" || seen[k] || perPost[pk] >= postCap {
			return false
		}
		if (f.Kind == KindFix || f.Kind == KindWorkaround) && perThread[f.IssueURL] >= maxPerThreadFx {
			return false
		}
		seen[k] = true
		perPost[pk]++
		if f.Kind == KindFix || f.Kind == KindWorkaround {
			perThread[f.IssueURL]++
		}
		return true
	}
	for _, f := range fixes {
		if take(f, len(a.fixes), maxFixes) {
			a.fixes = append(a.fixes, f)
		}
	}
	for _, f := range fs {
		switch f.Kind {
		case KindCause:
			if take(f, len(a.causes), maxCauses) {
				a.causes = append(a.causes, f)
			}
		case KindPrevent:
			if take(f, len(a.prevent), maxPrevent) {
				a.prevent = append(a.prevent, f)
			}
		}
	}
	return a
}

// AdviceItem is one cause, fix or prevention bullet as a page shows it.
type AdviceItem struct {
	Section      string // "cause", "fix" or "prevent"
	Kind         string // "fix", "workaround", "cause" or "prevent"
	Text         string // the quoted sentence
	Context      string // the sentence before it, shown with it when it leans on it
	Code         string // the code block it introduces
	Version      string // the release named as fixing it
	Link         string // the page a linked word of it points to
	IssueURL     string // the report whose thread holds it
	URL          string // the comment or report it comes from
	Author       string
	Confirmation string // how its thread confirmed it (fixes only)
	Confirmed    bool   // confirmed by the reporter, other users or a release
}

var kindNames = map[Kind]string{KindFix: "fix", KindWorkaround: "workaround", KindCause: "cause", KindPrevent: "prevent"}

// Advice returns the causes, fixes and prevention bullets the page of a
// cluster shows, in page order, for evaluation against labelled threads
// (errata eval --pages) and for other views of a cluster.
func Advice(c *store.PageCluster, ev *store.PageEvidence) []AdviceItem {
	a := selectAdvice(mine(ev))
	var out []AdviceItem
	add := func(section string, fs []Finding) {
		for _, f := range fs {
			it := AdviceItem{Section: section, Kind: kindNames[f.Kind], Text: f.Text, Context: f.Context, Code: f.Code,
				Version: f.Version, Link: f.Link, IssueURL: f.IssueURL, URL: f.URL, Author: f.Author}
			if section == "fix" {
				it.Confirmation = f.Confirm.String()
				it.Confirmed = f.Confirm >= ConfirmOthers
			}
			out = append(out, it)
		}
	}
	add("cause", a.causes)
	add("fix", a.fixes)
	add("prevent", a.prevent)
	return out
}

// quoteMD renders a mined sentence as a quote: its inline code spans stay
// code spans, the rest is escaped text.
func quoteMD(s string) string {
	s = oneLine(s)
	if strings.Count(s, "`")%2 != 0 || !strings.Contains(s, "`") {
		return inline(s)
	}
	var b strings.Builder
	for i, part := range strings.Split(s, "`") {
		if i%2 == 1 {
			if strings.TrimSpace(part) != "" {
				b.WriteString(code(part))
			}
			continue
		}
		if part == "" {
			continue
		}
		esc := inline(part)
		// inline trims; keep the spaces around code spans.
		if strings.HasPrefix(part, " ") && i > 0 {
			esc = " " + esc
		}
		if strings.HasSuffix(part, " ") && i < strings.Count(s, "`") {
			esc += " "
		}
		b.WriteString(esc)
	}
	return b.String()
}

// fixLabel is the bold lead of a fix bullet: what it is and how its
// thread confirmed it.
func fixLabel(f Finding) string {
	what := "Fix"
	if f.Kind == KindWorkaround {
		what = "Workaround"
	}
	if f.InCode {
		// The writer changed the project's code: what a user can do is
		// update once a release after the change holds it.
		return what + " in the project's code, in no named release yet (update once a release after " + day(f.At) + " is out)"
	}
	switch f.Confirm {
	case ConfirmReleased:
		if f.Version != "" {
			return what + ", fixed in " + code(f.Version)
		}
		switch {
		case f.LaterVersion != "":
			return what + ", said to be in a newer release (a later comment that says it works names " + code(f.LaterVersion) + ")"
		case outBy(f):
			return what + ", said to be in a newer release, out by " + day(f.At)
		}
		return what + ", said to be in a newer release"
	case ConfirmNone:
		return what + ", not confirmed"
	}
	return what + ", " + f.Confirm.String()
}

// codeLang is the fence language of a quoted code block: sh for a command
// line, text otherwise.
func codeLang(c string) string {
	first := strings.TrimSpace(strings.SplitN(c, "\n", 2)[0])
	if strings.HasPrefix(first, "$ ") || reCommand.MatchString(first) && reCommand.FindStringIndex(first)[0] == 0 {
		return "sh"
	}
	return "text"
}

// What a page reads of each cluster's evidence: Generate and PageAdvice
// load the same.
const (
	evidenceComments  = 20   // comments per source report
	evidenceBodyBytes = 6000 // bytes of each body and comment
)

// ClusterAdvice is the advice of one cluster's page and the reports it
// was read from.
type ClusterAdvice struct {
	ClusterID int64
	Title     string
	Reports   int
	Sources   []string // html_url of the reports whose threads the page read
	Items     []AdviceItem
}

// PageAdvice returns the advice of every cluster that gets a page (at
// least minSize reports; 0 means Generate's default), read exactly as
// Generate reads it, by cluster id.
func PageAdvice(ctx context.Context, s *store.Store, minSize int) ([]ClusterAdvice, error) {
	if minSize <= 0 {
		minSize = 2
	}
	clusters, err := s.PageClusterList(ctx)
	if err != nil {
		return nil, err
	}
	asOf, err := s.PageAsOf(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	byID := map[int64]*store.PageCluster{}
	for i := range clusters {
		c := &clusters[i]
		if c.Status == "active" && c.Size >= minSize {
			ids = append(ids, c.ID)
			byID[c.ID] = c
		}
	}
	evs, err := s.PageEvidenceGet(ctx, store.PageEvidenceParams{ClusterIDs: ids, AsOf: asOf,
		MaxSources: 25, MaxVariants: maxVariants, MaxComments: evidenceComments, BodyBytes: evidenceBodyBytes})
	if err != nil {
		return nil, err
	}
	var out []ClusterAdvice
	for _, id := range ids {
		ev := evs[id]
		if ev == nil {
			continue
		}
		c := byID[id]
		ca := ClusterAdvice{ClusterID: id, Title: pageTitle(c), Reports: ev.Reports, Items: Advice(c, ev)}
		for _, is := range ev.Sources {
			ca.Sources = append(ca.Sources, is.HTMLURL)
		}
		out = append(out, ca)
	}
	return out, nil
}
