package store

import (
	"strings"
	"unicode/utf8"
)

// CleanText makes s storable in a PostgreSQL text column: PostgreSQL
// rejects NUL characters and invalid UTF-8, so NUL becomes U+FFFD and
// invalid sequences are replaced. The record is kept; only the bytes that
// cannot be stored change.
func CleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}

// CleanJSON makes a JSON document storable as jsonb: invalid UTF-8 is
// replaced, and the escapes jsonb refuses (\u0000 and lone UTF-16
// surrogates) become \ufffd. It scans the bytes once and allocates only
// when something must change.
func CleanJSON(b []byte) []byte {
	if !utf8.Valid(b) {
		b = []byte(strings.ToValidUTF8(string(b), "\uFFFD"))
	}
	var out []byte // nil until a change is needed
	inString := false
	last := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 >= len(b) {
				continue
			}
			if b[i+1] != 'u' || i+6 > len(b) {
				i++ // skip the escaped character
				continue
			}
			r, ok := hex4(b[i+2 : i+6])
			if !ok {
				i++
				continue
			}
			bad := false
			switch {
			case r == 0:
				bad = true
			case r >= 0xD800 && r <= 0xDBFF: // high surrogate: needs a low one next
				if i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
					if lo, ok := hex4(b[i+8 : i+12]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
						i += 11
						continue
					}
				}
				bad = true
			case r >= 0xDC00 && r <= 0xDFFF: // lone low surrogate
				bad = true
			}
			if bad {
				out = append(out, b[last:i]...)
				out = append(out, `\ufffd`...)
				last = i + 6
			}
			i += 5
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}
