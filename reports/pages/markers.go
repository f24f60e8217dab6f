package pages

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// markerSet finds any of a list of markers in a lower-case sentence in one
// pass over its words: Latin-script markers are looked up by their first
// word at each word start (whole words, as markerAt matches them), the
// others (CJK, symbols) by substring. Mining runs every list on every
// sentence of every thread, so this is the hot path of a page.
type markerSet struct {
	byWord map[string][]string
	first  [128]bool // first bytes of the first words in byWord
	other  []string
}

// wordByte tells the ASCII bytes that are part of a word.
var wordByte = func() (t [128]bool) {
	for c := 0; c < 128; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return t
}()

// markerSets holds the set of each marker list, keyed by the list's first
// element; built once at start-up and read-only afterwards.
var markerSets = map[*string]*markerSet{}

func init() {
	for _, list := range [][]string{modalMarkers, firstPersonDone, successMarkers, failureMarkers, storyStarts,
		housekeeping, causeMarkers, hedges, fixedWords, strongCause, objectNouns} {
		markerSets[&list[0]] = newMarkerSet(list)
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// wordEnd is the end of the word that starts at i: letters, digits, "'"
// and "-".
func wordEnd(l string, i int) int {
	for i < len(l) {
		if c := l[i]; c < 0x80 {
			if !(wordByte[c] || c == '\'' || c == '-') {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(l[i:])
		if !(isWordRune(r) || r == '\'' || r == '-') {
			break
		}
		i += size
	}
	return i
}

func newMarkerSet(list []string) *markerSet {
	m := &markerSet{byWord: map[string][]string{}}
	for _, mk := range list {
		r, _ := utf8.DecodeRuneInString(mk)
		if r < 0x80 && isWordRune(r) {
			w := mk[:wordEnd(mk, 0)]
			m.byWord[w] = append(m.byWord[w], mk)
			m.first[mk[0]] = true
			continue
		}
		m.other = append(m.other, mk)
	}
	return m
}

func (m *markerSet) has(l string) bool {
	if len(m.other) > 0 {
		for _, mk := range m.other {
			if strings.Contains(l, mk) {
				return true
			}
		}
	}
	prevWord := false
	for i := 0; i < len(l); {
		c := l[i]
		if c < 0x80 {
			// ASCII fast path: most of a sentence.
			if !wordByte[c] {
				prevWord = false
				i++
				continue
			}
			if prevWord || !m.first[c] {
				prevWord = true
				i++
				continue
			}
			j := wordEnd(l, i)
			for _, mk := range m.byWord[l[i:j]] {
				if strings.HasPrefix(l[i:], mk) && endsWord(l, i+len(mk), mk) {
					return true
				}
			}
			prevWord = true
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(l[i:])
		prevWord = isWordRune(r)
		i += size
	}
	return false
}

// endsWord reports whether a marker ending at e in l ends at a word
// boundary when its last character is a Latin letter.
func endsWord(l string, e int, mk string) bool {
	r, _ := utf8.DecodeLastRuneInString(mk)
	if !(r < 0x80 && unicode.IsLetter(r)) || e >= len(l) {
		return true
	}
	n, _ := utf8.DecodeRuneInString(l[e:])
	return !isWordRune(n)
}
