package pages

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/errata-tool/errata/store"
)

// Titles. A page's title is what a developer types into a search box: what
// failed and the error, such as "OAuth login fails with invalid_scope: the
// requested scope is invalid". It is built here, deterministically, from
// the cluster's title and signature: a bare code gets the thing that
// failed and its meaning in words; a message is cut at a clause boundary,
// never inside a clause when a boundary is near; the signature itself
// stays in its own section. A title written by a language model is kept.

// subjects name what failed, by the words of the error; the first that
// matches wins, most specific first.
var subjects = []struct {
	re      *regexp.Regexp
	subject string
}{
	{regexp.MustCompile(`(?i)oauth|invalid_(?:scope|client|grant)|client_id|redirect_uri|unauthorized_client|access_denied|\bscopes?\b|protected resource`), "OAuth login"},
	{regexp.MustCompile(`(?i)\b429\b|rate[ _-]?limit|too many requests|quota`), "API requests"},
	{regexp.MustCompile(`(?i)certificate|x509|self[- ]signed|unable_to_verify|cert_|\bssl\b|\btls\b`), "TLS connection"},
	{regexp.MustCompile(`(?i)getaddrinfo|enotfound|eai_again|no such host`), "DNS lookup"},
	{regexp.MustCompile(`(?i)econnrefused|econnreset|etimedout|connection (?:refused|reset|closed)|timed out|socket hang up`), "Connection"},
	{regexp.MustCompile(`(?i)\bmcp\b|json-?rpc|-326\d\d|-320\d\d|method not found`), "MCP server call"},
	{regexp.MustCompile(`(?i)fetch failed|network error`), "Network request"},
	{regexp.MustCompile(`(?i)\bmodel\b|context length|max_tokens|invalid_request_error|overloaded|\btools?\b|\bmessages?\b|\bapi error\b|\bprompt\b`), "LLM API request"},
	{regexp.MustCompile(`(?i)\bgit\b|\brepository\b`), "Git command"},
	{regexp.MustCompile(`(?i)importerror|modulenotfounderror|cannot import|no module named`), "Python import"},
	{regexp.MustCompile(`(?i)recursionerror|recursion depth`), "Python program"},
	{regexp.MustCompile(`(?i)cannot find module|err_module|npm err|\bnpm\b`), "Node.js module loading"},
	{regexp.MustCompile(`(?i)\bspawn\b|enametoolong|e2big`), "Starting a process"},
	{regexp.MustCompile(`(?i)\be(?:perm|acces|busy|noent|exist|isdir|notdir)\b|no such file|permission denied|resource busy|\brename\b`), "File operation"},
	{regexp.MustCompile(`(?i)\b413\b|payload too large|too large`), "Upload"},
	{regexp.MustCompile(`(?i)json|syntaxerror|parse`), "Parsing a response"},
}

// codeMeaning is a few words for a bare code a title names.
var codeMeaning = map[string]string{
	"invalid_scope":                   "the requested scope is invalid",
	"invalid_client":                  "client authentication failed",
	"invalid_grant":                   "the grant is invalid or expired",
	"invalid_request":                 "a required parameter is missing or malformed",
	"unauthorized_client":             "the client may not use this grant type",
	"access_denied":                   "the authorization was declined",
	"invalid_token":                   "the access token is expired or invalid",
	"invalid_request_error":           "the API rejected the request",
	"overloaded_error":                "the provider is over capacity",
	"rate_limit_error":                "the rate limit was exceeded",
	"authentication_error":            "the API key was not accepted",
	"permission_error":                "the key may not use this resource",
	"not_found_error":                 "the resource does not exist",
	"api_error":                       "the provider failed to handle the request",
	"unable_to_verify_leaf_signature": "the server certificate could not be verified",
	"self_signed_cert_in_chain":       "a self-signed certificate is in the chain",
	"depth_zero_self_signed_cert":     "the server uses a self-signed certificate",
	"cert_has_expired":                "the server certificate has expired",
	"econnrefused":                    "connection refused",
	"econnreset":                      "connection reset by the other side",
	"etimedout":                       "the connection timed out",
	"enotfound":                       "the host name could not be resolved",
	"eai_again":                       "the DNS lookup failed temporarily",
}

var (
	reTitlePrefix = regexp.MustCompile(`(?i)^(?:\[[\w.-]{1,20}\]\s*|\d{1,6}\s*:\s+|[\[\]{(\x60'"\s]+|(?:error|fatal|api error|error message|error code|err|exception|uncaught|warning|hint|note|tip)\s*[:!-]\s*)+`)
	// reMeans matches an explanation ("Exit code 137 typically means the
	// process ran out of memory"): the code, then what it means.
	reMeans      = regexp.MustCompile(`(?i)^(.{3,60}?)\s+(?:[a-z]+ly\s+)?means\s+(?:that\s+)?(.{8,})$`)
	reBareCode   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+$|^E[A-Z0-9]{3,}$`)
	reFailedVerb = regexp.MustCompile(`(?i)\b(?:fail(?:s|ed|ing)?|cannot|can't|could not|unable|not found|not allowed|refused|denied|invalid|does not|doesn't|exceeded|expired|timed out|error|unsupported|not supported|must|too)\b`)
	reListMarker = regexp.MustCompile(`^\s*(?:[-*+•]|\d{1,3}[.)])\s+`)
	reLeadIn     = regexp.MustCompile(`(?i)\b(?:is|was|are|were|this|following|like)\s*[:.…]?\s*$`)
	// reColonEnd is a title that stops at a colon (of any script): what
	// it announced is in the signature.
	reColonEnd = regexp.MustCompile(`[:：]\s*$`)
	// reOpenSSL is OpenSSL's error line: pid:error:code:library:function:
	// reason, of which the library and the reason are what a reader needs.
	reOpenSSL = regexp.MustCompile(`(?i)^(?:<num>|\d+):error:(?:<hex>|[0-9a-f]+):([^:]+):(?:<id>|[a-z0-9_]+):([^:]+)`)
	// reObjectCode finds the code inside an object literal or a JSON
	// fragment ("{ code: 'ECONNRESET', ... }", "\"detail\":{\"code\":\"X_Y\"").
	reObjectCode  = regexp.MustCompile(`(?i)\b(?:code|message|error|type|errno)['"]?\s*:\s*['"]?([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+|E[A-Z0-9]{3,})\b`)
	reObjectLead  = regexp.MustCompile(`^\s*(?:\{|['"]?[\w-]+['"]?\s*:\s*[{'"])`)
	reFirstPerson = regexp.MustCompile(`(?i)\b(?:i|i'm|we|my|our|me)\b`)
	reInlineError = regexp.MustCompile(`(?i)(?:\b(?:error|fatal|exception)|错误|錯誤|エラー)\s*[:：]\s*`)
	reMasked      = regexp.MustCompile(`<(?:str|num|id|url|ip|host|path|hex|uuid|\*)>`)
)

// pageTitle is the page's title as plain (clean) text.
func pageTitle(c *store.PageCluster) string {
	if c.TitleModel != "" {
		if t := oneLine(c.Title); t != "" {
			return truncate(t, titleMax)
		}
	}
	if t := searchTitle(c); hasWord(t) {
		return t
	}
	t := oneLine(c.Title)
	if !hasWord(t) {
		t = oneLine(c.Signature)
	}
	if !hasWord(t) {
		t = "Error cluster " + fmt.Sprint(c.ID)
	}
	return truncate(t, titleMax)
}

// hasWord reports whether a title candidate holds a word (three letters in
// a row, or one CJK character, once masks such as <num> are removed):
// "1: 1" or "<num>: <num>" names nothing a reader could search for.
func hasWord(s string) bool {
	run := 0
	for _, r := range reMasked.ReplaceAllString(s, " ") {
		switch {
		case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r):
			return true
		case unicode.IsLetter(r):
			if run++; run >= 3 {
				return true
			}
		default:
			run = 0
		}
	}
	return false
}

// searchTitle builds "what fails with the error: its meaning" from the
// cluster's title and signature; "" when they hold no message.
func searchTitle(c *store.PageCluster) string {
	raw := oneLine(c.Title)
	msg := strings.TrimRight(raw, "…")
	sig := oneLine(c.Signature)
	// Markdown emphasis around a title is not part of it.
	msg = strings.TrimSpace(strings.Trim(msg, "*_ "))
	// A title that only leads in ("The error I get is:", "after doing X
	// I get this error:") names nothing: the signature holds the message
	// that followed.
	if msg == "" || reLeadIn.MatchString(msg) || reColonEnd.MatchString(msg) && len(sig) > len(msg)+3 {
		msg = sig
	}
	// An object literal or a JSON fragment names its code.
	if reObjectLead.MatchString(msg) {
		if m := reObjectCode.FindStringSubmatch(msg); m != nil {
			msg = m[1]
		}
	}
	if strings.HasSuffix(raw, "…") && msg != sig {
		msg = continueCut(msg, sig)
	}
	if t := openSSLTitle(msg, sig); t != "" {
		msg = t
	}
	msg = stripPrefixes(msg)
	if m := reMeans.FindStringSubmatch(msg); m != nil && !strings.ContainsAny(m[1], ".;") {
		// "X means Y" explains an error: the title is "X: Y".
		msg = m[1] + ": " + m[2]
	}
	msg = dropVariable(clause(msg), sig)
	if msg == "" {
		return ""
	}
	words := c.Signature + " " + c.Title
	subject := ""
	for _, s := range subjects {
		if s.re.MatchString(words) {
			subject = s.subject
			break
		}
	}
	// A status code alone: "HTTP 400", with the message the signature
	// carries in its body when there is one.
	if m := reStatusLead.FindString(msg); m != "" && !reStatus.MatchString(msg) {
		msg = "HTTP " + m + ": " + lowerFirst(strings.TrimLeft(msg[len(m):], " :-"))
	}
	if reStatus.MatchString(msg) {
		msg = "HTTP " + msg
		if d := sigDetail(sig); d != "" {
			msg += ": " + d
		}
	}
	// A report's own sentence ("I'm trying to ...") is not an error
	// message: name the code instead.
	if l := strings.ToLower(msg); hasPrefixAny(l, "i ", "i'm ", "we ", "you ", "when ") {
		if g := terms([]string{c.Signature, c.Title}, 1); len(g) > 0 {
			msg = g[0].code
		} else {
			return ""
		}
	}
	if reBareCode.MatchString(msg) {
		t := msg
		if subject != "" {
			t = subject + failVerb(subject) + " with " + msg
		}
		if m := codeMeaning[strings.ToLower(msg)]; m != "" {
			t += ": " + m
		}
		return t
	}
	// A message that already says what failed, or names the subject,
	// stands alone.
	if subject == "" || startsWithFailure(msg) || countWords(msg) >= 4 && namesSubject(msg, subject) {
		return upperFirst(msg)
	}
	verb := failVerb(subject)
	if !reFailedVerb.MatchString(msg) || strings.HasPrefix(msg, "HTTP ") {
		return subject + verb + " with " + lowerFirst(msg)
	}
	return subject + verb + ": " + lowerFirst(msg)
}

var (
	reStatus     = regexp.MustCompile(`^[1-5]\d\d$`)
	reStatusLead = regexp.MustCompile(`^[1-5]\d\d\b`)
	reKeyPrefix  = regexp.MustCompile(`(?i)^(?:message|detail|error_description|description|reason)['"]?\s*:\s*['"]?`)
	reWordError  = regexp.MustCompile(`^[A-Z][A-Za-z]* [Ee]rror:\s+`)
	reVariable   = regexp.MustCompile(`://|[/\\]|^\W*\d+\.\d+\.\d+\.\d+|^\W*[\w-]+\.[\w-]+\.[a-z]{2,}\b`)
)

// stripPrefixes removes what only wraps a message: "Error:", "fatal:", a
// JSON key, "OAuth Error:", brackets and quotes.
func stripPrefixes(msg string) string {
	// A step of the report's list ("5. Run it, then fatal: X", "- Error:
	// X"): the marker goes, and prose before an error label goes with it.
	// So does a reporter's own lead-in ("the error I keep getting is
	// Error: X").
	listed := false
	if m := reListMarker.FindString(msg); m != "" {
		msg, listed = msg[len(m):], true
	}
	if loc := reInlineError.FindStringIndex(msg); loc != nil && loc[0] > 0 && len(msg)-loc[1] >= 6 &&
		(listed || reFirstPerson.MatchString(msg[:loc[0]])) {
		msg = msg[loc[1]:]
	}
	for i := 0; i < 4; i++ {
		before := msg
		msg = reTitlePrefix.ReplaceAllString(msg, "")
		msg = reKeyPrefix.ReplaceAllString(msg, "")
		if l := strings.ToLower(msg); strings.HasPrefix(l, "error error") {
			msg = msg[len("error "):]
		}
		if m := reWordError.FindString(msg); m != "" && len(msg) > len(m)+10 {
			msg = msg[len(m):]
		}
		// A reporter's "Sometimes Widget failed": how often is not the
		// error.
		if w, rest, ok := strings.Cut(msg, " "); ok && frequency[strings.ToLower(w)] {
			if r, _ := utf8.DecodeRuneInString(rest); unicode.IsUpper(r) {
				msg = rest
			}
		}
		if msg == before {
			break
		}
	}
	return strings.TrimSpace(msg)
}

// frequency are the adverbs a reporter puts before a pasted message.
var frequency = map[string]bool{"often": true, "sometimes": true, "always": true, "randomly": true, "intermittently": true,
	"occasionally": true, "frequently": true, "constantly": true, "again": true, "still": true}

// dropVariable removes the words of msg that vary between reports (hosts,
// paths, URLs, addresses) when the signature masks them.
func dropVariable(msg, sig string) string {
	ls := strings.ToLower(sig)
	var keep []string
	for _, w := range strings.Fields(msg) {
		core := strings.Trim(w, "'\"`()[]{}<>,;")
		if reVariable.MatchString(core) && !strings.Contains(ls, strings.ToLower(core)) {
			continue
		}
		keep = append(keep, w)
	}
	out := strings.Join(keep, " ")
	out = strings.TrimRight(out, " .:,;-[(")
	out = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(out, "->"), "=>"))
	out = strings.TrimRight(out, " .:,;-[(")
	out = trimDangling(out)
	// Unbalanced brackets left by a cut are dropped.
	if strings.Count(out, "[") != strings.Count(out, "]") {
		out = strings.NewReplacer("[", "", "]", "").Replace(out)
	}
	if strings.Count(out, "(") != strings.Count(out, ")") {
		out = strings.NewReplacer("(", "", ")", "").Replace(out)
	}
	return strings.TrimSpace(out)
}

// dangling are words that need what follows them: a title cut after one
// ("widget refused on call to", once the URL is dropped) ends before it.
var dangling = map[string]bool{"to": true, "for": true, "with": true, "of": true, "on": true, "in": true, "at": true,
	"from": true, "by": true, "and": true, "or": true, "the": true, "a": true, "an": true, "via": true, "into": true,
	"than": true, "as": true, "is": true, "are": true, "was": true, "which": true}

// trimDangling drops dangling words (and the commas before them) from the
// end of a title.
func trimDangling(s string) string {
	for {
		i := strings.LastIndexByte(s, ' ')
		if i < 0 || !dangling[strings.ToLower(s[i+1:])] {
			return s
		}
		s = strings.TrimRight(s[:i], " ,;:-")
	}
}

// continueCut completes a title that was cut short ("… hub error -41:
// Connection…") with the words that follow in the signature, up to the
// end of that clause, so the title does not end inside one.
func continueCut(msg, sig string) string {
	ls := strings.ToLower(sig)
	tail := strings.ToLower(msg)
	if len(tail) > 24 {
		tail = tail[len(tail)-24:]
	}
	if !utf8.ValidString(tail) || len(tail) < 8 {
		return msg
	}
	i := strings.Index(ls, tail)
	if i < 0 {
		return msg
	}
	rest := sig[i+len(tail):]
	if j := strings.IndexAny(rest, ":.,;{[(<\"'"); j >= 0 {
		rest = rest[:j]
	}
	return msg + strings.TrimRight(rest, " ")
}

// openSSLTitle is "library: reason" for an OpenSSL error line, the reason
// taken from the signature when the title was cut inside it; "" when msg
// is no such line.
func openSSLTitle(msg, sig string) string {
	m := reOpenSSL.FindStringSubmatch(stripPrefixes(msg))
	if m == nil {
		return ""
	}
	lib, reason := strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
	if s := reOpenSSL.FindStringSubmatch(sig); s != nil {
		if r := strings.TrimSpace(s[2]); len(r) > len(reason) && strings.HasPrefix(r, strings.ToLower(reason)) {
			reason = r
		}
	}
	return upperFirst(lib) + ": " + reason
}

// sigDetail is the longest plain phrase inside a signature's JSON-like
// body: the message of an error object.
func sigDetail(sig string) string {
	best := ""
	for _, part := range strings.FieldsFunc(sig, func(r rune) bool { return strings.ContainsRune("{}[],", r) }) {
		part = reMasked.ReplaceAllString(part, "")
		part = strings.Trim(part, " :'\"")
		if countWords(part) >= 3 && len(part) > len(best) {
			best = part
		}
	}
	return clause(best)
}

// lowerFirst lower-cases a message's first word when it is a plain
// capitalised word ("The", "Invalid"), not a name or code.
func lowerFirst(s string) string {
	w, _, _ := strings.Cut(s, " ")
	r, n := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(r) || n == len(w) {
		return s
	}
	for _, x := range w[n:] {
		if !unicode.IsLower(x) {
			return s
		}
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// failVerb agrees "fail" with a subject: only "API requests" is plural.
func failVerb(subject string) string {
	if strings.HasSuffix(subject, "requests") {
		return " fail"
	}
	return " fails"
}

// namesSubject reports whether msg already names the subject's first
// word (by its first five letters: "connect" for "Connection").
func namesSubject(msg, subject string) bool {
	w, _, _ := strings.Cut(strings.ToLower(subject), " ")
	if len(w) > 5 {
		w = w[:5]
	}
	return markerAt(strings.ToLower(msg), w) >= 0 || strings.Contains(strings.ToLower(msg), w)
}

// startsWithFailure reports a message that names its own subject and
// failure, such as "Request failed with status code 429" or "Failed to
// connect to the server".
func startsWithFailure(msg string) bool {
	l := strings.ToLower(msg)
	i := strings.Index(l, " fail")
	return i > 0 && i < 30
}

// clause cuts a message to its first clause: at a sentence end, a JSON or
// stack-trace tail, or a masked part, and to at most 90 characters at a
// ", " or ": " boundary, or at a word boundary when there is none.
func clause(msg string) string {
	for _, stop := range []string{". ", " {", "{", " - {", " at ", "\n", " (most likely", " <"} {
		if i := strings.Index(msg, stop); i > 0 {
			msg = msg[:i]
			// A cut at a masked part that leaves one word after the
			// last colon ("widget <str> not found" cut to "…: widget") ends
			// at that colon.
			if j := strings.LastIndex(msg, ": "); stop == " <" && j > 0 && countWords(msg[j+2:]) == 1 && countWords(msg[:j]) >= 2 {
				msg = msg[:j]
			}
		}
	}
	msg = reMasked.ReplaceAllString(msg, "")
	msg = strings.Join(strings.Fields(msg), " ")
	const limit = 90
	if utf8.RuneCountInString(msg) <= limit {
		return closeQuotes(msg)
	}
	cut := string([]rune(msg)[:limit])
	best := -1
	for _, sep := range []string{": ", ", ", "; ", " - "} {
		if i := strings.LastIndex(cut, sep); i > best && i > 20 {
			best = i
		}
	}
	if best > 0 {
		return closeQuotes(strings.TrimRight(cut[:best], " .:,;-"))
	}
	return closeQuotes(strings.TrimRightFunc(truncate(msg, limit), func(r rune) bool { return r == '…' }))
}

// closeQuotes cuts a message before a quote left open (a command line
// after the message, cut short), at the clause that holds it, or drops
// the quote mark when there is no such clause.
func closeQuotes(msg string) string {
	for _, q := range []string{`"`, "'", "`"} {
		at := quoteMarks(msg, q[0])
		if len(at)%2 == 1 {
			i := at[0]
			if j := strings.LastIndex(msg[:i], ": "); j > 10 && countWords(msg[:j]) >= 3 {
				msg = msg[:j]
			} else {
				for k := len(at) - 1; k >= 0; k-- {
					msg = msg[:at[k]] + msg[at[k]+1:]
				}
			}
		}
	}
	msg = strings.TrimRight(msg, " .:,;-[(")
	return strings.TrimRight(msg, " .:,;-")
}

// quoteMarks are the byte offsets of the quote character q in msg, leaving
// out apostrophes between two letters ("widget's", "I'm").
func quoteMarks(msg string, q byte) []int {
	var at []int
	for i := 0; i < len(msg); i++ {
		if msg[i] != q {
			continue
		}
		if q == '\'' && i > 0 && i+1 < len(msg) {
			p, _ := utf8.DecodeLastRuneInString(msg[:i])
			n, _ := utf8.DecodeRuneInString(msg[i+1:])
			if unicode.IsLetter(p) && unicode.IsLetter(n) {
				continue
			}
		}
		at = append(at, i)
	}
	return at
}

// upperFirst upper-cases the first letter of a message that starts with a
// lower-case word (not an identifier such as "npm" or "fetch_data").
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if !unicode.IsLower(r) {
		return s
	}
	w, _, _ := strings.Cut(s, " ")
	if strings.ContainsAny(w, "_.-/:()[]") {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
