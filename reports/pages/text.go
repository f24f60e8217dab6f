package pages

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/errata-tool/errata/classify/redact"
)

// Everything that comes from an issue is untrusted. It reaches a page only
// through the helpers in this file:
//
//   - clean: redacts secrets, drops control and bidi-override characters and
//     normalises line ends; the base of all others.
//   - inline: one line of prose with every Markdown and HTML special
//     character backslash-escaped, so no HTML, link, emphasis, heading or
//     table syntax from the input survives.
//   - cell: inline text for a table cell (also escapes "|").
//   - fence: a fenced block whose fence is longer than any backtick run in
//     the text, so the text cannot close it.
//   - yamlString: a double-quoted YAML scalar with everything escaped.
//   - safeURL: http(s) URLs only, percent-encoding whatever could end a
//     Markdown link destination.

// clean redacts secrets and removes characters that have no business in a
// page: C0/C1 controls except newline and tab, and Unicode bidi controls
// (which can make text read differently from what it is).
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = redact.String(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			return -1
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return -1
		case r == 0xfeff:
			return -1
		}
		return r
	}, s)
}

// oneLine is clean text with all whitespace runs collapsed to one space.
func oneLine(s string) string {
	return collapseSpace(clean(s))
}

// truncate cuts s to at most n runes, at a word boundary when one is near,
// adding an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRightFunc(cut, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
}

// mdEscaper escapes every ASCII punctuation character that means something
// in CommonMark, GFM or Hugo/MkDocs templating. Escaping more than needed is
// harmless: a backslash before any ASCII punctuation is a literal.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `{`, `\{`, `}`, `\}`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `(`, `\(`, `)`, `\)`, `#`, `\#`, `+`, `\+`, `!`, `\!`,
	`|`, `\|`, `~`, `\~`, `&`, `\&`, `$`, `\$`, `%`, `\%`, `=`, `\=`, `"`, `\"`,
)

// inline renders untrusted text as one line of literal Markdown text.
func inline(s string) string {
	s = oneLine(s)
	// A hyphen at the very start could begin a list or a setext underline;
	// a digit run followed by "." or ")" could begin an ordered list.
	out := mdEscaper.Replace(s)
	// GFM turns bare URLs, www. names and e-mail addresses into links:
	// untrusted text must stay text.
	out = strings.ReplaceAll(out, "://", `\://`)
	out = strings.ReplaceAll(out, "@", `\@`)
	if hasWWW(out) {
		out = reWWW.ReplaceAllString(out, `$1\.`)
	}
	if strings.HasPrefix(out, "-") {
		out = `\` + out
	}
	return out
}

// inlineN is inline with the text first cut to n runes.
func inlineN(s string, n int) string { return inline(truncate(oneLine(s), n)) }

// cell renders untrusted text for a table cell; inline already escapes "|".
func cell(s string, n int) string {
	t := inlineN(s, n)
	if t == "" {
		return "—"
	}
	return t
}

// code renders untrusted text as an inline code span. Inline code cannot
// hold a newline or be escaped, so the span's backtick run is longer than
// any inside, and "|" is avoided for table safety by the caller.
func code(s string) string {
	s = oneLine(s)
	n := longestRun(s, '`') + 1
	ticks := strings.Repeat("`", n)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || s == "" {
		pad = " "
	}
	return ticks + pad + s + pad + ticks
}

// fence renders untrusted text as a fenced code block with language lang.
// Hugo reads shortcode delimiters even inside code blocks, so "{{<" and
// "{{%" are split with a space: the only change made to quoted text besides
// redaction.
func fence(s, lang string) string {
	s = clean(s)
	s = strings.ReplaceAll(s, "{{<", "{{ <")
	s = strings.ReplaceAll(s, "{{%", "{{ %")
	var lines []string
	for _, l := range strings.Split(strings.Trim(s, "\n"), "\n") {
		lines = append(lines, strings.TrimRightFunc(strings.ReplaceAll(l, "\t", "    "), unicode.IsSpace))
	}
	body := strings.Join(lines, "\n")
	n := longestRun(body, '`') + 1
	if n < 3 {
		n = 3
	}
	f := strings.Repeat("`", n)
	return f + lang + "\n" + body + "\n" + f
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			if cur > best {
				best = cur
			}
		} else {
			cur = 0
		}
	}
	return best
}

// yamlString renders s as a double-quoted YAML scalar. Text from issues
// goes through clean first; escapes cover quotes, backslashes and every
// non-printing character, so a value can never end the scalar or the front
// matter.
func yamlString(s string) string {
	s = oneLine(s)
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029:
			b.WriteString(`\u`)
			const hex = "0123456789abcdef"
			b.WriteByte(hex[r>>12&0xf])
			b.WriteByte(hex[r>>8&0xf])
			b.WriteByte(hex[r>>4&0xf])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// safeURL returns u if it is an absolute http(s) URL with a host, with the
// characters that could end or break a Markdown link destination
// percent-encoded; "" otherwise.
func safeURL(u string) string {
	u = strings.TrimSpace(u)
	if u == "" || (mayHoldSecret(u) && redact.Contains(u)) {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil {
		return ""
	}
	s := p.String()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(`()<>"'\`+"`"+`[]{}|^`, c) >= 0 {
			b.WriteString("%")
			b.WriteString(strings.ToUpper(string("0123456789abcdef"[c>>4])))
			b.WriteString(strings.ToUpper(string("0123456789abcdef"[c&0xf])))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// mayHoldSecret is a cheap test that lets plain issue URLs skip the
// redactor: a secret needs a query, a fragment, user info or a long token.
func mayHoldSecret(u string) bool {
	if strings.ContainsAny(u, "?=@") {
		return true
	}
	run := 0
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c == '/' || c == '#' || c == '.' || c == ':' {
			run = 0
			continue
		}
		run++
		if run >= 16 {
			return true
		}
	}
	return false
}

// link renders a Markdown link with escaped text, or the escaped text alone
// when the URL is not safe.
func link(text, u string) string {
	t := inline(text)
	if su := safeURL(u); su != "" {
		return "[" + t + "](" + su + ")"
	}
	return t
}

// ilink renders a link to another generated page: rel is built by errata
// from slugs ([a-z0-9-], "/", "." and "_" only), the text is escaped.
func ilink(text, rel string) string {
	for _, r := range rel {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-/._", r)) {
			return inline(text)
		}
	}
	return "[" + inline(text) + "](" + rel + ")"
}

var reWWW = regexp.MustCompile(`(?i)\b(www)\.`)

// hasWWW reports whether s holds "www." in any case: reWWW cannot match
// without it.
func hasWWW(s string) bool {
	for i := 0; i+3 < len(s); i++ {
		if s[i]|0x20 == 'w' && s[i+1]|0x20 == 'w' && s[i+2]|0x20 == 'w' && s[i+3] == '.' {
			return true
		}
	}
	return false
}

var slugBad = regexp.MustCompile(`[^a-z0-9]+`)

// slugify makes a path segment: lower-case ASCII letters, digits and single
// hyphens, at most max bytes, never empty, never "." or "..". Non-ASCII
// letters are dropped, so a slug cannot escape its directory or collide
// with a reserved name the caller checks.
func slugify(s string, max int) string {
	s = strings.ToLower(s)
	s = slugBad.ReplaceAllString(s, "-")
	s = strings.Trim(s, "-")
	if len(s) > max {
		s = strings.TrimRight(s[:max], "-")
	}
	return s
}

// sentenceKey is the form in which sentences are compared for repeats:
// lower-case letters and digits only.
func sentenceKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
