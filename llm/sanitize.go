package llm

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/errata-tool/errata/classify/redact"
)

var (
	reHTMLComment = regexp.MustCompile(`(?s)<!--.*?(-->|$)`)
	// reTag matches anything shaped like an HTML tag, a declaration, a
	// processing instruction or an autolink.
	reTag      = regexp.MustCompile(`<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>|<[!?][^<>]*>|<[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]*>`)
	reImage    = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	reLink     = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	reRefDef   = regexp.MustCompile(`\[[^\]]*\]:\s*\S+`)
	reURL      = regexp.MustCompile(`(?i)\b(?:https?|ftp|file|javascript|data|vbscript):[^\s<>"'` + "`" + `)\]]*|\bwww\.[^\s<>"'` + "`" + `)\]]+`)
	reCiteMark = regexp.MustCompile(`\s*\[(?:(?:source|src|#)\s*)?\d+(?:\s*[,;]\s*(?:(?:source|src|#)\s*)?\d+)*\]`)
	reSpaces   = regexp.MustCompile(`\s+`)
	reLead     = regexp.MustCompile(`^(?:[#>*+=|~-]+|\d+[.)])\s*`)
	reRule     = regexp.MustCompile(`[-=_*~#]{3,}`)
	reEntity   = regexp.MustCompile(`&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);`)
)

// htmlElements are tag names removed outright; other <word> shapes (type
// parameters, placeholders like <path>) are kept as inline code.
var htmlElements = map[string]bool{}

func init() {
	for _, t := range strings.Fields(`a abbr address area article aside audio b base bdi bdo blockquote body br button
canvas caption cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset
figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hr html i iframe img input ins
kbd label legend li link main map mark marquee math menu meta meter nav noscript object ol optgroup option
output p param picture pre progress q rp rt ruby s samp script section select slot small source span strike
strong style sub summary sup svg table tbody td template textarea tfoot th thead time title tr track u ul var
video wbr xmp plaintext base`) {
		htmlElements[t] = true
	}
}

// Sanitize makes model output (or any untrusted text) safe to place in a
// page as one line of inline text: secrets redacted; control characters,
// line breaks and HTML removed (comments, tags, declarations, entities);
// links and images reduced to their text; URLs removed (pages link sources
// themselves); inline citation marks like "[3]" removed (citations travel
// separately); code fences removed and unbalanced backticks dropped; no
// Markdown block syntax at the start; whitespace collapsed; at most max
// bytes (0 = no limit), cut at a word boundary.
//
// <word> shapes that are not HTML elements and carry no attributes (for
// example Vec<String> or <path>, common in error messages) are kept as
// text: the result is still untrusted text, and renderers must escape it
// the way they escape evidence (reports/pages does).
func Sanitize(s string, max int) string {
	s = redact.String(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r == '\u2028' || r == '\u2029':
			return ' '
		case unicode.IsControl(r), r == '\uFEFF', r == '\u200B', r == '\u202E', r == '\u202D', r == '\u2066', r == '\u2067', r == '\u2068', r == '\u2069':
			return -1
		}
		return r
	}, s)
	s = strings.ReplaceAll(s, "```", "")
	s = strings.ReplaceAll(s, "~~~", "")
	s = reHTMLComment.ReplaceAllString(s, "")
	s = reImage.ReplaceAllString(s, "$1")
	s = reLink.ReplaceAllString(s, "$1")
	s = reRefDef.ReplaceAllString(s, "")
	s = reTag.ReplaceAllStringFunc(s, func(m string) string {
		sub := reTag.FindStringSubmatch(m)
		name := strings.ToLower(sub[2])
		if name == "" || sub[1] != "" || htmlElements[name] || strings.TrimSpace(sub[3]) != "" {
			return ""
		}
		return m
	})
	// Removing a tag can join the pieces of another ("<scr<b>ipt>"): run
	// the removal to a fixed point.
	for i := 0; i < 3; i++ {
		t := reTag.ReplaceAllStringFunc(s, func(m string) string {
			sub := reTag.FindStringSubmatch(m)
			if sub[2] != "" && sub[1] == "" && !htmlElements[strings.ToLower(sub[2])] && strings.TrimSpace(sub[3]) == "" {
				return m
			}
			return ""
		})
		if t == s {
			break
		}
		s = t
	}
	s = reEntity.ReplaceAllString(s, "")
	s = reRule.ReplaceAllString(s, " ")
	s = reURL.ReplaceAllString(s, "")
	s = reCiteMark.ReplaceAllString(s, "")
	if strings.Count(s, "`")%2 != 0 {
		s = strings.ReplaceAll(s, "`", "")
	}
	s = reSpaces.ReplaceAllString(s, " ")
	s = strings.TrimSpace(s)
	for {
		t := strings.TrimSpace(reLead.ReplaceAllString(s, ""))
		if t == s {
			break
		}
		s = t
	}
	if max > 0 && len(s) > max {
		s = cutWords(s, max)
	}
	return s
}

// cutWords shortens s to at most max bytes at a word boundary, adding "…",
// and keeps backticks balanced.
func cutWords(s string, max int) string {
	limit := max - len("…")
	if limit < 1 {
		limit = 1
	}
	cut := limit
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > limit/2 {
		cut = sp
	}
	out := strings.TrimRight(s[:cut], " ,;:-") + "…"
	if strings.Count(out, "`")%2 != 0 {
		out = strings.ReplaceAll(out, "`", "")
	}
	return out
}
