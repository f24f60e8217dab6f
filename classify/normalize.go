package classify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalization is the one place where masking rules live. Normalize turns
// an error text into a template: variable parts (URLs, hosts, paths, emails,
// IPs, UUIDs, hashes and hex ids, dates, times, durations, versions, ports,
// numbers and quoted user values) become placeholders such as <num>, while
// what identifies the error (error codes, exception names, HTTP statuses,
// JSON-RPC codes and the fixed words of the message) is kept.
//
// Design:
//   - The text is first cut to MaxRawLen bytes and to its first two
//     non-empty lines (as Sentry's message strategy does), so one report's
//     long log cannot produce an unbounded template.
//   - Quoted values are handled in a pre-pass with explicit boundary checks
//     (Go's RE2 has no look-around): a quote opens only at the start or
//     after a non-alphanumeric rune and closes only before one, so
//     apostrophes ("don't") are left alone. A quoted single token becomes
//     <str> unless it is an error code; a quoted phrase loses its quotes.
//   - Then every whitespace-separated chunk is split into leading
//     punctuation, a core and trailing punctuation, and the core is
//     classified by a small hand-written lexer (no regular expressions).
//   - The result is lower-cased, spaces are collapsed, decorations (log
//     levels, tags, logger locations, "X Error:" wrappers, retry notes,
//     trailing punctuation; see decorations.go) are removed, and it is cut
//     to at most MaxNormalizedLen bytes on a token boundary.
//
// Placeholders are fixed points of the lexer, so Normalize is idempotent:
// Normalize(Normalize(x)) == Normalize(x). The fuzz test checks this.

// fullwidth maps the fullwidth and CJK punctuation that error lines
// written among CJK text use to their ASCII forms, so that the template
// does not depend on the reporter's keyboard.
var fullwidth = strings.NewReplacer("：", ": ", "，", ", ", "（", " (", "）", ") ", "；", "; ", "！", "! ", "？", "? ",
	"‘", "'", "’", "'", "“", "\"", "”", "\"", "【", " [", "】", "] ", "。", ". ")

// codeContext are the words after which a small number is a status code.
var codeContext = map[string]bool{"code": true, "status": true, "errno": true, "exit": true, "signal": true}

// maxTokenLen: longer tokens are masked whole as <id>.
const maxTokenLen = 64

const (
	// MaxRawLen bounds the raw text a candidate keeps.
	MaxRawLen = 4096
	// MaxNormalizedLen bounds a normalized template.
	MaxNormalizedLen = 400
)

// Normalize returns the masked template of an error text. It is
// idempotent: a template cut to MaxNormalizedLen can end inside a token
// that masks differently on its own, so a cut template is normalized
// again until it stops changing (it only shrinks, so this ends).
func Normalize(s string) string {
	out, cut := normalizeOnce(s)
	for i := 0; cut && i < 8; i++ {
		next, _ := normalizeOnce(out)
		if next == out {
			break
		}
		out = next
	}
	return out
}

// normalizeOnce is one pass of Normalize; cut reports whether the
// template was cut to MaxNormalizedLen.
func normalizeOnce(s string) (string, bool) {
	s = cutBytes(s, MaxRawLen)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.ToLower(fullwidth.Replace(firstLines(s, 2)))
	s = maskQuotes(s)
	var b strings.Builder
	b.Grow(len(s))
	prev := ""
	for _, chunk := range strings.Fields(s) {
		tok := normalizeChunk(chunk)
		if tok == "" {
			continue
		}
		// An exit status or errno number names the failure as an HTTP
		// status does ("exit code 137", "errno 13"): keep it.
		if core := strings.Trim(chunk, edgePunct); codeContext[prev] && len(core) <= 3 && isDigits(core) {
			tok = strings.Replace(tok, "<num>", core, 1)
		}
		prev = strings.Trim(tok, edgePunct)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(tok)
	}
	out := tidy(strings.ToLower(b.String()))
	cut := len(out) > MaxNormalizedLen
	if cut {
		at := strings.LastIndexByte(out[:MaxNormalizedLen], ' ')
		if at <= 0 {
			at = MaxNormalizedLen
			for at > 0 && !utf8.RuneStart(out[at]) {
				at--
			}
		}
		out = strings.TrimSpace(out[:at])
	}
	if !utf8.ValidString(out) {
		out = strings.ToValidUTF8(out, "")
	}
	return tidy(out), cut
}

// tidy collapses repeated placeholders and strips decorations until
// neither changes anything (each can expose work for the other).
func tidy(s string) string {
	for range 8 {
		t := stripDecorations(collapseRepeats(s))
		if t == s {
			break
		}
		s = t
	}
	return s
}

// cutBytes cuts s to at most n bytes on a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// firstLines keeps the first n non-empty lines of s, joined by a space.
func firstLines(s string, n int) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		out = append(out, line)
		if len(out) == n {
			break
		}
	}
	return strings.Join(out, " ")
}

func isQuote(r byte) bool { return r == '"' || r == '\'' || r == '`' }

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// maskQuotes replaces quoted single tokens by <str> (or by the token itself
// when it is an error code) and strips the quotes around quoted phrases.
func maskQuotes(s string) string {
	if !strings.ContainsAny(s, "\"'`") {
		return s
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		// '>' and '<' count as word bytes around quotes because they end and
		// start placeholders: a quote next to one must be read the same way
		// on a second pass.
		if !isQuote(c) || (i > 0 && (isWordByte(s[i-1]) || s[i-1] == '>')) {
			b.WriteByte(c)
			i++
			continue
		}
		// find the closing quote of the same kind on the same line, followed
		// by a non-word byte.
		end := -1
		for j := i + 1; j < len(s) && j-i <= 120; j++ {
			if s[j] == '\n' {
				break
			}
			if s[j] == c && (j+1 == len(s) || !isWordByte(s[j+1]) && s[j+1] != '<') {
				end = j
				break
			}
		}
		if end < 0 || end == i+1 {
			// an opening quote without its partner is dropped, so that a
			// later pass cannot pair it differently
			i++
			if end == i {
				i++
			}
			continue
		}
		inner := strings.TrimSpace(s[i+1 : end])
		switch {
		case inner == "":
		case !strings.ContainsAny(inner, " \t"):
			if isCodeToken(inner) || isPlaceholder(inner) {
				b.WriteString(inner)
			} else {
				b.WriteString("<str>")
			}
		default:
			b.WriteString(maskQuotes(inner))
		}
		i = end + 1
	}
	return b.String()
}

const leadPunct = "([{\"'`*<"
const trailPunct = ")]}\"'`,;:.!?*>"

// edgePunct is leadPunct and trailPunct together, each character once.
const edgePunct = "([{\"'`*<)]},;:.!?>"

// normalizeChunk masks one whitespace-separated chunk.
func normalizeChunk(chunk string) string {
	if isPlaceholder(chunk) {
		return chunk
	}
	start, end := 0, len(chunk)
	for start < end && strings.IndexByte(leadPunct, chunk[start]) >= 0 && !isPlaceholder(chunk[start:end]) && !hasPlaceholderPrefix(chunk[start:end]) {
		start++
	}
	for end > start && strings.IndexByte(trailPunct, chunk[end-1]) >= 0 && !hasPlaceholderSuffix(chunk[start:end]) {
		end--
	}
	lead, core, trail := chunk[:start], chunk[start:end], chunk[end:]
	// Punctuation runs are noise in a template; keep at most one mark.
	lead = squeezePunct(lead)
	trail = squeezePunct(trail)
	if core == "" {
		return ""
	}
	return lead + maskCore(core) + trail
}

// squeezePunct keeps one mark of a punctuation run, never a quote (a
// quote left next to other text could pair differently on a second pass).
func squeezePunct(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if !isQuote(p[i]) {
			return p[i : i+1]
		}
	}
	return ""
}

var placeholders = map[string]bool{
	"<num>": true, "<url>": true, "<host>": true, "<path>": true, "<email>": true,
	"<ip>": true, "<uuid>": true, "<hex>": true, "<date>": true, "<time>": true,
	"<duration>": true, "<version>": true, "<str>": true, "<id>": true,
}

func isPlaceholder(s string) bool {
	return len(s) > 2 && s[0] == '<' && placeholders[strings.ToLower(s)]
}

func hasPlaceholderPrefix(s string) bool {
	if len(s) < 3 || s[0] != '<' {
		return false
	}
	i := strings.IndexByte(s, '>')
	return i > 0 && placeholders[strings.ToLower(s[:i+1])]
}

func hasPlaceholderSuffix(s string) bool {
	if len(s) < 3 || s[len(s)-1] != '>' {
		return false
	}
	i := strings.LastIndexByte(s, '<')
	return i >= 0 && placeholders[strings.ToLower(s[i:])]
}

// maskCore classifies one token core (no surrounding punctuation). A
// token that would be masked whole as an id or a path but joins words with
// colons ("lib_routines:read_record:bad length", "length:src/io.c") is masked
// part by part, so the words that name the error survive.
func maskCore(t string) string {
	m := maskWhole(t)
	if (m != "<id>" && m != "<path>") || !strings.Contains(t, ":") || strings.Contains(t, "://") {
		return m
	}
	parts := strings.Split(t, ":")
	word := false
	for i, p := range parts {
		if p == "" {
			continue
		}
		parts[i] = maskWhole(p)
		// a word counts only if it survives masking ("deadbeef" is <hex>)
		if isWord(p) && parts[i] == p {
			word = true
		}
	}
	if !word {
		return m
	}
	return strings.Join(parts, ":")
}

// isWord: letters only, at least two.
func isWord(s string) bool {
	if len(s) < 2 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func maskWhole(t string) string {
	if isPlaceholder(t) {
		return strings.ToLower(t)
	}
	if isCodeToken(t) {
		return t
	}
	lt := strings.ToLower(t)
	if hasURLScheme(lt) {
		return "<url>"
	}
	if len(t) > maxTokenLen {
		// no error message has such words: blobs, keys, encoded data
		return "<id>"
	}
	// name@version (npm packages, docker images)
	if at := strings.LastIndexByte(t, '@'); at > 0 && at < len(t)-1 && isVersion(t[at+1:]) {
		return maskCore(t[:at]) + "@<version>"
	}
	if strings.IndexByte(t, '@') > 0 && isEmail(t) {
		return "<email>"
	}
	// key=value: keep the key, mask the value.
	if eq := strings.IndexByte(t, '='); eq > 0 && eq <= maxTokenLen && eq < len(t)-1 && isIdent(t[:eq]) {
		return t[:eq] + "=" + maskValue(t[eq+1:])
	}
	switch {
	case isUUID(t):
		return "<uuid>"
	case isDate(t):
		return "<date>"
	case isClock(t):
		return "<time>"
	case isIPv4Port(t):
		return "<ip>"
	case isIPv6(t):
		return "<ip>"
	case isPathLike(t):
		return "<path>"
	case isVersion(t):
		return "<version>"
	case isStatusOrRPC(t):
		return t
	case isNumber(t):
		return "<num>"
	case isDuration(t):
		return "<duration>"
	case isHexID(t):
		return "<hex>"
	case isHostname(lt):
		return "<host>"
	case isOpaqueID(t):
		return "<id>"
	}
	return t
}

func maskValue(v string) string {
	if isPlaceholder(v) {
		return strings.ToLower(v)
	}
	if isCodeToken(v) || strings.EqualFold(v, "true") || strings.EqualFold(v, "false") {
		return v
	}
	m := maskCore(v)
	if m == v && !containsPlaceholder(v) {
		return "<str>"
	}
	return m
}

func containsPlaceholder(s string) bool {
	for i := strings.IndexByte(s, '<'); i >= 0 && i < len(s); {
		if hasPlaceholderPrefix(s[i:]) {
			return true
		}
		j := strings.IndexByte(s[i+1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func hasURLScheme(lt string) bool {
	i := strings.Index(lt, "://")
	if i <= 0 || i > 12 {
		return false
	}
	for j := 0; j < i; j++ {
		c := lt[j]
		if !(c >= 'a' && c <= 'z' || c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isEmail(t string) bool {
	at := strings.IndexByte(t, '@')
	if at <= 0 || at != strings.LastIndexByte(t, '@') {
		return false
	}
	dom := t[at+1:]
	return strings.IndexByte(dom, '.') > 0 && !strings.HasSuffix(dom, ".")
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isUUID(t string) bool {
	if len(t) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if t[i] != '-' {
				return false
			}
		} else if !isHex(t[i : i+1]) {
			return false
		}
	}
	return true
}

// isIPv4Port: a.b.c.d with an optional :port.
func isIPv4Port(t string) bool {
	if c := strings.LastIndexByte(t, ':'); c > 0 {
		if !isDigits(t[c+1:]) {
			return false
		}
		t = t[:c]
	}
	parts := strings.Split(t, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if !isDigits(p) || len(p) > 3 {
			return false
		}
	}
	return true
}

// isIPv6: hex groups separated by colons, at least two colons and one hex digit.
func isIPv6(t string) bool {
	t = strings.TrimPrefix(strings.TrimSuffix(t, "]"), "[")
	if strings.Count(t, ":") < 2 || len(t) > 45 {
		return false
	}
	hasHex := false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == ':' || c == '.':
		case isHex(t[i : i+1]):
			hasHex = true
		default:
			return false
		}
	}
	return hasHex
}

// isDate: YYYY-MM-DD or YYYY/MM/DD, optionally followed by T and a time.
func isDate(t string) bool {
	if len(t) < 10 {
		return false
	}
	if !(isDigits(t[0:4]) && (t[4] == '-' || t[4] == '/') && isDigits(t[5:7]) && t[7] == t[4] && isDigits(t[8:10])) {
		return false
	}
	rest := t[10:]
	if rest == "" {
		return true
	}
	if rest[0] == 'T' || rest[0] == 't' || rest[0] == '_' || rest[0] == ' ' {
		return isClock(rest[1:]) || len(rest) > 1 && isDigits(rest[1:2])
	}
	return false
}

// isClock: HH:MM[:SS[.fff]][Z|±hh:mm]
func isClock(t string) bool {
	if len(t) < 5 || !isDigits(t[0:2]) || t[2] != ':' || !isDigits(t[3:5]) {
		return false
	}
	for i := 5; i < len(t); i++ {
		c := t[i]
		if !(c >= '0' && c <= '9' || c == ':' || c == '.' || c == ',' || c == 'Z' || c == 'z' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

var codeExtensions = map[string]bool{
	"js": true, "mjs": true, "cjs": true, "ts": true, "tsx": true, "jsx": true, "py": true, "go": true,
	"rs": true, "java": true, "kt": true, "rb": true, "php": true, "json": true, "yaml": true, "yml": true,
	"toml": true, "md": true, "txt": true, "log": true, "sh": true, "ps1": true, "exe": true, "dll": true,
	"so": true, "dylib": true, "cs": true, "cpp": true, "c": true, "h": true, "swift": true, "lock": true,
	"env": true, "ini": true, "cfg": true, "conf": true, "html": true, "css": true, "vue": true, "zip": true,
	"tar": true, "gz": true, "pem": true, "crt": true, "key": true, "node": true, "jar": true, "whl": true,
	"ipynb": true, "sql": true, "xml": true, "csv": true,
}

// pathBackslashes: t has a backslash other than a JSON escape (\" or \n
// in a logged body, or one left at the end where a quote was cut off).
func pathBackslashes(t string) bool {
	for i := 0; i < len(t); i++ {
		if t[i] != '\\' {
			continue
		}
		for i+1 < len(t) && t[i+1] == '\\' {
			i++ // escaped twice: \\\" in a body logged inside another
		}
		if i+1 == len(t) || t[i+1] == '"' || t[i+1] == 'n' && (i+2 == len(t) || !isAlnum(t[i+2])) {
			continue
		}
		return true
	}
	return false
}

func isPathLike(t string) bool {
	if strings.HasPrefix(t, "/") || strings.HasPrefix(t, "~/") || strings.HasPrefix(t, "./") || strings.HasPrefix(t, "../") {
		return len(t) > 1
	}
	if len(t) >= 3 && t[1] == ':' && (t[2] == '\\' || t[2] == '/') {
		return true // C:\...
	}
	if pathBackslashes(t) && len(t) > 2 {
		return true
	}
	if i := strings.IndexByte(t, '/'); i > 0 && i < len(t)-1 && strings.Count(t, "/") >= 2 {
		return true
	}
	// file.ext or file.ext:line:col
	base := t
	if c := strings.IndexByte(base, ':'); c > 0 {
		rest := base[c+1:]
		if isDigits(strings.SplitN(rest, ":", 2)[0]) {
			base = base[:c]
		}
	}
	if dot := strings.LastIndexByte(base, '.'); dot > 0 && dot < len(base)-1 {
		return codeExtensions[strings.ToLower(base[dot+1:])] && isIdent(base[:dot])
	}
	return false
}

// isVersion: v?N.N[.N...][-pre][+build]
func isVersion(t string) bool {
	s := t
	if len(s) > 1 && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	if i := strings.IndexAny(s, "-+"); i > 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 5 {
		return false
	}
	for _, p := range parts {
		if !isDigits(p) && p != "x" && p != "*" {
			return false
		}
	}
	if len(parts) == 2 && t[0] != 'v' && t[0] != 'V' {
		// "1.5" is a plain number unless it carries a prefix or suffix.
		return len(s) != len(t)
	}
	return true
}

func isNumber(t string) bool {
	s := strings.TrimLeft(t, "+-#~$")
	if s == "" || len(s) < len(t)-1 {
		return false
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "%"), "x")
	seenDigit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			seenDigit = true
		case c == '.' || c == ',' || c == '_':
		default:
			return false
		}
	}
	return seenDigit
}

var durationUnits = []string{"ms", "us", "µs", "ns", "s", "sec", "secs", "m", "min", "mins", "h", "hr", "hrs", "d", "k", "kb", "mb", "gb", "tb", "b"}

func isDuration(t string) bool {
	lt := strings.ToLower(t)
	i := 0
	for i < len(lt) && (lt[i] >= '0' && lt[i] <= '9' || lt[i] == '.') {
		i++
	}
	if i == 0 || i == len(lt) {
		return false
	}
	unit := lt[i:]
	for _, u := range durationUnits {
		if unit == u {
			return true
		}
	}
	return false
}

// isHexID: 0x-prefixed hex, or 7+ hex digits of one letter case mixing
// letters and digits, or 16+ hex digits.
func isHexID(t string) bool {
	if len(t) > 2 && (t[:2] == "0x" || t[:2] == "0X") && isHex(t[2:]) {
		return true
	}
	if len(t) < 7 || !isHex(t) {
		return false
	}
	if len(t) >= 16 {
		return true
	}
	digits, letters := 0, 0
	for i := 0; i < len(t); i++ {
		if t[i] >= '0' && t[i] <= '9' {
			digits++
		} else {
			letters++
		}
	}
	return digits > 0 && letters > 0
}

var tlds = map[string]bool{
	"com": true, "org": true, "net": true, "io": true, "ai": true, "dev": true, "app": true, "co": true,
	"edu": true, "gov": true, "us": true, "uk": true, "de": true, "cn": true, "jp": true, "fr": true,
	"ru": true, "in": true, "br": true, "eu": true, "me": true, "sh": true, "so": true, "cloud": true,
	"tech": true, "xyz": true, "info": true, "biz": true, "local": true, "internal": true, "localhost": true,
	"run": true, "site": true, "page": true, "nl": true, "ca": true, "au": true, "kr": true, "lt": true,
	"pl": true, "es": true, "it": true, "ch": true, "se": true, "tv": true, "gg": true, "to": true,
}

// isHostname: dotted labels ending with a common TLD, optional :port.
func isHostname(lt string) bool {
	if c := strings.LastIndexByte(lt, ':'); c > 0 && isDigits(lt[c+1:]) {
		lt = lt[:c]
		if lt == "localhost" {
			return true
		}
	}
	dot := strings.LastIndexByte(lt, '.')
	if dot <= 0 || !tlds[lt[dot+1:]] {
		return false
	}
	for i := 0; i < dot; i++ {
		c := lt[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// isOpaqueID: tokens mixing letters and digits around a separator
// ("ws_77", "org-123", model snapshots), or long tokens mixing letters and
// digits (request ids, keys): 8+ bytes with 3+ digits, or 20+ bytes.
func isOpaqueID(t string) bool {
	digits, letters, seps := 0, 0, 0
	for _, r := range t {
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsLetter(r):
			letters++
		case r == '_' || r == '-':
			seps++
		}
	}
	if digits > 0 && letters > 0 && seps > 0 {
		return true // ws_77, org-123, model-4o
	}
	if len(t) < 8 {
		return false
	}
	if letters == 0 {
		return digits > 0
	}
	return digits >= 3 || (len(t) >= 20 && digits > 0)
}

// isStatusOrRPC keeps HTTP statuses 4xx/5xx and JSON-RPC codes
// (-32768..-32000) as they identify errors.
func isStatusOrRPC(t string) bool {
	if len(t) == 3 && isDigits(t) && (t[0] == '4' || t[0] == '5') {
		return true
	}
	if len(t) == 6 && t[0] == '-' && isDigits(t[1:]) && t[1:3] == "32" {
		return true
	}
	return false
}

// collapseRepeats merges runs of the same placeholder ("<num> <num>").
func collapseRepeats(s string) string {
	if !strings.Contains(s, "> <") {
		return s
	}
	f := strings.Split(s, " ")
	out := f[:0]
	for i, w := range f {
		if i > 0 && isPlaceholder(w) && w == out[len(out)-1] {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}
