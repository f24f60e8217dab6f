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

// Mining: statements worth quoting are found in the threads of a cluster's
// reports by plain patterns over sentences. Each kept sentence becomes a
// Finding with its kind and its source, so every statement on a page can be
// traced to the comment or issue it came from. Patterns are about how people
// write fixes and causes in any project ("fixed in v1.2", "as a
// workaround", "caused by"), never about a particular error.

// Kind is what a mined statement is.
type Kind int

// Kinds, in the order fixes are listed.
const (
	KindFixedIn    Kind = iota // "fixed in v1.2.3", "released in 2.0"
	KindUpgrade                // "upgrading to 1.4 solved it"
	KindConfig                 // "set X in settings.json", "--flag", "FOO=bar"
	KindWorkaround             // "as a workaround", "what worked for me"
	KindMaintainer             // any substantive answer by a maintainer
	KindClosing                // the comment that closed the issue
	KindCause                  // "because", "caused by", "turned out"
	KindPrevent                // "to avoid this", "make sure"
)

var kindLabel = map[Kind]string{
	KindFixedIn:    "Fixed in a release",
	KindUpgrade:    "Upgrade",
	KindConfig:     "Configuration change",
	KindWorkaround: "Workaround",
	KindMaintainer: "Maintainer answer",
	KindClosing:    "Closing note",
	KindCause:      "Cause",
	KindPrevent:    "Prevention",
}

// Finding is one mined sentence and where it came from.
type Finding struct {
	Kind       Kind
	Text       string // clean, one line, redacted
	Version    string // for KindFixedIn and KindUpgrade, when named
	Repository string
	Number     int
	URL        string // the comment's or issue's URL
	Author     string
	Role       string // "maintainer" for OWNER/MEMBER/COLLABORATOR, "reporter", else ""
	At         time.Time
	Score      int
}

var (
	reFixedIn    = mustWordRe(`(?i)\b(?:fixed|resolved|addressed|patched|shipped|landed)\b[^.;:]{0,40}?\b(?:in|with|since|by)\s+(?:version\s+|release\s+)?(v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.\-]+)?)\b`)
	reReleased   = mustWordRe(`(?i)\b(?:released|available|included|out)\s+(?:in|with|as of)\s+(?:version\s+|release\s+)?(v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.\-]+)?)\b`)
	reUpgrade    = mustWordRe(`(?i)\b(?:upgrad|updat|bump)\w*\b[^.;]{0,50}?\b(?:to|version)\s+(v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.\-]+)?)\b`)
	reUpgradeGen = mustWordRe(`(?i)\b(?:after|by|try|tried|just)\s+(?:upgrading|updating)\b|\b(?:upgrade|update) to the latest\b|\blatest (?:version|release) (?:fixes|fixed|solves|solved|works)\b`)
	// reConfig is a configuration change: a verb near a setting's name
	// (reConfigWords), a command-line flag (reConfigFlag) or an
	// environment assignment (reConfigEnv).
	reConfigWords = mustWordRe(`(?i)\b(?:set|setting|change|changing|add|adding|remove|removing|disable|disabling|enable|enabling|increase|increasing|lower|lowering|configure|configuring)\b[^.;]{0,80}?\b(?:config|configuration|setting|settings|env|environment variable|variable|flag|option|header|timeout|limit|\.json|\.ya?ml|\.toml|\.env)\b`)
	reConfigFlag  = regexp.MustCompile(`(?i)(?:^|\s)--[a-z][a-z0-9-]{2,}\b`)
	reConfigEnv   = mustWordRe(`(?i)\b[A-Z][A-Z0-9]*_[A-Z0-9_]+=\S+`)
	reWorkaround  = mustWordRe(`(?i)\b(?:workaround|work around|worked for me|works for me|work for me|solved (?:it|this|the)|fixed (?:it|this) by|fixes it|what helped|helped me|the solution (?:is|was)|you can (?:try|use|set|run|add|remove|pass)|try (?:setting|using|running|removing|adding|restarting|reinstalling|clearing|deleting|passing|switching)|i (?:switched|reinstalled|restarted|cleared|deleted|removed|added|set)|(?:switching|reinstalling|restarting|clearing|deleting) [^.;]{0,40}(?:fixed|solved|resolved|helped))\b`)
	reCause       = mustWordRe(`(?i)\b(?:because|caused by|root cause|the cause|due to|the (?:problem|issue|bug) (?:is|was) (?:that|in|with)|happens (?:when|if|because)|occurs (?:when|if)|turned out|this is triggered|is triggered (?:when|by)|which is why|that is why|that's why|this is why|the reason (?:is|was))\b`)
	rePrevent     = mustWordRe(`(?i)\b(?:to (?:avoid|prevent)|make sure|ensure (?:that|you)|always (?:set|use|pin|check)|never (?:set|use|commit)|pin (?:the|your|to)|keep [^.;]{0,30} (?:below|under|up to date))\b`)
	// reBoiler is thanks and chatter at the start of a sentence
	// (reBoilerStart) or a request or closing phrase anywhere (reBoilerAny).
	reBoilerStart = regexp.MustCompile(`(?i)^(?:thanks|thank you|\+1|same here|same issue|any update|bump|me too|hi\b|hello\b|hey\b)`)
	reBoilerAny   = mustWordRe(`(?i)\b(?:thanks for (?:the|your) report|please (?:provide|share|attach|upload|fill)|can you (?:share|provide|attach)|could you (?:share|provide|attach)|closing (?:this|as)|duplicate of|i am closing|i'm closing|we are closing|will close|stale|upvot)`)
	reHTMLTag     = regexp.MustCompile(`(?s)<!--.*?-->|</?[A-Za-z][^>]*>`)
	reImage       = regexp.MustCompile(`!\[[^\]]*\]\([^)]*\)`)
	reMdLink      = regexp.MustCompile(`\[([^\]]*)\]\(([^)\s]*)\)`)
	reSame        = mustWordRe(`(?i)\b(?:same|similar) (?:problem|issue|error|here|thing)\b|\bseeing (?:the )?same\b|\bhaving the same\b`)
	reSymptom     = mustWordRe(`(?i)\bbecause i (?:get|got|see|saw|keep getting)\b`)
)

// maxSentences bounds the sentences read from one body or comment: fixes
// and causes are stated early, and a pasted log must not cost seconds.
const maxSentences = 40

// sentences splits Markdown text into prose sentences: code blocks, HTML,
// images, quoted replies, headings and table rows are dropped first.
func sentences(md string) []string {
	md = clean(md)
	md = stripFenced(md)
	if strings.Contains(md, "<") {
		md = reHTMLTag.ReplaceAllString(md, " ")
	}
	if strings.Contains(md, "](") {
		md = reImage.ReplaceAllString(md, " ")
		md = reMdLink.ReplaceAllString(md, "$1")
	}
	var out []string
	for _, para := range strings.Split(md, "\n") {
		p := strings.TrimSpace(para)
		if p == "" || strings.HasPrefix(p, ">") || strings.HasPrefix(p, "#") || strings.HasPrefix(p, "|") {
			continue
		}
		p = strings.TrimLeft(p, "-*+ ")
		p = strings.ReplaceAll(p, "**", "")
		for _, s := range splitSentences(p) {
			s = collapseSpace(s)
			words := countWords(s)
			if words < 5 || len(s) > 400 {
				continue
			}
			out = append(out, s)
			if len(out) == maxSentences {
				return out
			}
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

// classifySentence returns the best kind a sentence matches and a version
// when one is named; ok is false for none.
func classifySentence(s string) (Kind, string, bool) {
	return classifyAs(s, strings.ToLower(s), false)
}

// classifyAs is classifySentence for a sentence s and its lower-case form
// l; with report set, only the kinds a report body may yield (workarounds
// and causes) are tried. Kinds are tried best first and the first that
// matches wins, so a sentence costs one regular expression when it is a
// finding and none when no keyword of a kind occurs.
func classifyAs(s, l string, report bool) (Kind, string, bool) {
	// Every pattern needs one of a few words: checking for them first
	// keeps the regular expressions off most sentences.
	if isBoilerLower(s, l) {
		return 0, "", false
	}
	if !report {
		if hasAny(l, "fixed", "resolved", "addressed", "patched", "shipped", "landed") {
			if m := reFixedIn.FindStringSubmatch(s); m != nil {
				return KindFixedIn, m[1], true
			}
		}
		if hasAny(l, "released", "available", "included", " out ") && strings.Contains(l, "fix") {
			if m := reReleased.FindStringSubmatch(s); m != nil {
				return KindFixedIn, m[1], true
			}
		}
		if hasAny(l, "upgrad", "updat", "bump", "latest") {
			if m := reUpgrade.FindStringSubmatch(s); m != nil {
				return KindUpgrade, m[1], true
			}
			if reUpgradeGen.MatchString(s) {
				return KindUpgrade, "", true
			}
		}
		if hasAny(l, "set", "chang", "add", "remov", "disabl", "enabl", "increas", "lower", "configur") && reConfigWords.MatchString(s) ||
			strings.Contains(s, "--") && reConfigFlag.MatchString(s) ||
			strings.Contains(s, "_") && strings.Contains(s, "=") && reConfigEnv.MatchString(s) {
			return KindConfig, "", true
		}
	}
	if hasAny(l, "work", "solv", "fix", "helped", "solution", "you can", "try", "i switched", "i reinstalled", "i restarted", "i cleared", "i deleted", "i removed", "i added", "i set", "switching", "reinstalling", "restarting", "clearing", "deleting") && reWorkaround.MatchString(s) {
		return KindWorkaround, "", true
	}
	if hasAny(l, "because", "cause", "due to", "problem", "issue", "bug", "happens", "occurs", "turned out", "trigger", "why", "reason") && reCause.MatchString(s) {
		return KindCause, "", true
	}
	if !report && hasAny(l, "avoid", "prevent", "make sure", "ensure", "always", "never", "pin", "keep") && rePrevent.MatchString(s) {
		return KindPrevent, "", true
	}
	return 0, "", false
}

// isJunk reports whether a sentence cannot stand as a quoted statement: a
// lead-in to a log or list (ends with ":"), a pasted message (JSON-ish
// punctuation), a question, or "same problem" chatter.
func isJunk(s string) bool {
	t := strings.TrimSpace(s)
	if strings.HasSuffix(t, ":") || strings.HasSuffix(t, "?") || strings.Contains(t, "\":") || strings.HasPrefix(t, "\"") || strings.HasPrefix(t, "{") {
		return true
	}
	letters := 0
	for _, r := range t {
		if unicode.IsLetter(r) || r == ' ' {
			letters++
		}
	}
	if letters*10 < len([]rune(t))*7 {
		return true
	}
	l := strings.ToLower(t)
	return (hasAny(l, "same", "similar") && reSame.MatchString(t)) || (strings.Contains(l, "because i ") && reSymptom.MatchString(t))
}

// isBoilerLower reports whether a sentence s, lower-cased as l, is thanks,
// +1s, requests for information or closing chatter.
func isBoilerLower(s, l string) bool {
	// The prefilter mirrors reBoiler: its first group only matches at the
	// start of the sentence, the second anywhere.
	return hasPrefixAny(l, "thank", "+1", "same here", "same issue", "any update", "bump", "me too", "hi", "hello", "hey") && reBoilerStart.MatchString(s) ||
		hasAny(l, "thanks for", "please", "can you", "could you", "closing", "duplicate of", "will close", "stale", "upvot") && reBoilerAny.MatchString(s)
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

// mine finds fixes, causes and prevention advice in a cluster's evidence.
// Each sentence yields at most one finding, of its best kind.
func mine(ev *store.PageEvidence) []Finding {
	byIssue := map[int64]store.PageIssue{}
	for _, is := range ev.Sources {
		byIssue[is.ID] = is
	}
	var out []Finding
	add := func(is store.PageIssue, body, u, author, assoc string, at time.Time, reactions int, closing, isBody bool) {
		role := ""
		switch {
		case isMaintainer(assoc):
			role = "maintainer"
		case author != "" && author == is.Author:
			role = "reporter"
		}
		var first string
		firstMatched := false
		for _, s := range sentences(body) {
			if isJunk(s) {
				continue
			}
			l := strings.ToLower(s)
			// A report describes the setup that fails: only its
			// workarounds and causes are findings (isBody).
			k, version, ok := classifyAs(s, l, isBody)
			if first == "" && countWords(s) >= 7 && !isBoilerLower(s, l) {
				first = s
			}
			if !ok {
				continue
			}
			if s == first {
				firstMatched = true
			}
			f := Finding{Kind: k, Text: s, Version: version, Repository: is.Repository, Number: is.Number, URL: u,
				Author: author, Role: role, At: at, Score: reactions}
			if role == "maintainer" {
				f.Score += 10
			}
			if closing {
				f.Score += 5
			}
			out = append(out, f)
		}
		// A maintainer's or closing comment's first statement is kept too
		// when it is not a finding already: it usually says what went wrong.
		if first != "" && (role == "maintainer" || closing) && !firstMatched {
			k := KindMaintainer
			if role != "maintainer" {
				k = KindClosing
			}
			out = append(out, Finding{Kind: k, Text: first, Repository: is.Repository, Number: is.Number, URL: u,
				Author: author, Role: role, At: at, Score: reactions + 8})
		}
	}
	// The issue bodies: causes and workarounds their reporters found.
	for _, is := range ev.Sources {
		add(is, is.Body, is.HTMLURL, is.Author, is.AuthorAssociation, is.CreatedAt, is.ReactionsTotal, false, true)
	}
	// The comments; the last comment before an issue was closed as
	// completed is its closing note.
	closing := map[int64]int{}
	for i, c := range ev.Thread {
		is := byIssue[c.IssueID]
		if is.State == "closed" && is.ClosedAt != nil && !c.CreatedAt.After(is.ClosedAt.Add(24*time.Hour)) {
			closing[c.IssueID] = i
		}
	}
	for i, c := range ev.Thread {
		is, ok := byIssue[c.IssueID]
		if !ok {
			continue
		}
		ci, has := closing[c.IssueID]
		isClosing := has && ci == i && is.StateReason != "not_planned" && is.StateReason != "duplicate"
		u := c.HTMLURL
		if u == "" {
			u = is.HTMLURL
		}
		add(is, c.Body, u, c.Author, c.AuthorAssociation, c.CreatedAt, c.ReactionsTotal, isClosing, false)
	}
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
		if a.Repository != b.Repository {
			return a.Repository < b.Repository
		}
		if a.Number != b.Number {
			return a.Number < b.Number
		}
		return a.Text < b.Text
	})
	return out
}
