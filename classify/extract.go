package classify

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/errata-tool/errata/classify/redact"
)

// Candidate is one error text found in an issue.
type Candidate struct {
	Raw         string  `json:"raw"`         // the text as found, redacted of secrets, at most MaxRawLen bytes
	Normalized  string  `json:"normalized"`  // Normalize(Raw)
	Fingerprint string  `json:"fingerprint"` // Fingerprint(Normalized)
	Source      string  `json:"source"`      // title | body | code | json | url | stack | status | comment
	Score       float64 `json:"score"`       // error-likeness; higher is more likely the error the report is about
	Codes       []Code  `json:"codes,omitempty"`
	order       int
	segment     bool    // an error line cut out of other-language prose
	own         float64 // the text's own error-likeness, without the bonus of where it was found
}

// MinCandidateScore is the error-likeness below which a text is not taken
// as an error: feature requests and questions produce no candidate and stay
// unclustered.
const MinCandidateScore = 3.0

// FallbackCandidateScore is the least error-likeness of the text itself
// (an error word or code, not only where it was found) of the candidates
// kept when no text reaches MinCandidateScore; they must be the title or
// lines of a code block, quote or JSON error, or read as program output,
// never prose.
const FallbackCandidateScore = 1.0

// MaxCandidates bounds how many candidates are kept per text.
const MaxCandidates = 6

var (
	htmlCommentRe = regexp.MustCompile(`(?s)<!--.*?-->`)
	htmlTagRe     = regexp.MustCompile(`(?i)<(?:img|a|br|p|div|span|details|summary|sub|sup|b|i|code|pre)\b[^>]*>|</(?:a|p|div|span|details|summary|sub|sup|b|i|code|pre)>`)
	jsonStrField  = regexp.MustCompile(`"(error|error_description|message|detail|title|type|code|reason|error_message|errorMessage)"\s*:\s*"((?:[^"\\]|\\.){1,400})"`)
	jsonNumField  = regexp.MustCompile(`"(code|status|statusCode|status_code)"\s*:\s*(-?[0-9]{3,6})\b`)
	urlErrorRe    = regexp.MustCompile(`[?&#]error=([^&#\s"'<>)]+)(?:[^\s"'<>]*?[?&#]error_description=([^&#\s"'<>)]+))?`)
	statusLineRe  = regexp.MustCompile(`\bHTTP/[0-9.]+ [45][0-9][0-9]\b[^\n]{0,80}`)
	excHeadRe     = regexp.MustCompile(`^(?:[A-Za-z_$][\w$]*\.)*[A-Z][\w$]*(?:Error|Exception|Fault|Failure|Warning)\b(?::|\s*\(|$)`)
	stackFrameRe  = regexp.MustCompile(`^\s*(?:at\s+\S|File\s+"|\S+\.(?:go|py|js|ts|java|rs|rb):\d+|#\d+\s|\.\.\.\s*\d+\s+more|Traceback\b|goroutine\s+\d+|\[?\d+\]\s+\S+\s+\(|from\s+\S+:\d+)`)
	titlePrefixRe = regexp.MustCompile(`(?i)^(?:\s*(?:\[[^\]]{1,30}\]|\([^)]{1,30}\)|(?:bug|issue|problem|question|help|feat|fix|feature)(?:\([^)]{0,30}\))?\s*[:：-])\s*)+`)
	errorHeadRe   = regexp.MustCompile(`(?i)^(?:\S+\s+)?(?:error|err|fatal|panic|exception|failed|failure|fail|uncaught)\b\s*[:!\[(]|^\w*(?:Error|Exception)\b`)
)

// stripLogHeader removes leading timestamps and level markers from a log line.
func stripLogHeader(line string) string {
	for i := 0; i < 4; i++ {
		t := strings.TrimSpace(line)
		n := len(t)
		for _, p := range []func(string) string{trimTimestamp, trimLevel} {
			t = p(t)
		}
		line = t
		if len(t) == n {
			break
		}
	}
	return line
}

func trimTimestamp(t string) string {
	s := strings.TrimPrefix(t, "[")
	j := 0
	for j < len(s) && (s[j] >= '0' && s[j] <= '9' || strings.IndexByte("-:.,TZ+/ ", s[j]) >= 0) {
		j++
	}
	digits := 0
	for k := 0; k < j; k++ {
		if s[k] >= '0' && s[k] <= '9' {
			digits++
		}
	}
	if digits < 4 || j < 5 || !strings.ContainsAny(s[:j], ":-/") {
		return t
	}
	s = strings.TrimPrefix(s[j:], "]")
	return strings.TrimSpace(s)
}

var levels = []string{"INFO", "WARN", "WARNING", "DEBUG", "TRACE", "ERROR", "ERR", "FATAL", "CRITICAL"}

func trimLevel(t string) string {
	s := strings.TrimPrefix(t, "[")
	for _, lv := range levels {
		if len(s) > len(lv)+1 && strings.EqualFold(s[:len(lv)], lv) {
			rest := s[len(lv):]
			rest = strings.TrimPrefix(rest, "]")
			if rest != "" && (rest[0] == ' ' || rest[0] == ':' || rest[0] == '\t') {
				rest = strings.TrimLeft(rest, " :\t")
				if rest != "" && lv != "ERROR" && lv != "ERR" && lv != "FATAL" && lv != "CRITICAL" {
					return rest
				}
				// keep the word "error" as part of the message, drop the brackets
				if strings.HasPrefix(t, "[") && rest != "" {
					return lv + ": " + rest
				}
				return t
			}
		}
	}
	return t
}

type segment struct {
	text   string
	inCode bool
	quote  bool
}

// splitSegments splits a markdown body into lines tagged as code or quoted.
func splitSegments(body string) []segment {
	if strings.Contains(body, "<!--") {
		body = htmlCommentRe.ReplaceAllString(body, " ")
	}
	if strings.IndexByte(body, '<') >= 0 {
		body = htmlTagRe.ReplaceAllString(body, " ")
	}
	body = strings.ReplaceAll(body, "\r\n", "\n")
	var out []segment
	inFence := false
	for _, line := range strings.Split(body, "\n") {
		if t := strings.TrimLeft(line, " \t"); strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
			continue
		}
		seg := segment{text: line, inCode: inFence}
		if !inFence {
			trim := strings.TrimLeft(line, " ")
			switch {
			case strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "\t"):
				seg.inCode = true
			case strings.HasPrefix(trim, ">"):
				seg.quote = true
				seg.text = strings.TrimLeft(trim, "> ")
			}
		}
		out = append(out, seg)
	}
	return out
}

// scoreLine rates how much a line looks like an error message.
func scoreLine(line string, codes []Code) float64 {
	score := 0.0
	for i, c := range codes {
		if i > 2 {
			break
		}
		if c.Strong {
			score += 4
		} else {
			score += 1.5
		}
	}
	lower := strings.ToLower(line)
	switch {
	case isExcHead(line):
		score += 3
	case containsAny(lower, errorHeadHints) && errorHeadRe.MatchString(line):
		score += 2
	case hasExcName(line) && excInlineRe.MatchString(line):
		// "Console shows TypeError: ..." - an exception name inside a line
		score += 2
	}
	if n := errorWordSet.countWords(line, 3); n > 0 {
		score += 1 + 0.5*float64(n-1)
	}
	words := len(strings.Fields(line))
	switch {
	case words > 40:
		score -= 3
	case words > 25:
		score -= 1.5
	}
	if words <= 1 && len(codes) == 0 {
		score -= 1
	}
	return score
}

// looksLikeNoise: stack frames, markdown structure, checklists.
func looksLikeNoise(line string) bool {
	t := strings.TrimSpace(line)
	if t == "" || stackFrameRe.MatchString(t) {
		return true
	}
	if strings.HasPrefix(t, "#") || strings.HasPrefix(t, "- [") || strings.HasPrefix(t, "|") && strings.HasSuffix(t, "|") {
		return true
	}
	letters := 0
	for _, r := range t {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters < 3
}

// CleanTitle removes "[Bug]"-style prefixes from an issue title.
func CleanTitle(title string) string {
	t := strings.TrimSpace(titlePrefixRe.ReplaceAllString(title, ""))
	if t == "" {
		return strings.TrimSpace(title)
	}
	return t
}

// Extract finds the error texts in an issue's title and body, ranked with
// the primary one first. It returns nil when the text reports no error.
//
// It runs in phases: the title, the structured parts of the body (error
// URLs, JSON error fields, HTTP status lines), the body's lines, then the
// ranking that keeps the best candidates (extractor.ranked), and last the
// title as a probe of its own when it did not rank.
func Extract(title, body string) []Candidate {
	title, body = CleanText(title), CleanText(cutBytes(body, 64*1024))
	var x extractor
	if t := CleanTitle(title); t != "" {
		sc := x.add(t, "title", 0.5)
		if seg := latinSegment(t); seg != "" {
			x.addSegment(seg, "title", 1, sc)
		}
	}
	body = cutBytes(body, 64*1024)
	x.structured(body)
	x.lines(splitSegments(body))
	out, seen := x.ranked()
	if len(out) == 0 {
		return nil
	}
	return withTitle(out, seen, title)
}

// extractor collects an issue's candidates in the order found.
type extractor struct {
	cands []Candidate
	order int
}

// addScored adds a candidate and returns its score; a nil fixed score
// means scoring the text. It returns 0 for an empty text.
func (x *extractor) addScored(raw, source string, bonus float64, fixed *float64) float64 {
	raw = strings.TrimSpace(cutBytes(raw, MaxRawLen))
	if raw == "" {
		return 0
	}
	codes := FindCodes(raw)
	own := scoreLine(raw, codes)
	sc := own + bonus
	if fixed != nil {
		sc = *fixed
	}
	if weakOnly(raw, codes) {
		// a class code alone ("invalid_request_error", "400") only
		// qualifies the message next to it
		sc -= 4
	}
	x.cands = append(x.cands, Candidate{Raw: raw, Source: source, Score: sc, Codes: codes, order: x.order, own: own})
	x.order++
	return sc
}

// addSegment adds the Latin run of a line in another script (see
// latinSegment). When the run reads as an error itself, it ranks at least
// just above its line, whose error words may be in the other language: the
// run is the error without the prose.
func (x *extractor) addSegment(seg, source string, bonus, line float64) {
	x.add(seg, source, bonus)
	c := &x.cands[len(x.cands)-1]
	c.segment = true
	if c.own >= FallbackCandidateScore {
		c.Score = max(c.Score, line+0.25)
	}
}

func (x *extractor) add(raw, source string, bonus float64) float64 {
	return x.addScored(raw, source, bonus, nil)
}

// structured adds the error texts of a body's structured parts: OAuth-style
// error URLs, JSON error fields and HTTP status lines.
func (x *extractor) structured(body string) {
	hasURLError := strings.Contains(body, "error=")
	hasJSON := strings.Contains(body, "\":")
	hasStatusLine := strings.Contains(body, "HTTP/")
	for _, m := range ifMatches(hasURLError, urlErrorRe, body, 4) {
		code := unescape(m[1])
		text := code
		if m[2] != "" {
			text += ": " + unescape(m[2])
		}
		x.add(text, "url", 2)
	}
	errObj := hasJSON && strings.Contains(body, `"error"`)
	for _, m := range ifMatches(hasJSON, jsonStrField, body, 16) {
		v := strings.ReplaceAll(m[2], `\"`, `"`)
		v = strings.ReplaceAll(v, `\n`, " ")
		switch m[1] {
		case "error", "error_description", "error_message", "errorMessage":
			x.add(v, "json", 3)
		case "message", "detail", "reason":
			// the message of an error object is an error by position
			if errObj {
				x.add(v, "json", 3)
			} else {
				x.add(v, "json", 2)
			}
		case "type", "code":
			if isCodeToken(v) || strings.HasSuffix(v, "_error") {
				x.add(v, "json", 1)
			}
		}
	}
	for _, m := range ifMatches(hasJSON, jsonNumField, body, 4) {
		if isStatusOrRPC(m[2]) {
			x.add(m[1]+" "+m[2], "json", -1)
		}
	}
	for _, m := range ifMatchesString(hasStatusLine, statusLineRe, body, 2) {
		x.add(m, "status", 1)
	}
}

// lines adds the body's lines that carry an error signal, the quoted
// spans of long prose lines, the Latin run of lines in another script, and
// a cause line together with the error line after it.
func (x *extractor) lines(segs []segment) {
	// the last candidate line: its index, text and own score
	lastIdx, lastLine, lastOwn := -2, "", 0.0
	lead := -2 // the index of a lead-in line ("Error message:"), carried over blank lines
	for i := 0; i < len(segs) && x.order < 400; i++ {
		s := segs[i]
		line := strings.TrimSpace(s.text)
		if line == "" && lead == i-1 {
			lead = i
			continue
		}
		if !hasErrorSignal(line) || looksLikeNoise(line) {
			continue
		}
		// A line that only announces the error ("Error message:", "Full
		// error log:") names none: it is no candidate, and the line after
		// it is the error by position.
		if leadInLine(line) {
			lead = i
			continue
		}
		afterLead := lead == i-1
		line = stripLogHeader(line)
		if len(line) > 400 {
			line = cutBytes(line, 400)
		}
		source, bonus := "body", 0.0
		if s.inCode || s.quote {
			source, bonus = "code", 1
		}
		// An exception head followed by stack frames.
		if isExcHead(line) && i+1 < len(segs) && stackFrameRe.MatchString(strings.TrimSpace(segs[i+1].text)) {
			source, bonus = "stack", 1.5
		}
		// Errors quoted inside long prose lines: the quoted span alone.
		if !s.inCode && len(line) > 80 {
			for _, q := range quotedSpans(line) {
				x.add(q, "body", 0.5)
			}
		}
		// JSON lines: their fields were taken above, prefer those.
		if strings.Count(line, "\":") >= 2 {
			bonus -= 2
		}
		if afterLead {
			bonus += leadInBonus
		}
		sc := x.add(line, source, bonus)
		lineOwn := x.cands[len(x.cands)-1].own
		if seg := latinSegment(line); seg != "" {
			x.addSegment(seg, source, bonus+0.5, sc)
		}
		// In a log the line before an error line often names its cause
		// ("X: permission denied" before "fatal: could not read"): the two
		// lines together are the message, as in Sentry's two-line
		// messages, and rank just above the line alone.
		if lastIdx == i-1 && lastOwn >= 1 && sameBlock(segs, i) {
			two := sc + 0.5
			if x.addScored(lastLine+"\n"+line, source, 0, &two) != 0 {
				x.cands[len(x.cands)-1].own = lineOwn
			}
		}
		lastIdx, lastLine, lastOwn = i, line, lineOwn
	}
}

// ranked keeps the best candidates, at most MaxCandidates, dropping
// duplicates of one template; it returns them with the templates seen.
func (x *extractor) ranked() ([]Candidate, map[string]bool) {
	cands := x.cands
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].Score != cands[j].Score {
			return cands[i].Score > cands[j].Score
		}
		return cands[i].order < cands[j].order
	})
	seen := map[string]bool{}
	out := cands[:0]
	min := MinCandidateScore
	if len(cands) > 0 && cands[0].Score < MinCandidateScore {
		cands, min = fallback(cands)
	}
	for _, c := range cands {
		if c.Score < min {
			break
		}
		c.Raw = redact.String(c.Raw)
		c.Normalized = Normalize(c.Raw)
		if c.Normalized == "" || seen[c.Normalized] {
			continue
		}
		seen[c.Normalized] = true
		c.Fingerprint = Fingerprint(c.Normalized)
		out = append(out, c)
		if len(out) == MaxCandidates {
			break
		}
	}
	return out, seen
}

// fallback: nothing scores as a clear error, but a line carries an error
// signal (a title-only report, a terse warning): take the best one that is
// not prose alone rather than lose the report, with the other technical
// lines as good as the fallback score, so that the issue has probes beyond
// one. It returns the candidates to keep and the least score kept
// (MinCandidateScore, keeping none, when no line qualifies).
func fallback(cands []Candidate) ([]Candidate, float64) {
	for i := range cands {
		if cands[i].Score < FallbackCandidateScore {
			break
		}
		if cands[i].own >= FallbackCandidateScore && (cands[i].Source != "body" || cands[i].segment || technicalLine(cands[i].Raw)) {
			keep := []Candidate{cands[i]}
			for _, c := range cands[i+1:] {
				if c.own >= FallbackCandidateScore && (c.Source != "body" || c.segment || technicalLine(c.Raw)) {
					keep = append(keep, c)
				}
			}
			return keep, FallbackCandidateScore
		}
	}
	return cands, MinCandidateScore
}

// withTitle: the title names the problem even when it scores low: it is
// kept last, so that the issue can join a cluster through it (it never
// becomes the primary this way).
func withTitle(out []Candidate, seen map[string]bool, title string) []Candidate {
	t := CleanTitle(title)
	if seg := latinSegment(t); seg != "" {
		// a title in another language around an English error: the error
		t = seg
	}
	if t == "" || len(strings.Fields(t)) < 3 {
		return out
	}
	for _, c := range out {
		if c.Source == "title" {
			return out
		}
	}
	c := Candidate{Raw: redact.String(cutBytes(t, MaxRawLen)), Source: "title", Score: 0}
	c.Codes = FindCodes(c.Raw)
	c.Normalized = Normalize(c.Raw)
	if c.Normalized != "" && !seen[c.Normalized] {
		c.Fingerprint = Fingerprint(c.Normalized)
		if len(out) == MaxCandidates {
			out = out[:MaxCandidates-1]
		}
		out = append(out, c)
	}
	return out
}

// leadInBonus is what a line gains from following a lead-in line.
const leadInBonus = 1.5

// leadInWords, with wrapperNouns and genericWords, are the words of a line
// that only announces an error.
var leadInWords = map[string]bool{
	"log": true, "logs": true, "output": true, "trace": true, "stack": true, "traceback": true, "full": true,
	"the": true, "following": true, "i": true, "get": true, "got": true, "getting": true, "this": true,
	"here": true, "is": true, "console": true, "terminal": true, "shows": true, "and": true, "my": true,
	"a": true, "an": true, "of": true, "in": true, "complete": true, "received": true,
}

// leadInLine reports whether a line only announces the error that follows
// it: a colon at its end and, before it, at most six words all of which
// only say that an error or its log is shown ("Error message:", "Here is
// the full error log:").
func leadInLine(line string) bool {
	if !strings.HasSuffix(line, ":") {
		return false
	}
	ws := strings.FieldsFunc(strings.ToLower(line), func(r rune) bool { return !unicode.IsLetter(r) })
	if len(ws) == 0 || len(ws) > 6 {
		return false
	}
	for _, w := range ws {
		if !wrapperNouns[w] && !genericWords[w] && !leadInWords[w] {
			return false
		}
	}
	return true
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// signalWords are lower-case substrings without which a line cannot score
// as an error (no error word, no exception name, no code phrase). Lines
// without any are skipped before the regular expressions run.
var signalWords = []string{
	"err", "fail", "exception", "fault", "fatal", "panic", "uncaught", "cannot", "can't", "couldn't", "could not",
	"unable", "refused", "denied", "invalid", "not found", "timeout", "timed out", "reject", "unauthori",
	"forbidden", "crash", "exceed", "exist", "mismatch", "not match", "reset by peer", "hang up", "no such file",
	"already in use", "no space", "too many", "broken pipe", "unreachable", "no route", "certificate", "fetch",
	"rate", "overloaded", "unavailable", "gateway", "too large", "scope", "grant", "quota", "credit",
	"maximum context", "prompt is too long", "does not", "doesn't", "token limit", "not recognized", "unrecognized",
	"unknown", "-32", "错误", "失败", "报错", "异常", "エラー",
	"warning", "deprecat", "blocked", "killed", "not recognized", "exit code", "exited", "exit status",
	"non-zero", "not permitted",
	// validation errors say what a value must be rather than that
	// something failed
	"must be", "must not", "must have", "must match", "should match", "required", "unsupported", "not supported",
	"not allowed", "missing", "already exist",
}

var signalSet = newKeywordSet(signalWords)

func hasErrorSignal(line string) bool {
	return signalSet.any(line) || hasUpperCode(line) || hasStatusDigits(line)
}

// errorWords are counted (at word boundaries) to rate error-likeness.
var errorWords = []string{
	"error", "errors", "failed", "fails", "failing", "failure", "exception", "cannot", "can't", "couldn't",
	"could not", "unable", "refused", "denied", "invalid", "not found", "timeout", "timed out", "rejected",
	"unauthorized", "forbidden", "crash", "crashed", "crashes", "panic", "fatal", "exceeded", "does not exist",
	"doesn't exist", "mismatch", "not match", "错误", "失败", "报错", "エラー",
	"denied", "deprecated", "blocked", "killed", "not recognized", "warning", "exit code", "exit status",
	"non-zero code", "exited with code", "not permitted",
	// what a value must be ("must be unique"), not what a program must
	// do ("must be enforced", "must be able to": a request)
	"must be unique", "must be non-empty", "must be nonempty", "must be empty", "must be a", "must be an",
	"must be one of", "must be at least", "must be at most", "must be less", "must be greater", "must be between",
	"must be valid", "must be positive", "must be of", "must be set", "must be provided", "must be specified",
	"must not be", "must not exceed", "must not contain", "must have at least", "must match", "should match",
	"is required", "are required", "unsupported", "not supported", "not allowed", "is missing",
	"already exists",
}

var errorWordSet = newKeywordSet(errorWords)

var errorHeadHints = []string{"err", "fatal", "panic", "exception", "fail", "uncaught"}

var excSuffixes = []string{"Error", "Exception", "Fault", "Failure", "Warning"}

var excInlineRe = regexp.MustCompile(`\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)*(?:Error|Exception|Warning)\b:\s*\S`)

func hasExcName(line string) bool {
	return strings.Contains(line, "Error:") || strings.Contains(line, "Exception:") || strings.Contains(line, "Warning:")
}

func isExcHead(line string) bool {
	for _, x := range excSuffixes {
		if strings.Contains(line, x) {
			return excHeadRe.MatchString(line)
		}
	}
	return false
}

func containsAny(s string, subs []string) bool {
	for _, w := range subs {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func ifMatches(ok bool, re *regexp.Regexp, s string, n int) [][]string {
	if !ok {
		return nil
	}
	return re.FindAllStringSubmatch(s, n)
}

func ifMatchesString(ok bool, re *regexp.Regexp, s string, n int) []string {
	if !ok {
		return nil
	}
	return re.FindAllString(s, n)
}

// quotedSpans returns the "..." / `...` / “...” spans of a line, 12 to 300
// bytes long, at most four.
func quotedSpans(line string) []string {
	var out []string
	for _, q := range [][2]string{{"\"", "\""}, {"`", "`"}, {"\u201c", "\u201d"}} {
		rest := line
		for len(out) < 4 {
			i := strings.Index(rest, q[0])
			if i < 0 {
				break
			}
			rest = rest[i+len(q[0]):]
			j := strings.Index(rest, q[1])
			if j < 0 {
				break
			}
			if span := rest[:j]; len(span) >= 12 && len(span) <= 300 {
				out = append(out, span)
			}
			rest = rest[j+len(q[1]):]
		}
	}
	return out
}

// weakOnly reports whether raw is a single token whose codes are all weak
// class codes.
func weakOnly(raw string, codes []Code) bool {
	if len(codes) == 0 || strings.ContainsAny(strings.TrimSpace(raw), " \t") {
		return false
	}
	for _, c := range codes {
		if c.Strong {
			return false
		}
	}
	return true
}

// latinSegment returns the longest run of a line written in Latin script
// (with digits and punctuation) when the line also holds text in another
// script, so that an English error line inside Chinese or Japanese prose is
// compared without the prose. It returns "" when the run has fewer than
// three words or the line is all Latin.
func latinSegment(line string) string {
	other := false
	for _, r := range line {
		if r > 0x2E7F && unicode.IsLetter(r) {
			other = true
			break
		}
	}
	if !other {
		return ""
	}
	best := ""
	var cur strings.Builder
	flush := func() {
		t := strings.Trim(strings.TrimSpace(cur.String()), " ,.;:")
		if len(strings.Fields(t)) >= 3 && len(t) > len(best) {
			best = t
		}
		cur.Reset()
	}
	for _, r := range line {
		if r > 0x2E7F {
			flush()
			continue
		}
		cur.WriteRune(r)
	}
	flush()
	return best
}

// sameBlock reports whether segs[i] and the line before it are in the
// same block (both code, both quote, or both prose).
func sameBlock(segs []segment, i int) bool {
	return i > 0 && segs[i-1].inCode == segs[i].inCode && segs[i-1].quote == segs[i].quote
}

// technicalLine reports whether a line reads as program output rather than
// prose: it holds a "head: message" colon, quotes, brackets, digits,
// underscores or path separators.
func technicalLine(line string) bool {
	if strings.ContainsAny(line, "\"'`‘’“”()[]{}_/\\0123456789") {
		return true
	}
	i := strings.Index(line, ": ")
	return i > 0 && i < 60
}
