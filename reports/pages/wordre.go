package pages

import (
	"regexp"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// wordRe runs a regular expression whose every match starts at a word
// boundary (\b) with one of a few letters, as the mining patterns do
// ("\b(?:fixed|resolved|...)"). Go's regexp engine tries a pattern at
// every position of its input, each alternative in turn; wordRe tries it,
// anchored, only where a word starts with a letter that a match can start
// with. The anchored pattern also consumes the character before that
// position, so \b sees the same context, and the matches are exactly those
// of the plain pattern (wordre_test.go checks this against regexp).
type wordRe struct {
	plain   *regexp.Regexp // the pattern as given
	atStart *regexp.Regexp // ^(?:pattern), for a match at the start
	after   *regexp.Regexp // ^(?s:.)(?:pattern), on the input from the rune before
	first   [256]bool      // first bytes of the runes a match can start with
}

// mustWordRe compiles pattern, which must start every match with \b and a
// character from a small set (a literal or a class of letters); it panics
// otherwise, at start-up, like regexp.MustCompile.
func mustWordRe(pattern string) *wordRe {
	w := &wordRe{
		plain:   regexp.MustCompile(pattern),
		atStart: regexp.MustCompile(`^(?:` + pattern + `)`),
		after:   regexp.MustCompile(`^(?s:.)(?:` + pattern + `)`),
	}
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		panic(err)
	}
	runes, nullable, bounded, ok := firstRunes(re.Simplify(), false)
	if !ok || nullable || !bounded {
		panic("pages: pattern does not start every match with \\b and a known character: " + pattern)
	}
	for _, r := range runes {
		var buf [utf8.UTFMax]byte
		utf8.EncodeRune(buf[:], r)
		w.first[buf[0]] = true
	}
	return w
}

// firstRunes returns the runes a match of re can start with, whether re
// can match the empty string, and whether every match starts after a \b
// (seen tells that one came before re). ok is false when the set is
// unknown or too large to help.
func firstRunes(re *syntax.Regexp, seen bool) (runes []rune, nullable, bounded, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return nil, true, seen, true
		}
		r := re.Rune[0]
		runes = []rune{r}
		if re.Flags&syntax.FoldCase != 0 {
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				runes = append(runes, f)
			}
		}
		return runes, false, seen, true
	case syntax.OpCharClass:
		n := 0
		for i := 0; i < len(re.Rune); i += 2 {
			n += int(re.Rune[i+1]-re.Rune[i]) + 1
			if n > 128 {
				return nil, false, false, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				runes = append(runes, r)
			}
		}
		return runes, false, seen, true
	case syntax.OpWordBoundary:
		return nil, true, true, true
	case syntax.OpEmptyMatch:
		return nil, true, seen, true
	case syntax.OpCapture:
		return firstRunes(re.Sub[0], seen)
	case syntax.OpStar, syntax.OpQuest:
		runes, _, bounded, ok = firstRunes(re.Sub[0], seen)
		return runes, true, bounded, ok
	case syntax.OpPlus:
		return firstRunes(re.Sub[0], seen)
	case syntax.OpRepeat:
		runes, nullable, bounded, ok = firstRunes(re.Sub[0], seen)
		return runes, nullable || re.Min == 0, bounded, ok
	case syntax.OpAlternate:
		bounded = true
		for _, sub := range re.Sub {
			r, n, b, k := firstRunes(sub, seen)
			if !k {
				return nil, false, false, false
			}
			runes = append(runes, r...)
			nullable = nullable || n
			bounded = bounded && b
		}
		return runes, nullable, bounded, true
	case syntax.OpConcat:
		bounded = seen
		for _, sub := range re.Sub {
			r, n, b, k := firstRunes(sub, bounded)
			if !k {
				return nil, false, false, false
			}
			runes = append(runes, r...)
			if !n {
				return runes, false, b, true
			}
			// An empty-matching part: \b sets bounded for what follows.
			bounded = b
		}
		return runes, true, bounded, true
	}
	return nil, false, false, false
}

// index returns the submatch indexes of the leftmost match in s, as
// regexp.FindStringSubmatchIndex does, or nil.
func (w *wordRe) index(s string) []int {
	for i := 0; i < len(s); i++ {
		if !w.first[s[i]] || !boundary(s, i) {
			continue
		}
		if i == 0 {
			if m := w.atStart.FindStringSubmatchIndex(s); m != nil {
				return m
			}
			continue
		}
		_, size := utf8.DecodeLastRuneInString(s[:i])
		j := i - size
		m := w.after.FindStringSubmatchIndex(s[j:])
		if m == nil {
			continue
		}
		// Drop the rune before; shift to s.
		m[0] = i
		m[1] += j
		for k := 2; k < len(m); k++ {
			if m[k] >= 0 {
				m[k] += j
			}
		}
		return m
	}
	return nil
}

// MatchString reports whether s contains a match.
func (w *wordRe) MatchString(s string) bool { return w.index(s) != nil }

// FindStringSubmatch is regexp.FindStringSubmatch.
func (w *wordRe) FindStringSubmatch(s string) []string {
	m := w.index(s)
	if m == nil {
		return nil
	}
	out := make([]string, len(m)/2)
	for k := range out {
		if m[2*k] >= 0 {
			out[k] = s[m[2*k]:m[2*k+1]]
		}
	}
	return out
}
