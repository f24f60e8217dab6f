package redact

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// stringRef is String as it was before the one-pass hint scan: lower-case
// the whole text, then one strings.Contains per hint. It is the reference
// the new String must agree with on every input.
func stringRef(s string) string {
	if s == "" {
		return s
	}
	lower := strings.ToLower(s)
	for _, r := range rules {
		hit := false
		for _, h := range r.hints {
			if strings.Contains(lower, h) {
				hit = true
				break
			}
		}
		if !hit || !r.re.MatchString(s) {
			continue
		}
		mask := "[REDACTED:" + r.kind + "]"
		if r.group == 0 {
			s = r.re.ReplaceAllString(s, mask)
			continue
		}
		s = replaceGroup(r.re, s, r.group, mask)
	}
	return s
}

// hitsRef is the old prefilter alone: the rules one of whose hints occurs
// in strings.ToLower(s).
func hitsRef(rs []rule, s string) uint64 {
	lower := strings.ToLower(s)
	var hit uint64
	for i, r := range rs {
		for _, h := range r.hints {
			if strings.Contains(lower, h) {
				hit |= 1 << i
				break
			}
		}
	}
	return hit
}

// oddRules exercises what the real hints do not: hints shorter than three
// bytes, an empty hint, a rule without hints, hints shared by rules,
// hints made of the letters the fold runes lower-case to, and a NUL.
var oddRules = []rule{
	{kind: "one", hints: []string{"q"}},
	{kind: "two", hints: []string{"zx", "ki"}},
	{kind: "empty", hints: []string{""}},
	{kind: "none"},
	{kind: "shared", hints: []string{"zx", "iki"}},
	{kind: "nul", hints: []string{"a\x00b", "\x00"}},
	{kind: "long", hints: []string{"kkkkkkkk"}},
}

var oddScan = newHintScan(oddRules)

// checkAgainstReference fails t if String, Contains or the hint scan differ
// from the reference on s.
func checkAgainstReference(t *testing.T, s string) {
	t.Helper()
	checkHits(t, s)
	want := stringRef(s)
	if got := String(s); got != want {
		t.Errorf("String(%q)\n got %q\nwant %q", s, got, want)
	}
	if got := Contains(s); got != (want != s) {
		t.Errorf("Contains(%q) = %v, want %v", s, got, want != s)
	}
}

// checkHits fails t if the hint scan finds other rules than the old
// prefilter, for the real rules and for oddRules.
func checkHits(t *testing.T, s string) {
	t.Helper()
	if s == "" {
		return // String returns "" before any scan
	}
	if got, want := hintHits(s), hitsRef(rules, s); got != want {
		t.Errorf("hintHits(%q) = %b, want %b", s, got, want)
	}
	if got, want := oddScan.hits(s), hitsRef(oddRules, s); got != want {
		t.Errorf("oddScan.hits(%q) = %b, want %b", s, got, want)
	}
}

// positives holds a text every rule masks, the examples of TestString and
// one for each rule it leaves out.
var positives = []string{
	"export GH=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
	"token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
	"OPENAI_API_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
	"using sk-ant-api03-ZYXWVUTSRQPONMLKJIHGFEDCBA-0123456789",
	"aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
	"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"Authorization: Bearer abc123def456ghi789jkl012",
	"postgres://admin:s3cr3tP4ss@db.internal:5432/app",
	`{"password": "hunter2hunter2"}`,
	"key AIzaSyA1234567890abcdefghijklmnopqrstuv",
	"slack xoxb-1234567890-abcdefghij",
	"jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
	"Authorization: Basic dXNlcjpwYXNzd29yZGxvbmc=",
	"SECRET_ACCESS_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCD'",
	"client-secret=abcdef123456 refresh_token: xyz789xyz789",
	"ghs_abcdefghijklmnopqrstuvwxyz0123456789 and ghr_abcdefghijklmnopqrstuvwxyz0123456789",
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, s)
}

// alternate upper-cases every other ASCII letter: "bearer" -> "BeArEr".
func alternate(s string) string {
	b := []byte(s)
	for i, c := range b {
		if i%2 == 0 && 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// trickyCases returns the texts of TestStringMatchesReference, which also
// seed the fuzz target.
func trickyCases() []string {
	cases := []string{
		"", "a", "k", "ab", "\x00", "\xff", "\xc4", "\xe2\x84", "\xc4\xb0", "\xe2\x84\xaa",
		"BeArEr abcdefghijklmnopqrstuvwx",
		"Authorization: bEaReR abcdefghijklmnop1234",
		"TOKEN abcdefghijklmnopqrstuvwxyz",
		"BASIC ZGVtbzpwQHNzdzByZC1sb25n==",
		"Pass\u200bword=hunter2hunter2",
		"xx ghp_", "ends in SK-", "ends in ://", "ends in eyJ", "ends in KEY", "ends in passwd",
		"ends in Secret_Access_Key", "ends in github_PAT_", "ends in sk-ANT-", "xo", "xox",
		"ключ=значение password=hunter2hunter2 ключ",
		"日本語ghp_abcdefghijklmnopqrstuvwxyz0123456789日本語",
		"\u201cBearer abcdefghijklmnopqrstuvwx\u201d \u2014 quoted",
		"\xffghp_abcdefghijklmnopqrstuvwxyz0123456789\xfe",
		"pass\xffword=hunter2hunter2 password\xff=hunter2hunter2",
		"\xe2ghp_abcdefghijklmnopqrstuvwxyz0123456789\xe2\x84",
		"to\u212Aen abcdefghijklmnopqrstuvwxyz",  // KELVIN SIGN lower-cases to k
		"api\u212Aey=hunter2hunter2",             // and (?i) folds it too
		"\u0130 a\u0130za \u212Aey aws_\u212Aey", // U+0130 lower-cases to i
		"only folds: \u0130\u212A\u0130\u212A",
		"ends in \u212A", "ends in \u0130", "ends in \u212A\u212A", "ends in \xc4", "ends in \xe2\x84",
		"ba\u0130sic bas\u0130c to\u212Aen se\u212Aret",
		"Error: connect ECONNREFUSED 127.0.0.1:5432",
		"invalid_grant: refresh token expired",
		"prompt is too long: 210000 tokens > 200000 maximum",
		"https://example.com/callback?error=access_denied",
		"[REDACTED:github-token] password=[REDACTED:secret]",
		"q zx ki iki a\x00b kkkkkkk KKKKKKKK \u212A\u212Akkkkkk",
		benchBody, benchSentence,
	}
	for _, r := range rules {
		for _, h := range r.hints {
			cases = append(cases, h, strings.ToUpper(h), alternate(h), "x"+alternate(h), "é"+h+"é",
				"\xff"+h, h+"\xff", "text then "+swapCase(alternate(h)))
		}
	}
	for _, p := range positives {
		cases = append(cases, p, strings.ToUpper(p), strings.ToLower(p), swapCase(p), alternate(p),
			"«"+p+"»", "\xff"+p+"\xfe", p+"\n"+p, strings.ReplaceAll(p, "k", "\u212A"),
			strings.ReplaceAll(p, "i", "\u0130"))
		// Every prefix puts each hint of p at the very end once.
		for i := 1; i < len(p); i++ {
			cases = append(cases, p[:i], p[i:])
		}
	}
	return cases
}

func TestStringMatchesReference(t *testing.T) {
	t.Parallel()
	for _, s := range trickyCases() {
		checkAgainstReference(t, s)
	}
}

// TestPositivesAreMasked guards the reference comparison itself: if the
// positives stopped being secrets, agreeing on them would prove little.
func TestPositivesAreMasked(t *testing.T) {
	t.Parallel()
	for _, p := range positives {
		if !strings.Contains(String(p), "[REDACTED:") {
			t.Errorf("String(%q) = %q, want a mask", p, String(p))
		}
	}
	if got := String("to\u212Aen abcdefghijklmnopqrstuvwxyz"); got != "to\u212Aen [REDACTED:bearer]" {
		t.Errorf("KELVIN SIGN token: got %q", got)
	}
}

// TestFoldRunes checks foldRunes against every rune: the hint scan is only
// exact if it lists all runes that strings.ToLower turns into ASCII.
func TestFoldRunes(t *testing.T) {
	t.Parallel()
	var want []rune
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if unicode.ToLower(r) < utf8.RuneSelf {
			want = append(want, r)
		}
	}
	if string(want) != string(foldRunes) {
		t.Errorf("runes lower-cased to ASCII: %U, foldRunes: %U", want, foldRunes)
	}
	for _, e := range foldSeqs {
		if len(e) < 2 {
			t.Errorf("fold rune %q encodes in one byte", e)
		}
	}
}

func TestNewHintScanRejectsBadHints(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"Token", "clé"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("newHintScan accepted hint %q", h)
				}
			}()
			newHintScan([]rule{{kind: "bad", hints: []string{h}}})
		}()
	}
}

func TestHintHitsDoesNotAllocate(t *testing.T) {
	for _, s := range []string{benchBody, benchSentence, positives[0], "password passwd token key"} {
		if n := testing.AllocsPerRun(100, func() { hintHits(s) }); n != 0 {
			t.Errorf("hintHits(%.20q...) allocates %v times", s, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { String(benchBody) }); n != 0 {
		t.Errorf("String on a text with no hint allocates %v times", n)
	}
}

// fuzzCompareMax bounds the inputs on which the fuzz target also runs
// String, stringRef and Contains. Under the fuzzer's coverage
// instrumentation the regexps take up to tens of milliseconds on inputs of
// a few hundred bytes with hints, and the fuzzer then spends most of its
// time minimizing such inputs (up to -fuzzminimizetime, 60 s, each). Past
// the bound the target compares the hint scan alone: String is apply over
// hintHits and stringRef the same rules over hitsRef, so equal hits give
// equal results; apply is checked on the shorter inputs, and
// TestStringMatchesReference compares long texts in full.
const fuzzCompareMax = 256

func FuzzStringMatchesReference(f *testing.F) {
	for _, s := range trickyCases() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > fuzzCompareMax {
			checkHits(t, s)
			return
		}
		checkAgainstReference(t, s)
	})
}
