// Package pageeval measures the advice on errata's pages against sentence
// labels made by people who read the threads (errata eval --pages).
//
// Labels are keyed by issue URL, post (body or cN) and a hash of the
// sentence as the labelling splitter (units.go) cut it, so they hold no
// corpus text and are found again whatever the miner's own splitting does:
// each bullet of a page is mapped back to the labelling units its text
// comes from by containment, or by word overlap when the miner cut the
// sentence differently.
package pageeval

import (
	"bufio"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/errata-tool/errata/reports/pages"
)

//go:embed labels/*.tsv
var labelFS embed.FS

// Label is a reader's judgement of one unit.
type Label struct {
	Role    string // fix, workaround, cause, failed, question or vague
	Confirm string // for fix and workaround: reporter, others, maintainer, closed, released or "-"
}

// unitKey names one unit of one post.
type unitKey struct {
	url, part, hash string
}

// Labels are the labels of the units of many threads.
type Labels map[unitKey]Label

// DefaultLabels loads the label files shipped with errata (labels/*.tsv).
func DefaultLabels() (Labels, error) {
	ls := Labels{}
	names, err := fs.Glob(labelFS, "labels/*.tsv")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := labelFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		if err := ls.read(strings.NewReader(string(b)), n); err != nil {
			return nil, err
		}
	}
	return ls, nil
}

// LoadLabels adds the labels of a TSV file.
func (ls Labels) LoadLabels(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("labels: %w", err)
	}
	defer f.Close()
	return ls.read(f, path)
}

var roles = map[string]bool{"fix": true, "workaround": true, "cause": true, "failed": true, "question": true, "vague": true}

func (ls Labels) read(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return fmt.Errorf("labels: %s:%d: want 5 tab-separated fields, got %d", name, n, len(f))
		}
		if !roles[f[3]] {
			return fmt.Errorf("labels: %s:%d: field label: unknown label %q", name, n, f[3])
		}
		ls[unitKey{f[0], f[1], f[2]}] = Label{Role: f[3], Confirm: f[4]}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("labels: %s: %w", name, err)
	}
	return nil
}

// Thread is one issue's posts: its body, then its comments in order.
type Thread struct {
	URL   string
	Posts []string
}

// LoadThreads reads the threads of a corpus file (issues.jsonl), by URL.
func LoadThreads(path string) (map[string]Thread, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("threads: %w", err)
	}
	defer f.Close()
	out := map[string]Thread{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		var is struct {
			URL      string `json:"html_url"`
			Body     string `json:"body"`
			Comments []struct {
				Body string `json:"body"`
			} `json:"comments"`
		}
		if err := json.Unmarshal(sc.Bytes(), &is); err != nil {
			return nil, fmt.Errorf("threads: %s:%d: %w", path, n, err)
		}
		t := Thread{URL: is.URL, Posts: []string{is.Body}}
		for _, c := range is.Comments {
			t.Posts = append(t.Posts, c.Body)
		}
		out[is.URL] = t
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("threads: %s: %w", path, err)
	}
	return out, nil
}

// Metrics are the page-advice figures of one corpus.
type Metrics struct {
	Pages             int     `json:"pages"`
	FixBullets        int     `json:"fix_bullets"`
	FixCorrect        int     `json:"fix_correct"`
	FixPrecision      float64 `json:"fix_precision"`
	CauseBullets      int     `json:"cause_bullets"`
	CauseCorrect      int     `json:"cause_correct"`
	CausePrecision    float64 `json:"cause_precision"`
	Precision         float64 `json:"precision"` // causes and fixes together
	LabelledFixes     int     `json:"labelled_fixes"`
	FixRecall         float64 `json:"fix_recall"`
	LabelledCauses    int     `json:"labelled_causes"`
	CauseRecall       float64 `json:"cause_recall"`
	PagesWithConfirm  int     `json:"pages_with_confirmed_fix"`
	PagesMissingAll   int     `json:"pages_missing_every_confirmed_fix"`
	PagesMissingAny   int     `json:"pages_missing_a_confirmed_fix"`
	MissingAllShare   float64 `json:"missing_every_confirmed_fix_share"`
	MissingAnyShare   float64 `json:"missing_a_confirmed_fix_share"`
	BadTemplate       int     `json:"bad_template"`     // 1: text from no thread of the page
	BadStory          int     `json:"bad_story"`        // 2: a story, me-too or question as advice
	BadHousekeeping   int     `json:"bad_housekeeping"` // 3
	BadFailed         int     `json:"bad_failed"`       // 4: a failed attempt shown as a fix
	BadFragment       int     `json:"bad_fragment"`     // 5: part of a sentence
	ConfirmedShown    int     `json:"confirmed_fixes_shown"`
	ConfirmedLabelled int     `json:"confirmed_fixes_labelled"`
	// Wrong lists the bullets that are not specific and correct, for
	// reading: page, section, label found, the bullet's source.
	Wrong []Miss `json:"wrong,omitempty"`
	// MissingPages are the titles of the pages that show none of the
	// fixes their threads confirm.
	MissingPages []string `json:"missing_pages,omitempty"`
	// Missed lists confirmed fixes a page left out.
	Missed []Miss `json:"missed,omitempty"`
}

// Miss is one bullet or label worth a look, by reference (no corpus text).
type Miss struct {
	Page    string `json:"page"`
	Section string `json:"section"`
	Label   string `json:"label"`
	URL     string `json:"url"`
	Part    string `json:"part"`
	Hash    string `json:"hash"`
	Kind    string `json:"kind,omitempty"`
}

type unitRef struct {
	key  unitKey
	norm string // letters and digits, lower-case
	text string
}

var reLink = regexp.MustCompile(`\[([^\]]*)\]\([^)\s]*\)`)

// norm is the comparison form of a text: lower-case letters and digits,
// with Markdown links reduced to their text.
func norm(s string) string {
	s = reLink.ReplaceAllString(s, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func threadUnits(t Thread) []unitRef {
	var out []unitRef
	for i, p := range t.Posts {
		part := "body"
		if i > 0 {
			part = fmt.Sprintf("c%d", i)
		}
		for _, u := range Units(p) {
			out = append(out, unitRef{key: unitKey{t.URL, part, UnitHash(u.Text)}, norm: norm(u.Text), text: u.Text})
		}
	}
	return out
}

// match finds the units a bullet's text comes from, and whether the text
// covers them whole (false: the bullet is a fragment of a unit).
func match(units []unitRef, text string) ([]unitRef, bool) {
	n := norm(text)
	if n == "" {
		return nil, true
	}
	var out []unitRef
	whole := true
	for _, u := range units {
		if u.norm == "" {
			continue
		}
		switch {
		case strings.Contains(n, u.norm) && (len(u.norm) >= 12 || len(u.norm)*2 >= len(n)):
			out = append(out, u)
		case strings.Contains(u.norm, n):
			out = append(out, u)
			// The labeller's unit is longer: a fragment unless the rest
			// is a list marker or little else.
			// A bullet that is a run of whole sentences of the unit is
			// whole: the two splitters only disagree on where sentences
			// end.
			if len(n)*10 < len(u.norm)*8 && !sentenceRun(u.text, n) {
				whole = false
			}
		}
	}
	if len(out) > 0 {
		return out, whole
	}
	// Word overlap, for sentences the two splitters cut differently.
	bw := wordSet(text)
	best, bestScore := -1, 0.0
	for i, u := range units {
		uw := wordSet(u.text)
		inter := 0
		for w := range bw {
			if uw[w] {
				inter++
			}
		}
		if len(bw) == 0 {
			continue
		}
		score := float64(inter) / float64(len(bw))
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best >= 0 && bestScore >= 0.6 {
		return []unitRef{units[best]}, true
	}
	return nil, true
}

// sentenceRun reports whether the comparison form n is that of a run of
// consecutive sentences of text, cut after . ! ? (and closing quotes or
// brackets) before white space, and after 。！？.
func sentenceRun(text, n string) bool {
	var parts []string
	start := 0
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		end := -1
		switch r {
		case '。', '！', '？':
			end = i + 1
		case '.', '!', '?':
			j := i + 1
			for j < len(rs) && strings.ContainsRune("\"')”）)]", rs[j]) {
				j++
			}
			if j == len(rs) || unicode.IsSpace(rs[j]) {
				end = j
			}
		}
		if end > 0 {
			parts = append(parts, norm(string(rs[start:end])))
			start = end
			i = end - 1
		}
	}
	parts = append(parts, norm(string(rs[start:])))
	for i := range parts {
		run := ""
		for j := i; j < len(parts); j++ {
			run += parts[j]
			if run == n {
				return true
			}
			if len(run) > len(n) {
				break
			}
		}
	}
	return false
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		m[w] = true
	}
	return m
}

var rank = map[string]int{"fix": 6, "workaround": 6, "cause": 5, "vague": 4, "failed": 3, "question": 2}

// bestLabel is the most advice-like label among units.
func bestLabel(ls Labels, us []unitRef, want map[string]bool) (Label, unitRef) {
	var best Label
	var ref unitRef
	for _, u := range us {
		l, ok := ls[u.key]
		if !ok {
			continue
		}
		if want[l.Role] {
			return l, u
		}
		if rank[l.Role] > rank[best.Role] {
			best, ref = l, u
		}
	}
	if best.Role == "" && len(us) > 0 {
		ref = us[0]
	}
	return best, ref
}

var reHousekeeping = regexp.MustCompile(`(?i)#\d+|\breopen|\bclos(?:e|ed|ing)\b|\bduplicate\b|\bticket\b|\btrack(?:ed|ing)?\b|\bupvot|\bstale\b`)

// Evaluate scores the advice of the pages against the labels.
func Evaluate(ps []pages.ClusterAdvice, threads map[string]Thread, ls Labels) Metrics {
	var m Metrics
	fixRoles := map[string]bool{"fix": true, "workaround": true}
	causeRoles := map[string]bool{"cause": true}
	unitsOf := map[string][]unitRef{}
	units := func(u string) []unitRef {
		if us, ok := unitsOf[u]; ok {
			return us
		}
		us := threadUnits(threads[u])
		unitsOf[u] = us
		return us
	}
	for _, p := range ps {
		m.Pages++
		shown := map[unitKey]bool{}
		var srcUnits []unitRef
		for _, u := range p.Sources {
			srcUnits = append(srcUnits, units(u)...)
		}
		for _, it := range p.Items {
			us, whole := match(units(it.IssueURL), it.Text)
			if it.Code != "" {
				cs, _ := match(units(it.IssueURL), it.Code)
				us = append(us, cs...)
			}
			want := causeRoles
			if it.Section == "fix" {
				want = fixRoles
			}
			l, ref := bestLabel(ls, us, want)
			// A fragment does not show the advice it was cut from.
			for _, u := range us {
				if whole {
					shown[u.key] = true
				}
			}
			// The sentence a bullet leans on is quoted with it: the
			// reader sees it, so it is shown, though it does not make
			// the bullet correct or wrong.
			if it.Context != "" {
				if cs, cw := match(units(it.IssueURL), it.Context); cw {
					for _, u := range cs {
						shown[u.key] = true
					}
				}
			}
			correct := want[l.Role] && whole
			switch it.Section {
			case "fix":
				m.FixBullets++
				if correct {
					m.FixCorrect++
				}
			case "cause":
				m.CauseBullets++
				if correct {
					m.CauseCorrect++
				}
			default:
				// Prevention bullets count for the bad kinds only.
			}
			kind := ""
			switch {
			case len(us) == 0:
				m.BadTemplate++
				kind = "template"
			case !whole:
				m.BadFragment++
				kind = "fragment"
			case l.Role == "failed" && it.Section != "cause":
				m.BadFailed++
				kind = "failed"
			case l.Role == "" && reHousekeeping.MatchString(it.Text):
				m.BadHousekeeping++
				kind = "housekeeping"
			case l.Role == "" || l.Role == "question":
				m.BadStory++
				kind = "story"
			}
			if !correct && it.Section != "prevent" || kind != "" {
				lab := l.Role
				if lab == "" {
					lab = "none"
				}
				m.Wrong = append(m.Wrong, Miss{Page: p.Title, Section: it.Section, Label: lab, URL: ref.key.url, Part: ref.key.part, Hash: ref.key.hash, Kind: kind})
			}
		}
		// Recall and confirmed fixes, over the threads the page read.
		confirmed, confirmedShown := 0, 0
		for _, u := range srcUnits {
			l, ok := ls[u.key]
			if !ok {
				continue
			}
			switch {
			case fixRoles[l.Role]:
				m.LabelledFixes++
				if shown[u.key] {
					m.FixRecall++
				}
				if l.Confirm != "-" && l.Confirm != "" {
					confirmed++
					m.ConfirmedLabelled++
					if shown[u.key] {
						confirmedShown++
						m.ConfirmedShown++
					} else {
						m.Missed = append(m.Missed, Miss{Page: p.Title, Section: "fix", Label: l.Role + "/" + l.Confirm, URL: u.key.url, Part: u.key.part, Hash: u.key.hash})
					}
				}
			case causeRoles[l.Role]:
				m.LabelledCauses++
				if shown[u.key] {
					m.CauseRecall++
				}
			}
		}
		if confirmed > 0 {
			m.PagesWithConfirm++
			if confirmedShown == 0 {
				m.PagesMissingAll++
				m.MissingPages = append(m.MissingPages, p.Title)
			}
			if confirmedShown < confirmed {
				m.PagesMissingAny++
			}
		}
	}
	m.FixPrecision = ratio(m.FixCorrect, m.FixBullets)
	m.CausePrecision = ratio(m.CauseCorrect, m.CauseBullets)
	m.Precision = ratio(m.FixCorrect+m.CauseCorrect, m.FixBullets+m.CauseBullets)
	m.FixRecall = ratioF(m.FixRecall, m.LabelledFixes)
	m.CauseRecall = ratioF(m.CauseRecall, m.LabelledCauses)
	m.MissingAllShare = ratio(m.PagesMissingAll, m.Pages)
	m.MissingAnyShare = ratio(m.PagesMissingAny, m.Pages)
	sort.SliceStable(m.Wrong, func(i, j int) bool { return m.Wrong[i].Page < m.Wrong[j].Page })
	return m
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(int(float64(a)/float64(b)*1000+0.5)) / 1000
}

func ratioF(a float64, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(int(a/float64(b)*1000+0.5)) / 1000
}

// WriteReport prints the metrics for a terminal, with the targets of
// issue 16.
func (m Metrics) WriteReport(w io.Writer, corpus string, verbose bool) {
	ok := func(b bool) string {
		if b {
			return "ok"
		}
		return "BELOW TARGET"
	}
	fmt.Fprintf(w, "pages evaluation on %s: %d pages\n", corpus, m.Pages)
	fmt.Fprintf(w, "  fix and workaround bullets specific and correct: %d of %d (%.1f%%)\n", m.FixCorrect, m.FixBullets, 100*m.FixPrecision)
	fmt.Fprintf(w, "  cause bullets specific and correct:              %d of %d (%.1f%%)\n", m.CauseCorrect, m.CauseBullets, 100*m.CausePrecision)
	fmt.Fprintf(w, "  causes and fixes together:                       %.1f%% (target at least 70%%: %s)\n", 100*m.Precision, ok(m.Precision >= 0.70))
	fmt.Fprintf(w, "  recall of labelled fixes and workarounds:        %.1f%% of %d\n", 100*m.FixRecall, m.LabelledFixes)
	fmt.Fprintf(w, "  recall of labelled causes:                       %.1f%% of %d\n", 100*m.CauseRecall, m.LabelledCauses)
	fmt.Fprintf(w, "  confirmed fixes shown:                           %d of %d\n", m.ConfirmedShown, m.ConfirmedLabelled)
	// The target is read strictly: a page that leaves out any fix its
	// threads confirm misses it, as the issue's reviewers counted. The
	// loose figure (pages showing none of them) follows for comparison.
	fmt.Fprintf(w, "  pages missing a confirmed fix of theirs:         %d of %d (%.1f%%; target at most 10%%: %s)\n", m.PagesMissingAny, m.Pages, 100*m.MissingAnyShare, ok(m.MissingAnyShare <= 0.10))
	fmt.Fprintf(w, "  pages missing every confirmed fix of theirs:     %d of %d (%.1f%%)\n", m.PagesMissingAll, m.Pages, 100*m.MissingAllShare)
	bad := m.BadTemplate + m.BadStory + m.BadHousekeeping + m.BadFailed + m.BadFragment
	fmt.Fprintf(w, "  bad bullets (target none: %s): template %d, story or me-too %d, housekeeping %d, failed attempt as fix %d, fragment %d\n",
		ok(bad == 0), m.BadTemplate, m.BadStory, m.BadHousekeeping, m.BadFailed, m.BadFragment)
	if verbose {
		for _, x := range m.Wrong {
			fmt.Fprintf(w, "  wrong  %-8s label %-10s %-12s %s %s %s  (%s)\n", x.Section, x.Label, x.Kind, x.URL, x.Part, x.Hash, x.Page)
		}
		for _, t := range m.MissingPages {
			fmt.Fprintf(w, "  page missing every confirmed fix: %s\n", t)
		}
		for _, x := range m.Missed {
			fmt.Fprintf(w, "  missed %-8s label %-18s %s %s %s  (%s)\n", x.Section, x.Label, x.URL, x.Part, x.Hash, x.Page)
		}
	}
}
