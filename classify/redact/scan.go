package redact

import (
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// The hint prefilter. hintHits finds, in one pass over the bytes of s and
// without allocating, which rules have a hint in strings.ToLower(s): the
// set String used to compute with ToLower and one strings.Contains per hint.
//
// Each distinct hint gets a bit. stage[j][c] holds the hints whose byte j
// is c once c is lower-cased (ASCII only), or which are shorter than j+1
// bytes. Feeding the bytes through the three stages (a shift-and over the
// first three bytes of every hint) yields, at each position, the hints
// whose first three bytes start there; only those are compared in full.
//
// strings.ToLower also maps two non-ASCII runes to ASCII letters (U+0130
// to 'i', U+212A KELVIN SIGN to 'k'; see foldRunes), so "to\u212Aen" holds
// the hint "token". The stages flag with foldBit where one of them may
// start; a text that holds one takes the exact slow path (slowHits).

// foldRunes are the runes above ASCII whose unicode.ToLower is ASCII;
// TestFoldRunes checks the list against every rune.
var foldRunes = []rune{'\u0130', '\u212A'}

const (
	maxHints = 63      // bits 0..62 of a hint set
	foldBit  = 1 << 63 // a fold rune may start here
)

// foldSeqs are the UTF-8 encodings of foldRunes.
var foldSeqs = func() []string {
	seqs := make([]string, len(foldRunes))
	for i, r := range foldRunes {
		seqs[i] = string(r)
	}
	return seqs
}()

// scan holds the tables for rules, built from their hints.
var scan = newHintScan(rules)

type hintScan struct {
	hints  []string // distinct non-empty hints, by bit
	rules  []uint64 // per hint, the rules (bit i is rules[i]) that list it
	always uint64   // rules with an empty hint: it occurs in every text
	all    uint64   // every rule with a hint
	stage  [3][256]uint64
}

func newHintScan(rules []rule) *hintScan {
	if len(rules) > 64 {
		panic(fmt.Sprintf("redact: %d rules, the hint scan handles at most 64", len(rules)))
	}
	hs := &hintScan{}
	index := map[string]int{}
	for i, r := range rules {
		for _, h := range r.hints {
			hs.all |= 1 << i
			if h == "" {
				hs.always |= 1 << i
				continue
			}
			for j := 0; j < len(h); j++ {
				if c := h[j]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
					panic(fmt.Sprintf("redact: hint %q of rule %s is not lower-case ASCII", h, r.kind))
				}
			}
			k, ok := index[h]
			if !ok {
				k = len(hs.hints)
				if k == maxHints {
					panic(fmt.Sprintf("redact: more than %d distinct hints", maxHints))
				}
				index[h] = k
				hs.hints = append(hs.hints, h)
				hs.rules = append(hs.rules, 0)
			}
			hs.rules[k] |= 1 << i
		}
	}
	for k, h := range hs.hints {
		bit := uint64(1) << k
		for j := range hs.stage {
			if j >= len(h) {
				for c := range hs.stage[j] {
					hs.stage[j][c] |= bit
				}
				continue
			}
			c := h[j]
			hs.stage[j][c] |= bit
			if 'a' <= c && c <= 'z' {
				hs.stage[j][c-'a'+'A'] |= bit
			}
		}
	}
	for _, e := range foldSeqs {
		// Every encoding is at least two bytes; the third stage lets any
		// byte through, as the rune may end the text.
		hs.stage[0][e[0]] |= foldBit
		hs.stage[1][e[1]] |= foldBit
	}
	for c := range hs.stage[2] {
		hs.stage[2][c] |= foldBit
	}
	return hs
}

// hintHits returns the rules (bit i is rules[i]) one of whose hints occurs
// in strings.ToLower(s).
func hintHits(s string) uint64 { return scan.hits(s) }

func (hs *hintScan) hits(s string) uint64 {
	sc := scanState{hit: hs.always, live: ^uint64(0)}
	var a, b uint64 // hints whose first one / two bytes end at the previous byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		m := b & hs.stage[2][c]
		b = a & hs.stage[1][c]
		a = hs.stage[0][c]
		if m != 0 && hs.check(&sc, s, i-2, m) {
			return sc.hit
		}
	}
	// Two NUL bytes past the end let through the hints shorter than three
	// bytes and a fold rune ending the text; check compares with s itself.
	if m := b & hs.stage[2][0]; m != 0 && hs.check(&sc, s, len(s)-2, m) {
		return sc.hit
	}
	if m := a & hs.stage[1][0] & hs.stage[2][0]; m != 0 && hs.check(&sc, s, len(s)-1, m) {
		return sc.hit
	}
	return sc.hit
}

type scanState struct {
	hit  uint64 // rules found so far
	live uint64 // hints (and foldBit) still worth checking
}

// check compares the candidate hints m with s[p:] and records the rules of
// those present. It reports true when the scan is over: every rule is
// found, or s holds a fold rune and sc.hit now comes from slowHits.
func (hs *hintScan) check(sc *scanState, s string, p int, m uint64) bool {
	m &= sc.live
	if m&foldBit != 0 {
		for _, e := range foldSeqs {
			if strings.HasPrefix(s[p:], e) {
				sc.hit = hs.slowHits(s)
				return true
			}
		}
		m &^= foldBit
	}
	for ; m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		if !hasPrefixLower(s[p:], hs.hints[k]) {
			continue
		}
		sc.hit |= hs.rules[k]
		if sc.hit == hs.all {
			return true
		}
		sc.live = foldBit
		for k, rs := range hs.rules {
			if rs&^sc.hit != 0 {
				sc.live |= 1 << k
			}
		}
	}
	return false
}

// hasPrefixLower reports whether s, lower-cased byte by byte (ASCII
// only), starts with the lower-case hint h.
func hasPrefixLower(s, h string) bool {
	if len(s) < len(h) {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != h[i] {
			return false
		}
	}
	return true
}

// slowHits computes hits the way String used to, with strings.ToLower and
// strings.Contains, for the rare text that holds a fold rune.
func (hs *hintScan) slowHits(s string) uint64 {
	lower := strings.ToLower(s)
	hit := hs.always
	for k, h := range hs.hints {
		if hit&hs.rules[k] != hs.rules[k] && strings.Contains(lower, h) {
			hit |= hs.rules[k]
		}
	}
	return hit
}
