package pages

import (
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/errata-tool/errata/store"
)

// Mining: a page's causes and fixes are whole sentences from the threads
// of its cluster's reports. Each sentence gets a role from its form and its
// place in the thread (roles.go): an action on a concrete object (a
// command, setting, file, version, environment variable or flag) is a fix
// or workaround unless failure or negation markers sit in or next to it; a
// cause needs a cause marker and a concrete subject; questions, first-person
// stories, me-toos and issue-number housekeeping are never advice. A fix is
// then ranked by how the thread confirmed it (confirm.go): a later comment
// by the reporter saying it worked, other users saying so, a release that
// names it, a maintainer's answer, or the issue closed as completed right
// after it. Rules are about how people write in any project and language,
// never about a particular error.

// Kind is what a mined statement is.
type Kind int

// Kinds, in the order they are listed.
const (
	KindFix        Kind = iota // an action that resolves the error, or a release that fixes it
	KindWorkaround             // an action that avoids the error until it is fixed
	KindCause                  // what makes the error happen
	KindPrevent                // advice that keeps the error from coming back
)

// Finding is one mined sentence and where it came from.
type Finding struct {
	Kind       Kind
	Text       string // the sentence: clean, one line, redacted; inline code keeps its backticks
	Context    string // the sentence before, when Text leans on it ("This fixed it.")
	Code       string // the code block the sentence introduces, "" for none
	Version    string // the release that fixes it, when named
	Link       string // the page a linked word of the sentence points to ("follow [this guide]"), "" for none
	Repository string
	Number     int
	IssueURL   string
	URL        string // the comment's or issue's URL
	Author     string
	Role       string // "maintainer" for OWNER/MEMBER/COLLABORATOR, "reporter", else ""
	At         time.Time
	Confirm    Confirmation
	InCode     bool // a change to the project's code, no release named: the reader can only update once one holds it
	// LaterVersion is the version a later comment that says it works
	// names, for a fix said to be in a newer release without naming it.
	LaterVersion string
	Score        int
	nextOK       bool // the sentence after it says it worked
	seq          int  // its sentence's place in its post, for reading order
}

// maxSentences bounds the sentences read from one body or comment: fixes
// and causes are stated early, and a pasted log must not cost seconds.
const maxSentences = 40

// maxSentenceLen is the longest sentence quoted: longer ones are run-ons
// or pasted logs, and a cut sentence would be a fragment.
const maxSentenceLen = 360

// unit is one sentence of a post with what a reader needs around it.
type unit struct {
	text    string // one line, Markdown links and emphasis reduced to text
	prev    string // the sentence before it in the same paragraph, "" for none
	code    string // the fenced block right after it when it introduces one
	heading string // lower-case text of the last heading above it
	listed  bool   // the sentence is (in) a list item
	link    string // the first link the sentence holds (a page to read), "" for none
	quoted  bool   // the sentence is quoted (a "> " block) from outside the thread
	l       string // the text without code spans, lower-case
	mask    uint32 // the marker lists l holds markers of (markerMask)
}

var (
	reHTMLTag = regexp.MustCompile(`(?s)<!--.*?-->|</?[A-Za-z][^>]*>`)
	reImage   = regexp.MustCompile(`!\[[^\]]*\]\([^)]*\)`)
	reMdLink  = regexp.MustCompile(`\[([^\]]*)\]\(([^)\s]*)\)`)
)

// maxCode bounds a quoted code block: a fix is a command or a short
// snippet, not a log.
const maxCode = 600

// postUnits splits a post's Markdown into sentences: code blocks are kept
// only as what a sentence introduces; quoted replies, tables and HTML are
// dropped; headings are remembered as the context of what follows.
func postUnits(md string) []unit { return postUnitsQ(md, nil) }

// postUnitsQ is postUnits that reads a "> " quote as prose when keepQuote
// says it quotes no earlier post of the thread (documentation, a manual
// page): a maintainer often answers with the docs' own words.
func postUnitsQ(md string, keepQuote func(string) bool) []unit {
	md = clean(md)
	var out []unit
	var para []string
	heading := ""
	listed := false
	quoted := false
	// prevProse tells that the last non-blank line was prose: a fence
	// right after it belongs to its last sentence.
	prevProse := false
	// colon is the sentence that ends with a colon and still waits for
	// the block it introduces; colonParas counts the paragraphs since.
	colon, colonParas := -1, 0
	flush := func() {
		if len(para) == 0 {
			return
		}
		p := strings.Join(para, " ")
		para = para[:0]
		colonParas++
		if strings.Contains(p, "<") && rePlaceholder.MatchString(prose(p)) {
			// Usage text a program printed ("git <command> [<file>...]"):
			// its placeholders would read as HTML tags below.
			return
		}
		if strings.Contains(p, "<") {
			p = reHTMLTag.ReplaceAllString(p, " ")
		}
		var links [][]string
		if strings.Contains(p, "](") {
			p = reImage.ReplaceAllString(p, " ")
			links = reMdLink.FindAllStringSubmatch(p, -1)
			p = reMdLink.ReplaceAllString(p, "$1")
		}
		p = strings.ReplaceAll(p, "**", "")
		p = strings.ReplaceAll(p, "__", "")
		prev := ""
		for _, s := range splitSentences(p) {
			for _, s := range splitQuestion(splitCJK(s)) {
				s = collapseSpace(s)
				if s == "" {
					continue
				}
				if len(out) < maxSentences {
					l := strings.ToLower(prose(s))
					out = append(out, unit{text: s, prev: prev, heading: heading, listed: listed, l: l, mask: sentenceMask(l),
						link: sentenceLink(s, links), quoted: quoted})
					if last, _ := utf8.DecodeLastRuneInString(s); last == ':' || last == '：' {
						colon, colonParas = len(out)-1, 0
					}
				}
				prev = s
			}
		}
	}
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			flush()
			fence := t[:3]
			var code []string
			for i++; i < len(lines); i++ {
				if strings.HasPrefix(strings.TrimSpace(lines[i]), fence) {
					break
				}
				code = append(code, lines[i])
			}
			c := strings.TrimSpace(strings.Join(code, "\n"))
			// The block belongs to the sentence that introduces it: the
			// one right before it, or one that ends with a colon a
			// heading or a paragraph before it ("Run this:", a note,
			// then the command).
			if n := len(out); n > 0 && c != "" && len(c) <= maxCode {
				switch {
				case colon >= 0 && colon < n && out[colon].code == "" && colonParas <= 1 && (colon == n-1 || !out[n-1].listed):
					out[colon].code = c
				case out[n-1].code == "" && prevProse:
					out[n-1].code = c
				}
			}
			colon = -1
			listed = false
			prevProse = false
			continue
		}
		switch {
		case t == "":
			flush()
			listed = false
			continue
		case strings.HasPrefix(t, "#"):
			flush()
			prevProse = false
			heading = strings.ToLower(strings.TrimSpace(strings.TrimLeft(t, "#")))
			listed = false
			continue
		case strings.HasPrefix(t, ">") && keepQuote != nil:
			flush()
			var q []string
			for ; i < len(lines); i++ {
				qt := strings.TrimSpace(lines[i])
				if !strings.HasPrefix(qt, ">") {
					i--
					break
				}
				q = append(q, strings.TrimSpace(strings.TrimLeft(qt, ">")))
			}
			if text := strings.TrimSpace(strings.Join(q, " ")); text != "" && keepQuote(text) {
				quoted = true
				para = append(para, text)
				flush()
				quoted = false
			}
			colonParas++
			prevProse = false
			continue
		case strings.HasPrefix(t, ">"), strings.HasPrefix(t, "|"):
			flush()
			prevProse = false
			continue
		}
		if item, ok := listItem(t); ok {
			flush()
			listed = true
			t = item
		}
		// A paragraph that is only bold text is a heading in disguise.
		if strings.HasPrefix(t, "**") && strings.HasSuffix(t, "**") && len(t) < 80 && strings.Count(t, "**") == 2 {
			flush()
			heading = strings.ToLower(strings.Trim(t, "* :"))
			continue
		}
		para = append(para, t)
		prevProse = true
	}
	flush()
	return out
}

// continuedBelow reports that sentence s stops without closing
// punctuation and next, a short line starting with a lower-case letter
// and ending with a full stop or an exclamation mark, finishes it. Within
// a paragraph the splitter never cuts before a lower-case word, so such a
// next unit began a new paragraph.
func continuedBelow(s, next string) bool {
	last, _ := utf8.DecodeLastRuneInString(s)
	if last == utf8.RuneError || strings.ContainsRune(".!?;。！？；)]}\"'`*", last) {
		return false
	}
	if next == "" || next[0] < 'a' || next[0] > 'z' || len(next) > 120 {
		return false
	}
	end := next[len(next)-1]
	return end == '.' || end == '!'
}

// sentenceLink is the target of the first Markdown link whose text the
// sentence holds, or the first web address written out in it.
func sentenceLink(s string, links [][]string) string {
	for _, m := range links {
		if len(m[1]) >= 3 && strings.Contains(s, m[1]) && strings.HasPrefix(m[2], "http") {
			return m[2]
		}
	}
	if i := strings.Index(s, "http"); i >= 0 {
		if m := reWebURL.FindString(s[i:]); m != "" && strings.HasPrefix(s[i:], m) {
			return strings.TrimRight(m, ".,;:)")
		}
	}
	return ""
}

var reWebURL = regexp.MustCompile(`^https?://[^\s<>"'` + "`" + `]+`)

// listItem returns the text of a list item line without its marker.
func listItem(t string) (string, bool) {
	if len(t) >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && t[1] == ' ' {
		t = strings.TrimSpace(t[2:])
		if strings.HasPrefix(t, "[ ] ") || strings.HasPrefix(t, "[x] ") || strings.HasPrefix(t, "[X] ") {
			t = t[4:]
		}
		return t, true
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' ' {
		return strings.TrimSpace(t[i+2:]), true
	}
	return t, false
}

// splitQuestion cuts a question people append in lower case ("Fixed in
// the latest version... can you try it?") off the statement before it, so
// the statement is not read as part of a question.
func splitQuestion(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !strings.HasSuffix(s, "?") {
			out = append(out, s)
			continue
		}
		cut := -1
		for _, sep := range []string{". ", "! ", "... "} {
			if i := strings.LastIndex(s, sep); i > cut+len(sep) && i > 0 {
				cut = i + len(sep) - 1
			}
		}
		if cut <= 0 || strings.Contains(s[cut:], ". ") {
			out = append(out, s)
			continue
		}
		out = append(out, strings.TrimSpace(s[:cut]), strings.TrimSpace(s[cut:]))
	}
	return out
}

// splitCJK cuts a sentence after the full-width stops 。！？, which need no
// space after them.
func splitCJK(s string) []string {
	if !strings.ContainsAny(s, "。！？") {
		return []string{s}
	}
	var out []string
	start := 0
	for i, r := range s {
		if r == '。' || r == '！' || r == '？' {
			end := i + utf8.RuneLen(r)
			if t := strings.TrimSpace(s[start:end]); t != "" {
				out = append(out, t)
			}
			start = end
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

// splitSentences splits a paragraph after ".", "!" or "?" when whitespace
// and then a capital letter, digit or quote follow, so that "v1.4.2",
// ".env", "e.g. this" and "node.js" stay whole.
func splitSentences(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		if p[i] != '.' && p[i] != '!' && p[i] != '?' {
			continue
		}
		j := i + 1
		for j < len(p) && (p[j] == '.' || p[j] == '!' || p[j] == '?' || p[j] == ')' || p[j] == '"') {
			j++
		}
		if j < len(p) && p[j] != ' ' && p[j] != '\t' {
			continue
		}
		k := j
		for k < len(p) && (p[k] == ' ' || p[k] == '\t') {
			k++
		}
		next, _ := utf8.DecodeRuneInString(p[k:])
		if k < len(p) && !(unicode.IsUpper(next) || unicode.IsDigit(next) || next == '"' || next == '`' || next == '(') {
			continue
		}
		prev := p[start:j]
		if strings.HasSuffix(prev, "e.g.") || strings.HasSuffix(prev, "i.e.") || strings.HasSuffix(prev, "etc.") && k < len(p) && !unicode.IsUpper(next) {
			continue
		}
		out = append(out, strings.TrimSpace(prev))
		start = k
		i = k - 1
	}
	if start < len(p) {
		if rest := strings.TrimSpace(p[start:]); rest != "" {
			out = append(out, rest)
		}
	}
	return out
}

// stripFenced replaces every run of text from a "```" or "~~~" to the
// next one (or to the end) with a newline, so code is never read as prose.
// It is the regular expression (?s)(```|~~~).*?(```|~~~|$) replaced by
// "\n", written out because it runs on every body and comment.
func stripFenced(md string) string {
	i := fenceIndex(md)
	if i < 0 {
		return md
	}
	var b strings.Builder
	b.Grow(len(md))
	for i >= 0 {
		b.WriteString(md[:i])
		b.WriteByte('\n')
		rest := md[i+3:]
		j := fenceIndex(rest)
		if j < 0 {
			return b.String()
		}
		md = rest[j+3:]
		i = fenceIndex(md)
	}
	b.WriteString(md)
	return b.String()
}

// fenceIndex is the index of the first "```" or "~~~" in s, or -1.
func fenceIndex(s string) int {
	i, j := strings.Index(s, "```"), strings.Index(s, "~~~")
	if i < 0 || (j >= 0 && j < i) {
		return j
	}
	return i
}

// countWords is len(strings.Fields(s)) without the slice.
func countWords(s string) int {
	n := 0
	in := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// collapseSpace is strings.Join(strings.Fields(s), " "): s itself when it
// is already so.
func collapseSpace(s string) string {
	clean := true
	for i, r := range s {
		if r == ' ' {
			if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				clean = false
				break
			}
		} else if unicode.IsSpace(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// isMaintainer reports whether a GitHub author_association is a project
// maintainer's.
func isMaintainer(assoc string) bool {
	switch strings.ToUpper(assoc) {
	case "OWNER", "MEMBER", "COLLABORATOR":
		return true
	}
	return false
}

// hasPrefixAny reports whether s starts with any of the prefixes.
func hasPrefixAny(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// hasAny reports whether s contains any of the words.
func hasAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// post is one body or comment of a thread, in order.
type post struct {
	issue   store.PageIssue
	body    string
	url     string
	author  string
	assoc   string
	at      time.Time
	react   int
	isBody  bool
	units   []unit
	success bool // says something worked, with no failure marker
	failed  bool // says something did not work
}

// mine finds fixes, workarounds, causes and prevention advice in a
// cluster's evidence, best first within each kind.
func mine(ev *store.PageEvidence) []Finding {
	threads := mineThreads(ev)
	var out []Finding
	for _, th := range threads {
		for pi, p := range th {
			is := p.issue
			role := ""
			switch {
			case isMaintainer(p.assoc):
				role = "maintainer"
			case p.author != "" && p.author == is.Author:
				role = "reporter"
			}
			var postFs []Finding
			var postIdx []int
			ann := announcement(p)
			// A maintainer's own issue that tells how to get past an
			// error is a how-to, not a report: its steps are advice.
			asBody := p.isBody && role != "maintainer"
			selfFix, relAt := -1, -1
			leadUsed := map[string]bool{}
			for ui, u := range p.units {
				k, version, ok := sentenceRole(p.units, ui, asBody)
				if ok && asBody != p.isBody && k != KindFix && k != KindWorkaround {
					// A maintainer's issue may still be a report: its
					// causes need what a report's causes need.
					k, version, ok = sentenceRole(p.units, ui, p.isBody)
				}
				if !ok && ann.ok && releaseItem(p.units, ui, ann.at) {
					k, version, ok = KindFix, ann.version, true
				}
				if !ok && !p.isBody {
					k, ok = adviceItem(p.units, ui)
				}
				if !ok && !p.isBody {
					if v, rel := releaseLink(u); rel {
						k, version, ok = KindFix, v, true
						relAt = ui
					}
				}
				if !ok && !p.isBody && (role == "reporter" && selfAnswer(th, pi, ui) || role != "maintainer" && selfResolved(u)) {
					k, ok = KindFix, true
					selfFix = ui
					if hasAny(u.l, "mistakenly", "by mistake", "used the wrong", "using the wrong") {
						// "I mistakenly pointed it at the old hub" says
						// what was wrong: the cause, which the reader
						// turns around.
						k, selfFix = KindCause, -1
					}
				}
				if !ok && !p.isBody && role == "maintainer" && (published(u) || patch(u)) {
					k, ok = KindFix, true
				}
				if !ok {
					continue
				}
				if (k == KindFix || k == KindWorkaround) && !p.isBody && repeatsReport(u, th[0].body) {
					continue
				}
				if (k == KindFix || k == KindWorkaround) && (vagueTrial(u) || onlyDelays(u) || diagnosisOnly(u)) || k == KindCause && restatesError(u) {
					continue
				}
				f := Finding{Kind: k, Text: u.text, Code: u.code, Version: version, Repository: is.Repository, Number: is.Number,
					IssueURL: is.HTMLURL, URL: p.url, Author: p.author, Role: role, At: p.at, Score: p.react, seq: ui}
				if (k == KindFix || k == KindWorkaround) && u.link != "" && !strings.Contains(f.Text, u.link) {
					// "Follow [this guide]" is worth its link.
					f.Link = u.link
				}
				if needsContext(u) && !(selfFix == ui && failure(strings.ToLower(prose(u.prev)))) && !chatter(u.prev) {
					f.Context = u.prev
				}
				if k == KindFix || k == KindWorkaround {
					pointedContext(&f, p.units, ui)
				}
				if f.Context == "" && u.prev == "" && ui > 0 && shortCJKNamed(u.text) {
					// "Try downgrading <runtime>" alone in its paragraph:
					// why, and to what, is in the paragraph above.
					if a := p.units[ui-1]; a.code == "" && !question(a.text) && !chatter(a.text) && a.mask&bFailure == 0 {
						f.Context = a.text
					}
				}
				if lead := listLead(p.units, ui); f.Context == "" && lead != "" && !leadUsed[lead] && (k == KindFix || k == KindWorkaround) {
					// "To resolve this:" before a list of steps says what
					// the steps are for; the first step shows it.
					f.Context = lead
					leadUsed[lead] = true
				}
				if ui+1 < len(p.units) {
					nx := p.units[ui+1]
					f.nextOK = succeeded(nx.l, nx.mask)
					if f.Code == "" && nx.code != "" && (selfFix == ui || relAt == ui) && !question(nx.text) && nx.mask&bFailure == 0 {
						// "Found the solution." or a release's link, then
						// what it is.
						f.Text += " " + nx.text
						f.Code = nx.code
					} else if relAt == ui && !question(nx.text) && nx.mask&bFailure == 0 && nx.code == "" &&
						hasAny(nx.l, "try", "upgrad", "updat", "install", "new version", "latest", "试", "升级", "更新", "新版") {
						// A release's link, then "try the new version".
						f.Text += " " + nx.text
					} else if f.nextOK && f.Code == "" && continuedBelow(u.text, nx.text) {
						// "If I use:", the value, a blank line, then "it
						// works.": one sentence broken around a pasted
						// value, shown whole rather than cut before its
						// verb.
						f.Text += " " + nx.text
					}
				}
				if k == KindFix || k == KindWorkaround {
					f.Confirm = confirmation(th, pi, f)
					if ann.ok && ui >= ann.at && ann.version != "" {
						f.Confirm = max(f.Confirm, ConfirmReleased)
					}
					if relAt == ui {
						f.Confirm = max(f.Confirm, ConfirmReleased)
					}
					if selfFix == ui && role == "reporter" {
						// The reporter found the way out themselves.
						f.Confirm = max(f.Confirm, ConfirmReporter)
					}
					f.InCode = codeChange(f)
					if f.Confirm == ConfirmReleased && f.Version == "" {
						f.LaterVersion = laterVersion(th, pi)
					}
				}
				postFs = append(postFs, f)
				postIdx = append(postIdx, ui)
			}
			for _, f := range mergeSteps(p.units, postFs, postIdx) {
				f.Score += int(f.Confirm) * 100
				if role == "maintainer" {
					f.Score += 20
				}
				if f.InCode {
					// A change to the project's code is no step a user can
					// take: it ranks after every fix they can apply.
					f.Score -= inCodeRank
				}
				out = append(out, f)
			}
		}
	}
	sortFindings(out)
	return out
}

// mineThreads puts the evidence in threads, in order: each issue's body,
// then its comments oldest first, each post split into sentences.
func mineThreads(ev *store.PageEvidence) [][]*post {
	byIssue := map[int64]int{}
	threads := make([][]*post, len(ev.Sources))
	for i, is := range ev.Sources {
		byIssue[is.ID] = i
		threads[i] = []*post{{issue: is, body: is.Body, url: is.HTMLURL, author: is.Author, assoc: is.AuthorAssociation,
			at: is.CreatedAt, react: is.ReactionsTotal, isBody: true}}
	}
	for _, c := range ev.Thread {
		i, ok := byIssue[c.IssueID]
		if !ok {
			continue
		}
		is := ev.Sources[i]
		u := c.HTMLURL
		if u == "" {
			u = is.HTMLURL
		}
		threads[i] = append(threads[i], &post{issue: is, body: c.Body, url: u, author: c.Author, assoc: c.AuthorAssociation,
			at: c.CreatedAt, react: c.ReactionsTotal})
	}
	for _, th := range threads {
		for pi, p := range th {
			if p.assoc == "" && p.author != "" && repoOwner(p.issue.Repository) == p.author {
				// The repository's owner is its maintainer, whatever
				// the association the import kept.
				p.assoc = "OWNER"
			}
			var keep func(string) bool
			if !p.isBody && strings.Contains(p.body, ">") {
				keep = func(q string) bool { return !quotesThread(th[:pi], q) && !firstPerson(q) }
			}
			p.units = postUnitsQ(p.body, keep)
			p.success, p.failed = postOutcome(p.units)
		}
	}
	return threads
}

// sortFindings orders findings by kind, then score (confirmation first),
// then time, keeping a post's sentences in their order.
func sortFindings(out []Finding) {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		if a.URL == b.URL && a.seq != b.seq {
			return a.seq < b.seq
		}
		if a.Repository != b.Repository {
			return a.Repository < b.Repository
		}
		if a.Number != b.Number {
			return a.Number < b.Number
		}
		return a.Text < b.Text
	})
}

// changeVerbs are verbs that change something; a sentence that only runs
// a command has none of them outside the command.
var changeVerbs = []string{"install", "upgrad", "updat", "downgrad", "set ", "setting", "add", "remov", "delet", "chang",
	"switch", "export", "enabl", "disabl", "pin", "replac", "edit", "clear", "config", "uninstall", "instead"}

// repeatsReport reports a suggested fix that only runs again a command the
// report's body already shows failing ("run `widget build` in a terminal"
// when the report is about `widget build`): it repeats the reporter's own
// steps.
func repeatsReport(u unit, body string) bool {
	if u.code != "" || body == "" || !hasAny(u.l, "run", "try", "execut", "type", "enter") {
		return false
	}
	s := u.text
	loc := reCommand.FindAllStringIndex(s, -1)
	if len(loc) == 0 {
		return false
	}
	lb := strings.ToLower(collapseSpace(strings.ReplaceAll(body, "`", " ")))
	rest := s
	for i := len(loc) - 1; i >= 0; i-- {
		a := loc[i][0]
		end := len(s)
		if i+1 < len(loc) {
			end = loc[i+1][0]
		}
		if j := strings.IndexAny(s[a:end], ".,;:`)\"'"); j > 0 {
			end = a + j
		}
		// The command ends at the first word that reads as prose.
		fs := strings.Fields(strings.ToLower(s[a:end]))
		for k := 1; k < len(fs); k++ {
			switch fs[k] {
			case "from", "in", "and", "again", "then", "to", "on", "with", "inside", "under", "at", "after", "before", "once", "or":
				fs = fs[:k]
			}
		}
		cmd := strings.Join(fs, " ")
		if countWords(cmd) < 2 || !strings.Contains(lb, cmd) {
			return false
		}
		rest = rest[:a] + rest[end:]
	}
	return !hasAny(strings.ToLower(prose(rest)), changeVerbs...)
}

// maxStepsLen bounds a fix merged from consecutive steps.
const maxStepsLen = 2 * maxSentenceLen

// mergeSteps joins the fixes of one post that follow each other (at most
// one plain sentence between them) into one fix: an answer given in steps
// ("Add your user to the group. After that, log out and back in.") is one
// piece of advice, and showing one step without the next misleads. The
// sentence between two steps is kept when it is not a question or a
// failure; a step that introduces a code block ends the run, so the block
// stays after the sentence it belongs to.
func mergeSteps(us []unit, fs []Finding, idx []int) []Finding {
	var out []Finding
	used := make([]bool, len(fs))
	for i := range fs {
		if used[i] {
			continue
		}
		f := fs[i]
		last := idx[i]
		for j := i + 1; (f.Kind == KindFix || f.Kind == KindWorkaround) && f.Code == "" && j < len(fs); j++ {
			g, gi := fs[j], idx[j]
			if gi-last > 2 {
				break
			}
			if g.Kind != KindFix && g.Kind != KindWorkaround {
				continue
			}
			text := f.Text
			// Listed items stay apart from each other: "a; b", not "a b".
			sep := " "
			if r, _ := utf8.DecodeLastRuneInString(text); us[last].listed && us[gi].listed && !strings.ContainsRune(".!?。！？;；", r) {
				sep = "; "
			}
			if gi-last == 2 {
				mid := us[last+1]
				if mid.code != "" || question(mid.text) || mid.mask&(bFailure|bHousekeeping) != 0 || fragment(mid) ||
					infoRequest(mid.l) || searchAdvice(mid.l) || hasPrefixAny(mid.l, storyStarts...) || diagnostic(mid.l, mid.text) {
					break
				}
				text += " " + mid.text
			}
			text += sep + g.Text
			if len(text) > maxStepsLen {
				break
			}
			f.Text, f.Code = text, g.Code
			f.Confirm = max(f.Confirm, g.Confirm)
			if f.Version == "" {
				f.Version = g.Version
			}
			if f.Link == "" {
				f.Link = g.Link
			}
			if g.Kind == KindFix {
				f.Kind = KindFix
			}
			f.nextOK = g.nextOK
			last = gi
			used[j] = true
		}
		if (f.Kind == KindFix || f.Kind == KindWorkaround) && f.Code == "" && last+1 < len(us) && followStep(us[last+1]) &&
			len(f.Text)+len(us[last+1].text) < maxStepsLen {
			// "After that, log out and back in." finishes the step
			// before it, though it names nothing of its own.
			nx := us[last+1]
			f.Text += " " + nx.text
			f.Code = nx.code
		}
		out = append(out, f)
	}
	return out
}

// followStep reports a sentence that continues the step before it: a
// sequence word, then an action.
func followStep(u unit) bool {
	if question(u.text) || u.mask&bFailure != 0 || fragment(u) {
		return false
	}
	for _, lead := range []string{"after that", "afterwards", "then", "next", "finally", "once done", "once that is done", "and then"} {
		if strings.HasPrefix(u.l, lead) {
			rest := strings.TrimLeft(u.l[len(lead):], " ,:")
			return imperative(rest) || u.mask&bModal != 0
		}
	}
	return false
}

// announce is a post that announces a fix: a release or a merged change.
type announce struct {
	ok      bool
	at      int    // the unit that announces it
	version string // the release named, "" for none
}

// announcement finds a comment that announces a fix ("fixed in v0.3.0",
// "both fixes are now merged"), so that the changes it then lists item by
// item are read as what fixed it.
func announcement(p *post) announce {
	if p.isBody {
		return announce{}
	}
	for i, u := range p.units {
		if u.mask&bFailure != 0 || u.mask&bFixed == 0 && !hasAny(u.l, "fix", "resolved", "addressed", "patched", "shipped", "landed", "released") || question(u.text) {
			continue
		}
		if u.mask&bFixed != 0 || hasAny(u.l, "fixed in", "fix in", "fixes are", "fix is", "fixed by", "addressed in", "resolved in") &&
			hasAny(u.l, "release", "version", "merged", "landed", "shipped", "available") || reFixedIn.MatchString(u.text) {
			v := ""
			if m := reFixedIn.FindStringSubmatch(u.text); m != nil {
				v = m[1]
			} else if strings.ContainsAny(u.text, "0123456789") {
				v = reVersion.FindString(prose(u.text))
			}
			return announce{ok: true, at: i, version: v}
		}
	}
	return announce{}
}

// releaseItem reports a sentence that lists one change of an announced
// fix: a list item, or a sentence under a heading that names fixes or
// changes, after the announcement, naming something concrete.
func releaseItem(us []unit, i, at int) bool {
	u := us[i]
	if i <= at || question(u.text) || fragment(u) || u.mask&bFailure != 0 || strings.Contains(u.text, "#") && reIssueRef.MatchString(u.text) {
		return false
	}
	underFix := hasAny(u.heading, "fix", "change", "improve", "what's new", "release")
	if !u.listed && !underFix {
		return false
	}
	// Release notes describe changes in words more than in code: a whole
	// sentence of some length is enough under an announcement.
	return concrete(u.text) || countWords(u.text) >= 6
}

// adviceLeads are words of a lead-in that announces a list of advice
// ("Short-term options:", "Workarounds:", "You can try:").
var adviceLeads = []string{"suggest", "workaround", "work around", "fix", "solution", "option", "you can", "you could",
	"try", "steps", "recommend", "alternatives", "建议", "解决", "办法", "方案", "可以", "回避", "対処", "対策", "solución",
	"opciones", "sugerencia", "puedes", "lösung", "варианты", "решение", "você pode", "vous pouvez"}

// adviceItem reports a list item under a lead-in sentence that announces
// advice and ends with a colon: each item is a fix or workaround of its
// own even when it names nothing in code ("- retry at a quieter hour").
func adviceItem(us []unit, i int) (Kind, bool) {
	u := us[i]
	if !u.listed || question(u.text) || fragment(u) || u.mask&(bFailure|bHousekeeping) != 0 ||
		hasPrefixAny(u.l, storyStarts...) || hasPrefixAny(u.l, "i ", "we ", "my ") {
		return 0, false
	}
	j := i - 1
	for j >= 0 && us[j].listed {
		j--
	}
	if j < 0 {
		return 0, false
	}
	lead := us[j]
	last, _ := utf8.DecodeLastRuneInString(lead.text)
	if last != ':' && last != '：' || lead.code != "" || lead.mask&bFailure != 0 || !hasAny(lead.l, adviceLeads...) {
		return 0, false
	}
	if hasAny(lead.l, workaroundMarks...) || hasAny(u.l, workaroundMarks...) || hasAny(lead.l, "short", "短期", "temporar") {
		return KindWorkaround, true
	}
	return KindFix, true
}

// repoOwner is the owner part of "owner/name".
func repoOwner(repo string) string {
	if i := strings.IndexByte(repo, '/'); i > 0 {
		return repo[:i]
	}
	return ""
}

// quotesThread reports whether a quoted passage copies an earlier post of
// the thread (a reply quote) rather than a page from outside it.
func quotesThread(earlier []*post, q string) bool {
	nq := squash(q)
	if len(nq) > 40 {
		nq = nq[:40]
	}
	if len(nq) < 8 {
		return true
	}
	for _, p := range earlier {
		if strings.Contains(squash(p.body), nq) {
			return true
		}
	}
	return false
}

// squash is s lower-case with everything but letters and digits dropped.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// reReleaseURL matches a link to a tagged release page.
var reReleaseURL = regexp.MustCompile(`^https?://\S+/releases/(?:tag/)?(v?\d+(?:\.\d+){1,3}(?:[-+][0-9A-Za-z.\-]+)?)/?$`)

// releaseLink reports a sentence that is only the link to a tagged release
// (a maintainer's answer "https://…/releases/tag/v1.2.3"), and its version.
func releaseLink(u unit) (string, bool) {
	if !strings.Contains(u.text, "/releases/") {
		return "", false
	}
	m := reReleaseURL.FindStringSubmatch(strings.TrimRight(u.text, " ."))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// selfResolved reports a sentence in which the writer says they found
// what was wrong on their side ("Never mind, I forgot to install X", "I
// mistakenly pointed it at the old hub",
// "Found `opt.Name`, sorry for the noise", "I found the solution:"),
// naming something concrete or followed by it in code.
func selfResolved(u unit) bool {
	if question(u.text) || u.mask&bFailure != 0 || countWords(u.text) < 3 || len(u.text) > maxSentenceLen {
		return false
	}
	l := u.l
	if !(hasAny(l, "nevermind", "never mind", "forgot to", "forget to", "forgotten to", "my bad", "my mistake", "i missed", "i overlooked",
		"mistakenly", "by mistake", "i used the wrong", "i was using the wrong", "found the solution", "found a solution", "found the fix", "found the problem", "found the issue", "found the cause") ||
		strings.HasPrefix(l, "found ")) {
		return false
	}
	return concrete(u.text) || u.code != "" || u.mask&bObjectNoun != 0 || hasAny(l, "found the solution", "found a solution", "found the fix")
}

// listLead is the lead-in of the list the unit i is an item of: the
// sentence before the list when it ends with a colon and holds no code
// ("To resolve this:"), "" for none.
func listLead(us []unit, i int) string {
	if !us[i].listed {
		return ""
	}
	j := i - 1
	for j >= 0 && us[j].listed {
		j--
	}
	if j < 0 || us[j].code != "" || us[j].quoted || len(us[j].text) > 120 {
		return ""
	}
	last, _ := utf8.DecodeLastRuneInString(us[j].text)
	if last != ':' && last != '：' || us[j].mask&bFailure != 0 || question(us[j].text) ||
		!hasAny(us[j].l, adviceLeads...) && !hasAny(us[j].l, "resolv", "solv", "improve", "change", "what's new") {
		// "A few questions to help me debug:" leads to no advice.
		return ""
	}
	return us[j].text
}

// reFirstPerson finds the writer speaking of themselves: a quote that
// does is a reply to a person, not documentation.
var reQuoteFirstPerson = regexp.MustCompile(`(?i)\b(?:i|i'm|i've|i'd|me|my|we|we're|we've|our|us)\b|我|私|僕`)

func firstPerson(s string) bool { return reQuoteFirstPerson.MatchString(s) }

// selfAnswer reports the reporter's own last word in a thread that closed
// as completed right after it, when that word is one short statement
// naming something in code ("`RetryPolicy` has to be set"): the reporter
// found the answer and closed the issue.
func selfAnswer(th []*post, pi, ui int) bool {
	p := th[pi]
	is := p.issue
	if pi != len(th)-1 || len(p.units) > 2 || is.State != "closed" || is.StateReason == "not_planned" || is.StateReason == "duplicate" ||
		is.ClosedAt == nil || is.ClosedAt.Before(p.at) || is.ClosedAt.Sub(p.at) > closeWindow {
		return false
	}
	u := p.units[ui]
	if question(u.text) || u.mask&(bFailure|bHousekeeping) != 0 || hasPrefixAny(u.l, storyStarts...) || countWords(u.text) < 3 ||
		len(u.text) > maxSentenceLen || infoRequest(u.l) {
		return false
	}
	return strings.Count(u.text, "`") >= 2 || u.code != ""
}

// published reports a maintainer saying they published a new build ("I
// just pushed a new image built for amd64", "I released 2.1.1 with the
// fix"): what the reader needs is that build.
func published(u unit) bool {
	if question(u.text) || u.mask&(bFailure|bHedge) != 0 || fragment(u) {
		return false
	}
	l := u.l
	if !hasPrefixAny(dropGreeting(l), "i just ", "i ", "we just ", "we ", "i've just ", "i have just ", "we've just ", "we have just ", "just ") {
		return false
	}
	return hasAny(l, "pushed", "published", "released", "uploaded", "deployed", "rebuilt", "built") &&
		hasAny(l, "image", "version", "release", "build", "package", "tag", "binary", "binaries", "fix")
}

// patch reports a maintainer's lead-in to a diff ("Updated:", "Changed
// the config:"): the change they made is the fix.
func patch(u unit) bool {
	c := u.code
	if c == "" || question(u.text) || u.mask&bFailure != 0 {
		return false
	}
	if !(strings.HasPrefix(c, "diff ") || strings.HasPrefix(c, "--- ") || strings.Contains(c, "\n@@ ")) {
		return false
	}
	return strings.Contains(c, "\n+")
}

// chatter reports a sentence that says nothing about the error: a me-too,
// a story, thanks, an apology or housekeeping. It is never shown as the
// context of a cause or fix.
func chatter(s string) bool {
	l := strings.ToLower(prose(s))
	if hasPrefixAny(dropGreeting(l), storyStarts...) || hasAny(l, "apolog", "sorry", "thanks", "thank you", "late reply", "too.", "as well.") {
		return true
	}
	return markerMask(l)&bHousekeeping != 0
}
