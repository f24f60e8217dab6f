package classify

import (
	"strings"
	"unicode/utf8"
)

// CleanText removes terminal control sequences and control characters from
// text taken from issues, so that nothing errata stores as an error text or
// prints can move the cursor, clear or retitle a terminal, or hide a link:
// ANSI CSI sequences (ESC [ ... final byte, and the one-byte C1 CSI), OSC
// sequences (ESC ] ... BEL or ESC \), other two-byte ESC sequences, C0
// controls other than tab and newline (a carriage return becomes a
// newline unless a newline follows), DEL and C1 controls. Invalid UTF-8 is
// replaced by U+FFFD.
func CleanText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b: // ESC
			i += size
			if i >= len(s) {
				continue
			}
			switch s[i] {
			case '[':
				i = skipCSI(s, i+1)
			case ']', 'P', '_', '^', 'X':
				i = skipString(s, i+1)
			default:
				i++ // two-byte sequence
			}
		case r == 0x9b: // C1 CSI
			i = skipCSI(s, i+size)
		case r == 0x9d: // C1 OSC
			i = skipString(s, i+size)
		case r == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
				continue
			}
			b.WriteByte('\n')
			i++
		case r == '\n' || r == '\t':
			b.WriteRune(r)
			i += size
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
			i += size
		default:
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	return b.String()
}

// skipCSI skips parameter and intermediate bytes and the final byte.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipString skips an OSC/DCS string up to BEL or ST (ESC \ or C1 ST),
// at most 1024 bytes.
func skipString(s string, i int) int {
	for n := 0; i < len(s) && n < 1024; n++ {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case s[i] == 0xc2 && i+1 < len(s) && s[i+1] == 0x9c:
			return i + 2
		case s[i] == '\n':
			return i
		}
		i++
	}
	return i
}
