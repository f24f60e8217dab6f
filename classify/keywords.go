package classify

// keywordSet finds whether any of a set of lower-case keywords occurs in a
// text, case-insensitively for ASCII, in one pass: a bitmap of the
// keywords' first two bytes rejects almost every position with one load,
// and only positions that pass are compared with the keywords starting
// there. It replaces dozens of strings.Contains calls per line in the
// extraction hot path.
type keywordSet struct {
	bigram [1 << 16 / 64]uint64
	byPair map[uint16][]string
	single [256]bool // one-byte keywords
}

func newKeywordSet(words []string) *keywordSet {
	k := &keywordSet{byPair: map[uint16][]string{}}
	for _, w := range words {
		if len(w) == 0 {
			continue
		}
		if len(w) == 1 {
			k.single[w[0]] = true
			continue
		}
		p := uint16(w[0])<<8 | uint16(w[1])
		k.bigram[p/64] |= 1 << (p % 64)
		k.byPair[p] = append(k.byPair[p], w)
	}
	return k
}

func foldByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasPrefixFold reports whether s[i:] starts with w (w lower-case).
func hasPrefixFold(s string, i int, w string) bool {
	if len(s)-i < len(w) {
		return false
	}
	for j := 0; j < len(w); j++ {
		if foldByte(s[i+j]) != w[j] {
			return false
		}
	}
	return true
}

// any reports whether s contains one of the keywords.
func (k *keywordSet) any(s string) bool {
	for i := 0; i < len(s); i++ {
		c0 := foldByte(s[i])
		if k.single[c0] {
			return true
		}
		if i+1 == len(s) {
			break
		}
		p := uint16(c0)<<8 | uint16(foldByte(s[i+1]))
		if k.bigram[p/64]&(1<<(p%64)) == 0 {
			continue
		}
		for _, w := range k.byPair[p] {
			if hasPrefixFold(s, i, w) {
				return true
			}
		}
	}
	return false
}

// countWords counts keyword occurrences at word boundaries (a keyword
// that starts or ends with a non-ASCII or non-word byte needs no boundary
// there), up to max.
func (k *keywordSet) countWords(s string, max int) int {
	n := 0
	for i := 0; i+1 < len(s) && n < max; i++ {
		c0 := foldByte(s[i])
		p := uint16(c0)<<8 | uint16(foldByte(s[i+1]))
		if k.bigram[p/64]&(1<<(p%64)) == 0 {
			continue
		}
		if i > 0 && isWordByte(s[i-1]) && isWordByte(c0) && c0 < 0x80 {
			continue
		}
		best := 0
		for _, w := range k.byPair[p] {
			if len(w) > best && hasPrefixFold(s, i, w) {
				end := i + len(w)
				if end == len(s) || !isWordByte(s[end]) || !isWordByte(w[len(w)-1]) || w[len(w)-1] >= 0x80 {
					best = len(w)
				}
			}
		}
		if best > 0 {
			n++
			i += best - 1
		}
	}
	return n
}
