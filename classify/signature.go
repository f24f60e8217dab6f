package classify

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Issue is the input of classification: an issue with its comments.
type Issue struct {
	ID         int64
	Repository string
	Number     int
	Title      string
	Body       string
	Labels     []string
	HTMLURL    string
	CreatedAt  time.Time
	Comments   []Comment
}

// Comment is a comment of an issue.
type Comment struct {
	Body      string
	CreatedAt time.Time
}

// Analysis is what classification finds in one issue.
type Analysis struct {
	// Candidates holds the error texts of the issue (title and body), primary
	// first, then those found in comments (source "comment"). Empty when
	// the issue reports no error.
	Candidates []Candidate
	// Key groups issues: "code:<key>" when a specific error code decides,
	// else "fp:<fingerprint>" of the primary template. Empty when the issue
	// reports no error text: such issues stay unclustered.
	Key string
	// Concept is the deciding code (empty for template keys).
	Concept string
	// Tokens are the words of the primary template used for near-variant
	// matching (sorted, unique).
	Tokens []string
	// WeakCodes are the non-specific codes of the primary candidate.
	WeakCodes []string
	// Probes are the best few candidates of the title and body (primary
	// first), through any of which the issue may join a cluster.
	Probes []Probe
}

// Probe is one candidate as the clusterer compares it.
type Probe struct {
	Score       float64
	Source      string
	Normalized  string
	Fingerprint string
	Tokens      []string // TemplateTokens(Normalized)
	Seq         []string // TemplateSeq(Normalized)
	WeakCodes   []string
}

// maxProbes bounds how many candidates of an issue are compared.
const maxProbes = 3

// setProbes fills Tokens, WeakCodes and Probes from the candidates.
func (a *Analysis) setProbes() {
	a.Probes = a.Probes[:0]
	for i := range a.Candidates {
		c := &a.Candidates[i]
		if c.Source == "comment" {
			break
		}
		// the best maxProbes candidates, and the title wherever it ranks
		if len(a.Probes) >= maxProbes && c.Source != "title" {
			continue
		}
		pr := Probe{Score: c.Score, Source: c.Source, Normalized: c.Normalized, Fingerprint: c.Fingerprint, Tokens: TemplateTokens(c.Normalized), Seq: TemplateSeq(c.Normalized)}
		for _, code := range c.Codes {
			if !code.Strong {
				pr.WeakCodes = append(pr.WeakCodes, code.Key)
			}
		}
		// a probe whose words all appear in the primary says nothing the
		// primary does not (it is part of it, e.g. the second line of a
		// two-line message): it would only let the issue join a cluster of
		// the less specific text
		if len(a.Probes) > 0 && subset(pr.Tokens, a.Probes[0].Tokens) {
			continue
		}
		a.Probes = append(a.Probes, pr)
	}
	if len(a.Probes) > 0 {
		a.Tokens, a.WeakCodes = a.Probes[0].Tokens, a.Probes[0].WeakCodes
	}
}

// Primary returns the primary candidate, or nil.
func (a *Analysis) Primary() *Candidate {
	if len(a.Candidates) == 0 || a.Candidates[0].Source == "comment" {
		return nil
	}
	return &a.Candidates[0]
}

// ContentHash is the hash of everything classification reads from an
// issue; an unchanged hash (with unchanged rules) lets incremental runs
// skip the issue.
func ContentHash(is *Issue) string {
	h := sha256.New()
	h.Write([]byte(is.Repository))
	h.Write([]byte{0})
	h.Write([]byte(is.Title))
	h.Write([]byte{0})
	h.Write([]byte(is.Body))
	h.Write([]byte{0})
	h.Write([]byte(strings.Join(is.Labels, "\x01")))
	for _, c := range is.Comments {
		h.Write([]byte{0})
		h.Write([]byte(c.Body))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Analyze extracts and ranks the error texts of an issue and decides its
// grouping key. Comments add secondary signatures but never change what the
// issue is about.
func Analyze(is *Issue) Analysis {
	var a Analysis
	cands := Extract(is.Title, is.Body)
	a.Candidates = cands
	if len(cands) > 0 {
		a.Concept = pickConcept(cands)
		if a.Concept != "" {
			a.Key = "code:" + a.Concept
		} else {
			a.Key = "fp:" + cands[0].Fingerprint
		}
		a.setProbes()
	}
	// Comments: evidence only.
	n := 0
	for _, c := range is.Comments {
		if n >= 3 {
			break
		}
		for _, cc := range Extract("", c.Body) {
			if cc.Score < MinCandidateScore+1 {
				continue
			}
			cc.Source = "comment"
			a.Candidates = append(a.Candidates, cc)
			n++
			break
		}
	}
	return a
}

// pickConcept chooses the specific error code an issue is about: the
// strong code with the most weight, where a code's weight is the sum of
// the scores of the candidates carrying it. The title names the problem,
// so codes in the title count double.
func pickConcept(cands []Candidate) string {
	// The primary candidate decides when it carries a specific code; of
	// several, a named error code beats an HTTP status or a wrapper
	// message ("fetch failed"), which only say how the error travelled.
	best, bestRank := "", 0
	for _, code := range cands[0].Codes {
		if code.Strong && codeRank(code.Key) > bestRank {
			best, bestRank = code.Key, codeRank(code.Key)
		}
	}
	if best != "" {
		return best
	}
	weight := map[string]float64{}
	first := map[string]int{}
	for i, c := range cands {
		w := c.Score
		if c.Source == "title" {
			w *= 2
		}
		if i == 0 {
			w *= 1.5
		}
		for _, code := range c.Codes {
			if !code.Strong {
				continue
			}
			if _, ok := first[code.Key]; !ok {
				first[code.Key] = i
			}
			weight[code.Key] += w
		}
	}
	bestW := 0.0
	keys := make([]string, 0, len(weight))
	for k := range weight {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w := weight[k]
		if w > bestW || w == bestW && first[k] < first[best] {
			best, bestW = k, w
		}
	}
	return best
}

var stopwords = map[string]bool{
	"the": true, "a": true, "an": true, "to": true, "of": true, "in": true, "on": true, "for": true,
	"is": true, "and": true, "or": true, "with": true, "at": true, "by": true, "from": true, "this": true,
	"that": true, "it": true, "be": true, "was": true, "are": true, "i": true, "my": true, "when": true,
	"not": false, "as": true, "but": true, "we": true, "you": true, "your": true, "me": true, "get": true,
	"got": true, "getting": true, "after": true, "while": true, "using": true, "use": true, "have": true,
	"has": true, "had": true, "can": true, "will": true, "if": true, "there": true, "its": true, "so": true,
}

// TemplateTokens returns the distinct words of a template used for
// similarity: lower-case, without placeholders, punctuation or stopwords,
// sorted.
func TemplateTokens(normalized string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range TemplateSeq(normalized) {
		if seen[f] {
			continue
		}
		seen[f] = true
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// TemplateSeq returns the words of a template in order (with repeats).
func TemplateSeq(normalized string) []string {
	var out []string
	fields := strings.FieldsFunc(normalized, func(r rune) bool {
		return r == ' ' || r == ',' || r == ';' || r == ':' || r == '(' || r == ')' || r == '[' || r == ']' ||
			r == '{' || r == '}' || r == '"' || r == '\'' || r == '`' || r == '.' || r == '!' || r == '?' || r == '|' || r == '=' ||
			r == '\\' // an escaped newline left in a JSON string ("input\n at")
	})
	if !isASCII(normalized) {
		fields = latinWords(fields)
	}
	for _, f := range synonyms(fields) {
		if isPlaceholder(f) || stopwords[f] || len(f) < 2 {
			continue
		}
		// an identifier spelled with underscores (wrong_thing_found) is
		// compared as its words: messages give the constant in one report
		// and the prose in another.
		if parts := snakeWords(f); parts != nil {
			out = append(out, parts...)
			continue
		}
		out = append(out, stem(spelledOut(f)))
	}
	return out
}

// latinWords separates the runs of Latin letters and digits from runs of
// other scripts written against them ("报错recursionerror") and, when the
// text has at least three Latin words, drops the others: they are the
// prose of a report in another language around an English error line,
// which other reports of the error do not share. A text mostly in another
// script (a localized message) keeps all its words.
func latinWords(fields []string) []string {
	var latin, other int
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		start, inLatin := 0, true
		for i, r := range f {
			l := r < 0x80 || unicode.Is(unicode.Latin, r) || unicode.IsMark(r)
			if i == 0 {
				inLatin = l
				continue
			}
			if l != inLatin {
				out = append(out, f[start:i])
				start, inLatin = i, l
			}
		}
		out = append(out, f[start:])
	}
	for _, f := range out {
		if r := []rune(f)[0]; r < 0x80 || unicode.Is(unicode.Latin, r) {
			latin++
		} else {
			other++
		}
	}
	if latin < 3 || other == 0 {
		return out
	}
	kept := out[:0]
	for _, f := range out {
		if r := []rune(f)[0]; r < 0x80 || unicode.Is(unicode.Latin, r) {
			kept = append(kept, f)
		}
	}
	return kept
}

// abbreviations are the short forms programmers write for common words of
// error messages ("max recursion depth", "config file not found", "no
// such dir"), each mapped to the word in full so that a message and a
// paraphrase share it. Only unambiguous ones: "auth" (authentication or
// authorization), "res" (response or resource), "temp" (temporary or
// temperature) and "val" (value or validation) are left as they are, and
// so are those that a message cut inside a word often ends with, where the
// full word would no longer start the cut one: "dep" (depth, deploy),
// "min" (minute), "conn" (connect), "env", "lib", "perm", "num", "len".
var abbreviations = map[string]string{
	"max": "maximum", "config": "configuration", "cfg": "configuration", "dir": "directory",
	"dirs": "directories", "repo": "repository", "repos": "repositories", "param": "parameter",
	"params": "parameters", "arg": "argument", "args": "arguments", "attr": "attribute",
	"attrs": "attributes", "db": "database", "msg": "message", "pkg": "package", "tmp": "temporary",
	"impl": "implementation", "func": "function", "fn": "function", "dict": "dictionary",
}

// spelledOut returns the word an abbreviation stands for, else the word.
func spelledOut(f string) string {
	if len(f) <= 6 {
		if full, ok := abbreviations[f]; ok {
			return full
		}
	}
	return f
}

// synonymPhrases are general English phrasings of one error condition,
// each rewritten to one spelling so that a message and a client's
// paraphrase of it share their words: "does not exist", "no such" and
// "not found". Words are as the tokenizer splits them ("doesn't" is
// "doesn" and "t", or "doesnt" when the quote was removed). They are facts of the language, not
// of any corpus. ("timed out" as "timeout" was tried and rejected: it cost
// recall on the check corpus, see docs/benchmarks.md.)
var synonymPhrases = []struct{ from, to []string }{
	{[]string{"does", "not", "exist"}, []string{"not", "found"}},
	{[]string{"do", "not", "exist"}, []string{"not", "found"}},
	{[]string{"doesn", "t", "exist"}, []string{"not", "found"}},
	{[]string{"don", "t", "exist"}, []string{"not", "found"}},
	{[]string{"doesn", "exist"}, []string{"not", "found"}},
	{[]string{"don", "exist"}, []string{"not", "found"}},
	{[]string{"doesnt", "exist"}, []string{"not", "found"}},
	{[]string{"dont", "exist"}, []string{"not", "found"}},
	{[]string{"not", "exist"}, []string{"not", "found"}},
	{[]string{"no", "such"}, []string{"not", "found"}},
	{[]string{"segmentation", "fault"}, []string{"sigsegv"}},
}

// synonyms rewrites synonymPhrases in a template's raw words. "unknown X"
// (unknown tool, unknown command) is also "X not found" when X names a
// thing; before a generic word ("unknown error") it says only that the
// error is unnamed, and stays.
func synonyms(fs []string) []string {
	var out []string
next:
	for i := 0; i < len(fs); i++ {
		for _, p := range synonymPhrases {
			if i+len(p.from) <= len(fs) && slices.Equal(fs[i:i+len(p.from)], p.from) {
				out = append(out, p.to...)
				i += len(p.from) - 1
				continue next
			}
		}
		if fs[i] == "unknown" && i+1 < len(fs) && isWord(fs[i+1]) && !stopwords[fs[i+1]] &&
			!genericWords[fs[i+1]] && !wrapperNouns[fs[i+1]] && !excName(fs[i+1]) {
			out = append(out, fs[i+1], "not", "found")
			i++
			continue
		}
		if i+1 < len(fs) && fs[i] == "not" && unForms[fs[i+1]] != "" {
			out = append(out, unForms[fs[i+1]])
			i++
			continue
		}
		if sig := signalWord(fs, i); sig != "" {
			out = append(out, sig)
			continue
		}
		out = append(out, fs[i])
	}
	return out
}

// unForms are English adjectives whose negation has its own word: "not
// supported" is "unsupported", "not valid" "invalid". A message says one
// ("unsupported parameter") and goes on to say the other ("... is not
// supported with this model"), and clients paraphrase one as the other;
// both are spelled as the single word. ("not found" has none and stays.)
var unForms = map[string]string{
	"supported": "unsupported", "available": "unavailable", "valid": "invalid", "authorized": "unauthorized",
	"recognized": "unrecognized", "reachable": "unreachable", "readable": "unreadable", "writable": "unwritable",
	"implemented": "unimplemented", "defined": "undefined", "initialized": "uninitialized", "allowed": "disallowed",
	"permitted": "unpermitted", "resolved": "unresolved", "registered": "unregistered", "enabled": "disabled",
}

// exitSignals are the POSIX signals whose deaths are reported most, by
// the exit status a shell gives them (128+N) and by their name.
var exitSignals = map[string]string{"137": "sigkill", "139": "sigsegv", "143": "sigterm", "134": "sigabrt"}

// signalWord spells a process's death by a signal one way: "Killed" (the
// shell's word for SIGKILL), "exit status 137" and "code: 137" are all
// "sigkill"; "segmentation fault" and status 139 are "sigsegv". A number
// counts only right after exit, code, status or returned (within three
// words), so other numbers stay numbers.
func signalWord(fs []string, i int) string {
	switch fs[i] {
	case "killed", "sigkill":
		return "sigkill"
	case "sigsegv", "segfault":
		return "sigsegv"
	case "sigterm", "sigabrt":
		return fs[i]
	}
	sig, ok := exitSignals[fs[i]]
	if !ok {
		return ""
	}
	for j := max(0, i-3); j < i; j++ {
		switch fs[j] {
		case "exit", "exited", "code", "status", "returned":
			return sig
		}
	}
	return ""
}

// snakeWords returns the stemmed words of an identifier made of words
// joined by underscores, nil for any other token.
func snakeWords(f string) []string {
	if !strings.Contains(f, "_") {
		return nil
	}
	parts := strings.Split(f, "_")
	for _, p := range parts {
		if !isWord(p) {
			return nil
		}
	}
	var out []string
	for _, p := range parts {
		if !stopwords[p] {
			out = append(out, stem(spelledOut(p)))
		}
	}
	return out
}

// stem removes common English inflections from a word of letters (failed,
// fails, failing: fail; tokens: token; denied: deny) so that one error
// worded in another tense or number shares its words. Words shorter than
// five letters, and everything that is not letters only, stay as they are.
// Both sides of every comparison are stemmed the same way, so a stem need
// not be a dictionary word.
func stem(w string) string {
	if len(w) < 5 || !isWord(w) || !isASCII(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") || strings.HasSuffix(w, "ied"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ing") && len(w) >= 6:
		return undouble(w[:len(w)-3])
	case strings.HasSuffix(w, "ed") && len(w) >= 5:
		return undouble(w[:len(w)-2])
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	// the noun and the bare verb share the stem of the inflected forms:
	// validation, validate, validated, validating: validat; parse, parsed,
	// parsing: pars
	switch {
	case strings.HasSuffix(w, "ation") && len(w) >= 8:
		return w[:len(w)-3]
	case strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "ee") && len(w) >= 5:
		return w[:len(w)-1]
	}
	return w
}

// undouble: stopp -> stop, runn -> run (but not fall, pass).
func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiouyls", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// codeRank orders codes by how precisely they name an error.
func codeRank(key string) int {
	switch {
	case strings.HasPrefix(key, "http:"), strings.HasPrefix(key, "net:"):
		return 1
	default:
		return 2
	}
}

// subset reports whether every word of sorted a is in sorted b.
func subset(a, b []string) bool {
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j == len(b) || b[j] != x {
			return false
		}
	}
	return true
}
